@network @update
Feature: A large download completes through heavy loss
  The CM downloads each component from the cloud over HTTP across SimNet. TCP and the CM's resuming downloader must
  carry a multi-MiB component through a link that loses 30% of its packets in both directions.

  Scenario: A 4 MiB component reaches the unit through 30% loss
    Given the update cloud offers automatic updates without a throttle
    And the OEM's component "main-app" is 4 MiB
    And the CM on board "main" abandons a download that stalls for 5 seconds and tries each URL up to 30 times
    And an update unit of main board "main" and secondary boards "node-2" and "node-3"
    When the OEM uploads version "2.0" of every node's components
    And the link between board "main" and the cloud loses 30% of packets
    And the unit checks in
    Then the unit installed image version 1
    And the component "main-app" installed on board "main" is what the OEM uploaded
    And the capture shows at least 10 "TCP retransmissions" from the cloud to board "main"
