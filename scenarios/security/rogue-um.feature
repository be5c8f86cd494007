@security @update
Feature: Only the unit's own nodes may register with its CM
  CM and UMs talk mutual TLS with node certificates that provisioning issued from the unit's node CA. A node id is the
  one its certificate names, and a node registers once. A rogue UM is refused with the reason on the CM, and the unit
  still updates normally afterwards.

  Background:
    Given the update cloud offers automatic updates without a throttle

  Scenario: A UM with a certificate of another unit is refused in the handshake
    Given board "node-3" is provisioned with a node certificate of another unit
    When the update unit of main board "main" and secondary boards "node-2" and "node-3" boots without waiting for board "node-3"
    Then the CM refuses board "node-3" because "is not issued by this unit's node CA"
    When board "node-3" is provisioned with its own node certificate and restarted
    And the OEM uploads version "2.0" of every node's components
    And the unit checks in
    Then the unit installed image version 1
    And every node runs version "2.0" of its components

  Scenario: A node that registers as another node is refused
    Given board "node-3" registers its UM as node "node-2"
    When the update unit of main board "main" and secondary boards "node-2" and "node-3" boots without waiting for board "node-3"
    Then the CM refuses board "node-3" because "PermissionDenied: the certificate is for node 'node-3', the stream registers as 'node-2'"
    When board "node-3" is provisioned with its own node certificate and restarted
    And the OEM uploads version "2.0" of every node's components
    And the unit checks in
    Then the unit installed image version 1
