@update @fleet
Feature: A fleet updates through one cloud at once
  A rollout reaches every unit of a model at the same moment. Each unit is the CM and UM a board runs, simulated side
  by side in the harness (`hilrig fleet --units N` runs the same at any size and prints the figures).

  Scenario: Forty units update at once and the cloud records each of them
    Given a fleet of 40 units
    When the OEM uploads version "2.0" for the fleet
    And every unit of the fleet checks in at once
    Then every unit of the fleet installed the new image
    And the cloud counts every unit of the fleet on its target version
