@softbus @network
Feature: CoAP retransmission on the wire
  A confirmable request to a port where nothing listens goes out five times: the first retransmission after 2-3 s, each gap twice the
  one before (RFC 7252 §4.2). Read from the capture, not from any log.

  Scenario: An unanswered CON is retransmitted with doubling gaps
    Given soft-bus boards "phone" and "speaker" are running
    When board "phone" discovers soft-bus devices
    Then board "phone" finds board "speaker" within 10 seconds
    When board "phone" sends a CoAP GET for "/info" to board "speaker" port 5699 in the background
    And board "phone" has sent 5 "CON requests" to board "speaker"
    Then each CON request was retransmitted at most 4 times with doubling gaps
