@network @update
Feature: A download cut off by a partition resumes after the heal
  When the main board loses the network in the middle of a download, the CM abandons the stalled transfer, keeps what
  arrived, and after the heal asks the cloud only for the rest (HTTP Range). The capture proves it.

  Background:
    Given the update cloud offers automatic updates without a throttle
    And the OEM's component "main-app" is 4 MiB
    And the CM on board "main" abandons a download that stalls for 2 seconds and tries each URL up to 30 times
    And an update unit of main board "main" and secondary boards "node-2" and "node-3"
    And the OEM uploads version "2.0" of every node's components
    And the link of the cloud is impaired with "{rate: 8mbit}"

  Scenario: A partition in the middle of a download resumes with a Range request after heal
    When the unit starts checking in
    And the cloud has sent 1024 KiB to board "main"
    And board "main" is partitioned from the network for 4 seconds
    Then the check-in finishes within 90 seconds
    And the unit installed image version 1
    And the component "main-app" installed on board "main" is what the OEM uploaded
    And no packet left board "main" while it was partitioned
    And board "main" sent an HTTP Range request to the cloud after its partition healed

  Scenario: The same partition written as a fault plan
    When the unit starts checking in
    And the cloud has sent 1024 KiB to board "main"
    And the fault plan:
      """yaml
      name: mid-download-outage
      steps:
        - at: 0s
          for: 4s
          partition: {hosts: [main]}
      """
    And the fault plan has played out
    Then every fault of the plan was applied
    And the check-in finishes within 90 seconds
    And the component "main-app" installed on board "main" is what the OEM uploaded
    And no packet left board "main" while it was partitioned
    And board "main" sent an HTTP Range request to the cloud after its partition healed
