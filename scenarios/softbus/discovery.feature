@softbus @network
Feature: Soft-bus discovery on SimNet
  The phone probes the subnet on dsoftbus's schedule (12 NON POSTs to the broadcast); the speaker, which publishes
  its capabilities, answers each probe as softbus_lite does. What the boards report is checked against the capture.

  Background:
    Given soft-bus boards "phone" and "speaker" are running

  Scenario: A published device is found on a clean link
    When board "phone" discovers soft-bus devices
    Then board "phone" finds board "speaker" within 10 seconds
    And board "speaker" answered the first discovery probe of board "phone" within 1000 ms
    And every discovery reply from board "speaker" went to port 5684 with no token
    And the capture shows at least 1 "discovery replies" from board "speaker" to board "phone"
    And the capture shows no "discovery replies" from board "phone"

  Scenario: A device is found through 25% loss, and lost when it goes offline
    When the link of board "phone" loses 25% of packets
    And board "phone" discovers soft-bus devices
    Then board "phone" finds board "speaker" within 15 seconds
    When board "phone" has sent 12 "discovery probes"
    And board "speaker" is partitioned from the network
    Then board "phone" loses board "speaker" within 20 seconds
