@update
Feature: A cloud update of the unit's root filesystem lands on the main node's A/B disk
  The main node's rootfs is a rootfs-ab component: its UM installs the image into the inactive slot of the disk
  the board boots from and reboots the board into it, which restarts the CM too; the CM then finishes the update
  from what the UMs report, and its ApplyUpdate is what marks the new slot good. When another node fails, every
  UM reverts, and the rootfs goes back to its old slot.

  Background:
    Given the update cloud offers automatic updates without a throttle
    And board "main" has an A/B disk running release "1.0"
    And board "main" also has the update modules "rootfs:rootfs-ab"
    And an update unit of main board "main" and secondary boards "node-2" and "node-3"

  Scenario: The new rootfs boots from the inactive slot and the CM commits it
    When the OEM uploads version "2.0" of every node's components and of "rootfs"
    And the unit checks in and board "main" reboots 1 time on the way
    Then the boot log of board "main" shows slot B booting release "2.0"
    And the console log of board "main" contains "ab: health check passed: slot B stays pending until the update manager applies the update"
    And the unit installs image version 1 within 60 seconds
    And every node runs version "2.0" of its components
    And component "rootfs" of board "main" is installed at version "2.0"
    And board "main" runs release "2.0"
    And slot B of board "main" is good
    And slot A of board "main" is good
    And board "main" rebooted exactly 1 time
    And the cloud records a successful update to image version 1

  Scenario: A failing secondary module makes the rootfs revert to its old slot after the reboot
    Given the test module of board "node-3" fails at update
    When the OEM uploads version "2.0" of every node's components and of "rootfs"
    And the unit checks in and board "main" reboots 2 times on the way
    Then the boot log of board "main" shows slot B booting release "2.0"
    And the unit reverts image version 1 with reason "um-failed" within 60 seconds
    And every node runs version "1.0" of its components
    And component "rootfs" of board "main" is installed at version "1.0"
    And board "main" runs release "1.0"
    And slot B of board "main" is bad
    And board "main" rebooted exactly 2 times
    And the cloud records a failed update of image version 1 with reason "um-failed"
