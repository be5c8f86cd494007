@ab
Feature: A/B updates on a process board
  The board runs its release from one slot. An update streams into the other slot with an incremental SHA-256,
  gets its Merkle tree, and is marked primary with three tries; the next boot runs it and the health check
  confirms it. A patch (block delta) installs the same way, reading the running slot.

  Background:
    Given board "dut" has an A/B disk running release "1.0"
    And board "dut" is running

  Scenario: Full update and commit
    Given release "2.0" is available on board "dut"
    When I run "ab install release-2.0.img --version 2.0" on board "dut"
    Then the command succeeds
    And the command output contains "installed image into slot B: version 2.0"
    And slot B of board "dut" is pending
    When I reboot board "dut"
    Then the console of board "dut" shows "ab: boot: slot B version 2.0 sha256"
    And the console of board "dut" shows "ab: health check passed: slot B marked good"
    And board "dut" boots within 30 seconds
    And board "dut" runs release "2.0"
    And slot B of board "dut" is good
    And slot A of board "dut" is good

  Scenario: Patch update from a block delta
    Given a delta from release "1.0" to "1.1" is available on board "dut"
    When I run "ab install 1.0-to-1.1.delta" on board "dut"
    Then the command succeeds
    And the command output contains "installed delta into slot B: version 1.1"
    When I reboot board "dut"
    Then board "dut" boots within 30 seconds
    And board "dut" runs release "1.1"

  Scenario: Installing the running release again writes nothing
    Given release "1.0" is available on board "dut"
    When I run "ab install release-1.0.img" on board "dut"
    Then the command succeeds
    And the command output contains "nothing to do: the active slot already runs"
    And slot B of board "dut" is empty

  Scenario: Explicit rollback
    Given release "2.0" is available on board "dut"
    When I run "ab install release-2.0.img --version 2.0" on board "dut"
    And I reboot board "dut"
    Then board "dut" boots within 30 seconds
    And board "dut" runs release "2.0"
    When I run "ab rollback" on board "dut"
    Then the command output contains "slot A is primary"
    When I reboot board "dut"
    Then board "dut" boots within 30 seconds
    And board "dut" runs release "1.0"
