@ab @powercut
Feature: Power cuts during an update always leave a known release to boot
  The board's disk keeps unflushed writes in a volatile cache; at the named point the power fails, the write in
  flight is torn at sector granularity, and the harness cuts the power. Whatever the moment, the board comes back
  on a slot whose SHA-256 is a release it was given, and the update can simply be run again.

  Background:
    Given board "dut" has an A/B disk running release "1.0"
    And release "2.0" is available on board "dut"
    And board "dut" is running

  Scenario: Power cut during the slot write
    When board "dut" loses power at "@slot-write#2" while running "ab install release-2.0.img --version 2.0"
    And I power on board "dut"
    Then the console of board "dut" shows "reason: power-loss"
    And board "dut" boots within 30 seconds
    And board "dut" runs release "1.0"
    And slot B of board "dut" is bad
    When I run "ab install release-2.0.img --version 2.0" on board "dut"
    And I reboot board "dut"
    Then board "dut" boots within 30 seconds
    And board "dut" runs release "2.0"

  Scenario: Power cut during the boot-control write that marks the new slot primary
    When board "dut" loses power at "@bootctl-write#2" while running "ab install release-2.0.img --version 2.0"
    And I power on board "dut"
    Then board "dut" boots within 30 seconds
    And board "dut" runs a known release

  Scenario: Power cut right after mark-primary
    When board "dut" loses power at "@mark-primary-done#1" while running "ab install release-2.0.img --version 2.0"
    And I power on board "dut"
    Then the console of board "dut" shows "ab: boot: slot B version 2.0"
    And board "dut" boots within 30 seconds
    And board "dut" runs release "2.0"

  Scenario: Power cut in the boot that tries the new slot
    When I run "ab install release-2.0.img --version 2.0" on board "dut"
    And board "dut" loses power at "@bootctl-write#1" during its next boot
    And I power on board "dut"
    Then board "dut" boots within 30 seconds
    And board "dut" runs a known release

  Scenario: One boot-control copy corrupted: the other one wins
    When I power off board "dut"
    And I corrupt boot-control copy 0 on board "dut"
    And I power on board "dut"
    Then the console of board "dut" shows "boot control copy 0 (offset 0) invalid"
    And board "dut" boots within 30 seconds
    And board "dut" runs release "1.0"

  Scenario: Both boot-control copies corrupted: no boot, nothing written
    When I power off board "dut"
    And I corrupt boot-control copy 0 on board "dut"
    And I corrupt boot-control copy 1 on board "dut"
    And I power on board "dut"
    Then the console of board "dut" shows "boot control unreadable"
    And the console of board "dut" shows "Kernel panic - not syncing: VFS: no bootable A/B slot"
