@network @update
Feature: The CM–UM exchange as the wire shows it
  The CM and the UMs talk gRPC (UMService.RegisterUM) over HTTP/2 across SimNet. The capture is decoded by method path
  into the update stack's own protobuf types, and the order of the update is asserted from it, not from any log.

  The unit runs without TLS here, so the capture shows the messages; every other update scenario runs mutual TLS.

  Background:
    Given the update cloud offers automatic updates without a throttle
    And the unit's CM and UMs talk without TLS, so the capture shows their gRPC messages
    And an update unit of main board "main" and secondary boards "node-2" and "node-3"

  Scenario: Every UM is prepared before any starts, and started before any applies
    When the OEM uploads version "2.0" of every node's components
    And the unit checks in
    Then the unit installed image version 1
    And the CM sent PrepareUpdate to every UM before any StartUpdate
    And the CM sent StartUpdate to every UM before any ApplyUpdate
    And the capture shows exactly 1 "PrepareUpdate" from board "main" to board "node-2"
    And the capture shows at least 1 "UpdateStatus" from board "node-3" to board "main"
    And the capture shows no "RevertUpdate" from board "main"
    And board "main" sent "PrepareUpdate" within 10 seconds after the cloud sent "HTTP responses"

  Scenario: A UM that fails is told to revert, and no one is told to apply
    Given the test module of board "node-3" fails at update
    When the OEM uploads version "2.0" of every node's components
    And the unit checks in
    Then the update failed with reason "um-failed"
    And the CM sent RevertUpdate to every UM before any ApplyUpdate
    And the capture shows no "ApplyUpdate" from board "main"
