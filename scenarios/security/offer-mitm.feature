@security @update
Feature: A man in the middle of the unit's check-ins cannot move it
  The attacker sits on the cloud's host, on a port of its own, and the unit's CM is pointed at it. It holds what an
  insider on that host holds: the cloud's TLS server certificate and key (the unit cannot tell it from the cloud) and the
  cloud's CA (it speaks to the cloud as the unit); for the wrong-direction attack also the cloud's offer-signing key. It
  can record the cloud's answers, play an old one back, or re-sign an offer with a field changed. The offer signs the
  unit, the check-in's nonce, the version the unit reported and the direction, so the CM refuses each attack with its
  reason, reports it to the cloud, and no node changes version; once the attacker only relays, the unit updates normally
  (issue 13). The attacker's log of every request is the scenario's artifact.

  Background:
    Given the update cloud offers automatic updates without a throttle
    And the unit's CM reaches the cloud through a man in the middle on the cloud's host
    And an update unit of main board "main" and secondary boards "node-2" and "node-3"

  Scenario: A genuine offer recorded earlier and played back is refused as replayed
    When the OEM uploads version "2.0" of every node's components
    And the unit checks in
    Then the unit installed image version 1
    And the man in the middle recorded the cloud's offer of image version 1
    When the man in the middle answers check-ins with the offer it recorded
    And the unit checks in
    Then the update failed with reason "invalid-offer" saying "(replayed)"
    And the cloud records a failed update of image version 1 with reason "invalid-offer"
    And every node runs version "2.0" of its components
    When the man in the middle relays check-ins unchanged
    And the OEM uploads version "3.0" of every node's components
    And the unit checks in
    Then the unit installed image version 2
    And every node runs version "3.0" of its components

  Scenario: An offer re-signed with the cloud's key to move the unit the wrong way is refused
    When the OEM uploads version "2.0" of every node's components
    And the man in the middle re-signs each offer with its direction set to "previous"
    And the unit checks in
    Then the update failed with reason "wrong-direction" saying "the offer moves the unit to the previous image 1, but the installed image is 0"
    And the cloud records a failed update of image version 1 with reason "wrong-direction"
    And every node runs version "1.0" of its components
    When the man in the middle relays check-ins unchanged
    And the cloud operator triggers an update of the unit
    And the unit checks in
    Then the unit installed image version 1
    And every node runs version "2.0" of its components
