@smoke @harness
Feature: A process board boots on its console
  A process board is HilRig.Device running as a process whose console is a pty, so its boot log
  arrives exactly as a UART's would.

  Scenario: Power on shows the boot log and a shell prompt
    When I power on board "dut"
    Then the console of board "dut" shows "HilRig Device firmware 1.0.0 (board dut)"
    And the console of board "dut" shows "boot #1, reason: power-on"
    And board "dut" boots within 30 seconds
    And board "dut" is powered on
    And the status of board "dut" shows:
      | board       | dut      |
      | firmware    | 1.0.0    |
      | boot        | 1        |
      | boot-reason | power-on |
