@softbus @network
Feature: Sessions between bound boards
  After binding, the phone opens a session to the speaker's hilrig.chat server and sends bytes under AES-256-GCM.
  A frame sent a second time, byte for byte, is refused and the session closed.

  Background:
    Given soft-bus boards "phone" and "speaker" are running
    When board "phone" discovers soft-bus devices
    Then board "phone" finds board "speaker" within 10 seconds
    When board "phone" pairs with board "speaker" using PIN "246810"
    Then the pairing succeeds

  Scenario: A session carries data
    When board "phone" opens a soft-bus session to board "speaker"
    And board "phone" sends "hello-speaker" on its session
    Then board "speaker" receives "hello-speaker" within 10 seconds
    And the capture shows at least 1 "session frames" from board "phone" to board "speaker"

  Scenario: A replayed frame is rejected
    When board "phone" opens a soft-bus session to board "speaker"
    And board "phone" sends "pay-10" on its session
    Then board "speaker" receives "pay-10" within 10 seconds
    When board "phone" replays the last frame of its session
    Then board "speaker" rejected a replayed session frame
    And the capture shows a session frame from board "phone" sent twice with the same seq
