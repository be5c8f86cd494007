@network @update
Feature: Duplicated and reordered packets do not corrupt a transfer
  SimNet duplicates and reorders frames on the cloud's link; TCP must deliver the bytes in order, once, and the CM's
  SHA-256/SHA-512 checks and the installed file's hash prove the component arrived intact.

  Scenario: A 4 MiB component arrives intact through duplication and reordering
    Given the update cloud offers automatic updates without a throttle
    And the OEM's component "main-app" is 4 MiB
    And an update unit of main board "main" and secondary boards "node-2" and "node-3"
    When the OEM uploads version "2.0" of every node's components
    And the link of the cloud duplicates 20% and reorders 20% of packets
    And the unit checks in
    Then the unit installed image version 1
    And every node runs version "2.0" of its components
    And the component "main-app" installed on board "main" is what the OEM uploaded
    And the component "node-3-app" installed on board "node-3" is what the OEM uploaded
    And the capture shows at least 10 "TCP retransmissions" from the cloud to board "main"
