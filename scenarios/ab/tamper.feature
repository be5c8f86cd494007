@ab
Feature: Tampered slots are detected and never booted again
  Each slot carries a Merkle tree over its 4 KiB blocks. The boot checks the chosen slot (here: all of it), and
  `ab verify` checks on demand; a changed block is reported by index and its slot marked bad.

  Background:
    Given board "dut" has an A/B disk running release "1.0"
    And release "2.0" is available on board "dut"
    And board "dut" checks the whole slot at every boot
    And board "dut" is running
    When I run "ab install release-2.0.img --version 2.0" on board "dut"
    And I reboot board "dut"
    Then board "dut" boots within 30 seconds
    And board "dut" runs release "2.0"

  Scenario: A changed block is found at boot and the board falls back
    When I power off board "dut"
    And I change block 100 of slot B on board "dut"
    And I power on board "dut"
    Then the console of board "dut" shows "1 tampered block (4 KiB blocks, index 100)"
    And the console of board "dut" shows "ab: fallback: slot B → slot A"
    And board "dut" boots within 30 seconds
    And board "dut" runs release "1.0"
    And slot B of board "dut" is bad
    When I reboot board "dut"
    Then board "dut" boots within 30 seconds
    And board "dut" runs release "1.0"

  Scenario: On-demand verify of the other slot
    When I change block 7 of slot A on board "dut"
    And I run "ab verify A" on board "dut"
    Then the command exits with code 1
    And the command output contains "1 tampered block (4 KiB blocks, index 7)"
    And slot A of board "dut" is bad
    When I run "ab verify" on board "dut"
    Then the command succeeds
