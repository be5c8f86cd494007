@softbus @network @alljoyn
Feature: AllJoyn thin-core router discovery on SimNet
  The phone, as an AllJoyn thin core (seed 004), looks for a routing node: NGNS queries in bursts, a 5 s selection
  window ranking the routers that answered (highest ajpv, then lowest SRV priority), SASL ANONYMOUS to the winner, a
  16-entry blacklist for routers that refuse it or are too old, and link-timeout probes on an idle link. The routers are
  simulated (simulators/HilRig.Simulators/SoftBus/RouterSimulator.cs), each on its own SimNet host; the claims are read
  from the capture. Link-timeout scenarios shorten the router timers only through `--time-scale` (RouterTimers.Scaled).

  Background:
    Given soft-bus board "phone" is running

  Scenario: The best-ranked router is chosen when the selection window closes
    Given AllJoyn routers on the network:
      | router   | priority | ajpv | behaviour |
      | router-a | 5        | 10   | good      |
      | router-b | 1        | 10   | good      |
      | router-c | 0        | 9    | good      |
    When board "phone" looks for an AllJoyn router
    Then board "phone" connects to router "router-b" within 15 seconds
    And the capture shows board "phone"'s name-service queries in bursts of 3, 100 ms apart, 1.1 s between bursts
    And the capture shows router "router-b" answered board "phone" with priority 1
    And the capture shows router "router-c" answered board "phone" with priority 0
    And the capture shows board "phone" connected to router "router-b" only, 5000 to 5600 ms after its first query
    And the capture shows board "phone" sent router "router-b" the SASL lines:
      | \0                      |
      | AUTH ANONYMOUS          |
      | INFORM_PROTO_VERSION 10 |
      | BEGIN <guid>            |

  Scenario: A router that refuses the client is blacklisted and never tried again
    Given AllJoyn routers on the network:
      | router   | priority | ajpv | behaviour    |
      | router-a | 0        | 10   | rejects-auth |
      | router-b | 3        | 10   | good         |
    When board "phone" looks for an AllJoyn router with a 40 s link timeout and router timers scaled by "0.2"
    Then board "phone" connects to router "router-b" within 10 seconds
    And board "phone" blacklisted router "router-a"
    When router "router-b" goes away
    Then board "phone" is disconnected from router "router-b" by "closed" within 10 seconds
    And board "phone" discovers again and ignores the answers of router "router-a"
    And the capture shows board "phone" opened 1 connection to router "router-a"
    And the capture shows board "phone" sent router "router-a" the SASL lines:
      | \0             |
      | AUTH ANONYMOUS |

  Scenario: A silent router times the link out and the client discovers again
    Given AllJoyn routers on the network:
      | router   | priority | ajpv | behaviour            |
      | router-a | 0        | 10   | silent-after-connect |
    When board "phone" looks for an AllJoyn router with a 40 s link timeout and router timers scaled by "0.1"
    Then board "phone" connects to router "router-a" within 10 seconds
    And board "phone" is disconnected from router "router-a" by "link timeout" within 15 seconds
    And the capture shows 3 unanswered ProbeReq from board "phone" to router "router-a", 500 ms apart, then the link closed
    And board "phone" connects to router "router-a" within 10 seconds
