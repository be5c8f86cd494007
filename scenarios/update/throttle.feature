@update
Feature: Automatic offers are throttled, a manual trigger is not
  "To exclude frequent updates, AosCloud should send a new update only after a defined timeout … AosCloud should
  provide a possibility to run the update procedure manually. The update timeout is not applied in this case."

  Scenario: The throttle period holds a second update back until the operator triggers it
    Given the update cloud offers automatic updates at most once every 1 hour
    And an update unit of main board "main" and secondary boards "node-2" and "node-3"
    When the OEM uploads version "2.0" of every node's components
    And the unit checks in
    Then the unit installed image version 1
    When the OEM uploads version "3.0" of every node's components
    And the unit checks in
    Then the cloud holds the update back until the throttle period ends
    And every node runs version "2.0" of its components
    When the cloud operator triggers an update of the unit
    And the unit checks in
    Then the unit installed image version 2
    And every node runs version "3.0" of its components
