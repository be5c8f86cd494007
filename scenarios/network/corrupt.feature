@network @update
Feature: Damaged packets do not corrupt a transfer
  SimNet flips a bit in some frames on the cloud's link. The receivers' checksums catch each one and TCP sends the bytes
  again; the capture shows the damaged frames as delivered, and nothing damaged in what the hosts sent.

  Scenario: A 1 MiB component arrives intact through a link that damages packets
    Given the update cloud offers automatic updates without a throttle
    And the OEM's component "main-app" is 1 MiB
    And an update unit of main board "main" and secondary boards "node-2" and "node-3"
    When the OEM uploads version "2.0" of every node's components
    And the link of the cloud corrupts 2% of packets
    And the unit checks in
    Then the unit installed image version 1
    And the component "main-app" installed on board "main" is what the OEM uploaded
    And the capture shows at least 1 "damaged packets" delivered from the cloud to board "main"
    And the capture shows no "damaged packets" from the cloud
