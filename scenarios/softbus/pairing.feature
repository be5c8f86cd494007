@softbus @network
Feature: Binding with a PIN
  The speaker shows the PIN 246810. The phone binds with SPAKE2 over the auth channel; the identity keys are exchanged
  only under the key a right PIN gives, and a wrong PIN ends the binding with a refusal and no key.

  Background:
    Given soft-bus boards "phone" and "speaker" are running
    When board "phone" discovers soft-bus devices
    Then board "phone" finds board "speaker" within 10 seconds

  Scenario: The right PIN binds the boards
    When board "phone" pairs with board "speaker" using PIN "246810"
    Then the pairing succeeds
    And board "speaker" trusts board "phone"
    And board "phone" trusts board "speaker"
    And the capture shows at least 3 "auth frames" from board "phone" to board "speaker"
    And the capture shows at least 1 "encrypted frames" from board "speaker" to board "phone"
    And the capture shows no "auth refusals" from board "speaker"

  Scenario: A wrong PIN is refused and yields no key
    When board "phone" pairs with board "speaker" using PIN "111111"
    Then the pairing is refused with "wrong PIN"
    And the capture shows exactly 1 "auth refusals" from board "speaker" to board "phone"
    And the capture shows no "encrypted frames" from board "speaker"
    And the capture shows no "encrypted frames" from board "phone"
