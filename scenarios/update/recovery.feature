@update
Feature: Restarts and reboots in the middle of an update
  The CM and the UMs persist their state at every step; after a restart the CM continues from what the UMs
  report (FAILED → revert, PREPARED → continue, UPDATED → apply), and modules that need a reboot share one.

  Background:
    Given the update cloud offers automatic updates without a throttle

  Scenario: The CM killed between Start and Apply finishes the update after restart
    Given the CM crashes before-apply
    And an update unit of main board "main" and secondary boards "node-2" and "node-3"
    When the OEM uploads version "2.0" of every node's components
    And the unit checks in and the CM crashes
    Then board "main" is powered off
    When board "main" restarts without the fault
    Then the unit installs image version 1 within 60 seconds
    And every node runs version "2.0" of its components
    And the cloud records a successful update to image version 1

  Scenario: Two modules needing a reboot cause one reboot
    Given board "node-2" has an A/B disk running release "1.0"
    And board "node-2" also has the update modules "rootfs:rootfs-ab:rebootPriority=10,bios:test:reboot=update;rebootPriority=5"
    And an update unit of main board "main" and secondary boards "node-2" and "node-3"
    When the OEM uploads version "2.0" of every node's components and of "rootfs,bios"
    And the unit checks in
    Then the unit installed image version 1
    And every node runs version "2.0" of its components
    And board "node-2" rebooted exactly 1 time
    And board "main" rebooted exactly 0 times
    And board "node-2" runs release "2.0"
    And slot B of board "node-2" is good
