@security @update
Feature: Only the cloud's signed word moves a unit back
  A downgrade is what the cloud signs in its offer: the version the unit reported, and which way it moves. Only the CM
  marks a component as a downgrade for its UMs, so a bundle that claims it is refused, and the unit still updates.

  Background:
    Given the update cloud offers automatic updates without a throttle
    And an update unit of main board "main" and secondary boards "node-2" and "node-3"

  Scenario: A bundle that marks itself a downgrade is refused
    When the OEM uploads version "0.9" of every node's components, each annotated '{"hilrig.downgrade": true}'
    And the unit checks in
    Then the update failed with reason "forbidden-annotation"
    And the cloud records a failed update of image version 1 with reason "forbidden-annotation"
    And every node runs version "1.0" of its components
    When the OEM deletes image version 1
    And the OEM uploads version "2.0" of every node's components
    And the unit checks in
    Then the unit installed image version 2
    And every node runs version "2.0" of its components
