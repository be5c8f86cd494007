@update @security
Feature: Who may talk to the cloud
  Units prove who they are with a client certificate from the cloud's own CA and act only as themselves; operators carry
  a bearer token whose role admits the call; every route takes a body of its own size. A rogue host on the unit's
  network tries each way in. Every attempt is refused with a status and a reason, logged on the cloud with the sender's
  address, and changes nothing: the unit still updates normally afterwards (issue 13).

  Background:
    Given the update cloud offers automatic updates at most once every 24 hours
    And an update unit of main board "main" alone
    And the OEM uploads version "2.0" of every node's components

  Scenario: Check-ins with no, a forged or another unit's certificate are refused, and the unit's daily offer is not spent
    When a rogue host on board "dut" checks in as unit "unit-1" without a client certificate
    Then the cloud refuses it with 401 saying "needs the unit's client certificate"
    And nothing the rogue host sent was written
    When a rogue host on board "dut" checks in as unit "unit-1" with a certificate from its own CA
    Then the cloud refuses it with 401 saying "was not issued by this cloud's CA"
    And nothing the rogue host sent was written
    When a rogue host on board "dut" checks in as unit "unit-1" with a certificate from a CA named like the cloud's
    Then the cloud refuses it with 401 saying "was not issued by this cloud's CA"
    And nothing the rogue host sent was written
    When a rogue host on board "dut" enrolled as unit "unit-9" checks in as unit "unit-1"
    Then the cloud refuses it with 403 saying "the client certificate is for unit 'unit-9', the check-in is for unit 'unit-1'"
    And nothing the rogue host sent was written
    When the cloud operator revokes unit "unit-9"
    And a rogue host on board "dut" enrolled as unit "unit-9" checks in as unit "unit-9"
    Then the cloud refuses it with 401 saying "of unit 'unit-9' was revoked at"
    And nothing the rogue host sent was written
    When the unit checks in
    Then the unit installed image version 1
    And the cloud records a successful update to image version 1

  Scenario: Operator calls without a token, with a bad or revoked one, or with the wrong role are refused
    When a rogue host on board "dut" calls DELETE "/api/platforms/hilrig-unit/images/1" without a token
    Then the cloud refuses it with 401 saying "needs `Authorization: Bearer <token>`"
    And nothing the rogue host sent was written
    When a rogue host on board "dut" calls DELETE "/api/platforms/hilrig-unit/images/1" with the Authorization header "Bearer not-a-token"
    Then the cloud refuses it with 401 saying "malformed token"
    And nothing the rogue host sent was written
    When a rogue host on board "dut" calls DELETE "/api/platforms/hilrig-unit/images/1" with a revoked token
    Then the cloud refuses it with 401 saying "was revoked at"
    And nothing the rogue host sent was written
    When a rogue host on board "dut" calls DELETE "/api/platforms/hilrig-unit/images/1" with a token of role viewer
    Then the cloud refuses it with 403 saying "has role viewer; DELETE /api/platforms/hilrig-unit/images/1 needs a token with role oem"
    And nothing the rogue host sent was written
    When a rogue host on board "dut" calls POST "/api/units/unit-1/trigger" with a token of role oem
    Then the cloud refuses it with 403 saying "has role oem; POST /api/units/unit-1/trigger needs a token with role operator"
    And nothing the rogue host sent was written
    When a rogue host on board "dut" calls PUT "/api/groups/qa" with a token of role viewer
    Then the cloud refuses it with 403 saying "needs a token with role operator"
    And nothing the rogue host sent was written
    When a rogue host on board "dut" calls GET "/api/dashboard" without a token
    Then the cloud refuses it with 401 saying "needs `Authorization: Bearer <token>`"
    When the unit checks in
    Then the unit installed image version 1

  Scenario: Bodies over a route's limit are refused before anything reads them
    When a rogue host on board "dut" enrolled as unit "unit-9" sends a check-in of 64 KiB
    Then the cloud refuses it with 413 saying "is over the 4096-byte limit of POST /api/checkin"
    And nothing the rogue host sent was written
    When a rogue host on board "dut" enrolled as unit "unit-9" reports a result of 256 KiB
    Then the cloud refuses it with 413 saying "is over the 65536-byte limit of POST /api/results"
    And nothing the rogue host sent was written
    When a rogue host on board "dut" uploads, with an oem token, a bundle whose metadata is 2 MiB
    Then the cloud refuses it with 413 saying "'metadata.json' is 2097152 bytes, over the limit of 1048576; it was not read"
    And nothing the rogue host sent was written
    When the unit checks in
    Then the unit installed image version 1
