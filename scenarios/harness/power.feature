@smoke @harness
Feature: Rebooting and cutting power
  A reboot restarts the board through its reset path; a power cut kills it mid-whatever, and the
  next boot knows it lost power. The board's data directory survives both.

  Background:
    Given board "dut" is running

  Scenario: Reboot from the console
    When I reboot board "dut"
    Then the console of board "dut" shows "reboot: Restarting system"
    And the console of board "dut" shows "boot #2, reason: reboot"
    And board "dut" boots within 30 seconds

  Scenario: Power cut, then power on again
    When I cut the power of board "dut"
    Then board "dut" is powered off
    When I power on board "dut"
    Then the console of board "dut" shows "boot #2, reason: power-loss"
    And board "dut" boots within 30 seconds

  Scenario: Orderly power off
    When I power off board "dut"
    Then board "dut" is powered off
    And the console of board "dut" shows "reboot: Power down"
