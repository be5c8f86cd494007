@update
Feature: Updating a unit from the cloud
  The cloud assigns image versions and decides, per check-in, the next or previous version of a unit (seed 001).
  The CM on the unit's main node downloads, verifies and decrypts the bundle, then moves every UM through
  Prepare, Start and Apply together; when one fails, all revert.

  Background:
    Given the update cloud offers automatic updates without a throttle
    And an update unit of main board "main" and secondary boards "node-2" and "node-3"

  Scenario: Update to the next version
    When the OEM uploads version "2.0" of every node's components
    Then the cloud assigned image version 1
    When the unit checks in
    Then the unit installed image version 1
    And every node runs version "2.0" of its components
    And the cloud records a successful update to image version 1
    When the unit checks in
    Then the unit is not offered an update

  Scenario: A UM failing in Update makes every UM revert and the cloud records the failure
    Given the test module of board "node-3" fails at update
    When the OEM uploads version "2.0" of every node's components
    And the unit checks in
    Then the update failed with reason "um-failed"
    And every node runs version "1.0" of its components
    And the cloud records a failed update of image version 1 with reason "um-failed"
    And the upgrade dashboard shows 1 failed upgrade in the last 7 days and 1 unit online

  Scenario: A unit on a higher version than the cloud is moved back one version
    When the OEM uploads version "2.0" of every node's components
    And the OEM uploads version "3.0" of every node's components
    And the unit checks in
    And the unit checks in
    Then the unit installed image version 2
    And every node runs version "3.0" of its components
    When the OEM deletes image version 2
    And the unit checks in
    Then the unit installed image version 1
    And every node runs version "2.0" of its components
    And the cloud records a successful update to image version 1

  Scenario: A deleted latest version is never reused
    When the OEM uploads version "2.0" of every node's components
    And the OEM uploads version "3.0" of every node's components
    And the OEM deletes image version 2
    Then the cloud refuses to delete image version 1
    When the OEM uploads version "4.0" of every node's components
    Then the cloud assigned image version 3
    When the unit checks in
    And the unit checks in
    Then the unit installed image version 3
    And every node runs version "4.0" of its components
