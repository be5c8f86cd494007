@network
Feature: Power and process faults go through the board's own protocols and into the fault timeline
  A fault plan or a step cuts power through the board's Power protocol and kills the board's main process through its device-process protocol
  (process and container boards; a QEMU board runs a kernel of its own and has none); both are recorded in the scenario's fault timeline, next to the network faults.

  Scenario: A power cut restored by the fault itself, and a killed device process
    Given board "node-2" is running
    And board "node-3" is running
    When a fault cuts the power of board "node-2" for 1 second
    Then board "node-2" is powered off
    And the console of board "node-2" shows "boot #2, reason: power-loss" within 30 seconds
    And board "node-2" boots within 30 seconds
    When the device process of board "node-3" is killed
    Then board "node-3" is powered off

  Scenario: A plan partitions one of two boards, picked by the seed, and cuts the other's power
    Given board "node-2" is running
    And board "node-3" is running
    And the fault plan:
      """yaml
      name: pick-one
      steps:
        - at: 0s
          for: 1s
          partition: {hosts: [node-2, node-3], pick: 1, direction: outbound}
        - at: 1500ms
          power_cut: {board: node-3, restore_after: 500ms}
      """
    When the fault plan has played out
    Then every fault of the plan was applied
    And the console of board "node-3" shows "boot #2, reason: power-loss" within 30 seconds
