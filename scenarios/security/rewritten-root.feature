@security @ab
Feature: A slot rewritten together with its Merkle root is refused at boot
  A slot's Merkle root is trusted only when its signature by the release key verifies over the slot, the version, the
  image's size and hash, and the tree's parameters; the board's keyring holds the public key. An attacker with the disk
  can rewrite a slot, its tree, the root in boot control and the record's CRC, but not the signature: the boot names the
  check that failed, marks the slot bad, and the board keeps running the release it knows. A normal update still works.

  Background:
    Given board "dut" has an A/B disk running release "1.0"
    And release "2.0" is available on board "dut"
    And release "3.0" is available on board "dut"
    And board "dut" is running
    When I run "ab install release-2.0.img" on board "dut"
    Then the command succeeds
    When I reboot board "dut"
    Then the console of board "dut" shows "ab: root signature check: slot B: Merkle root"
    And board "dut" boots within 30 seconds
    And board "dut" runs release "2.0"

  Scenario: The running slot is rewritten with a recomputed root and CRC: refused, the board falls back
    When I power off board "dut"
    And an attacker rewrites slot B of board "dut" with release "2.0-evil", its Merkle tree, root and boot-control CRC
    And I power on board "dut"
    Then the console of board "dut" shows "does not verify over slot B, version 2.0-evil"
    And the console of board "dut" shows "ab: fallback: slot B → slot A"
    And board "dut" boots within 30 seconds
    And board "dut" runs release "1.0"
    And slot B of board "dut" is bad
    When I run "ab status" on board "dut"
    Then the command output contains "bad (root signature does not verify)"
    When I run "ab install release-3.0.img" on board "dut"
    Then the command succeeds
    When I reboot board "dut"
    Then board "dut" boots within 30 seconds
    And board "dut" runs release "3.0"

  Scenario: The inactive slot is rewritten and made primary: refused, the board keeps its release
    When I power off board "dut"
    And an attacker rewrites slot A of board "dut" with release "1.0-evil", its Merkle tree, root and boot-control CRC
    And I power on board "dut"
    Then the console of board "dut" shows "does not verify over slot A, version 1.0-evil"
    And board "dut" boots within 30 seconds
    And board "dut" runs release "2.0"
    And slot A of board "dut" is bad
    When I run "ab install release-3.0.img" on board "dut"
    Then the command succeeds
    When I reboot board "dut"
    Then board "dut" boots within 30 seconds
    And board "dut" runs release "3.0"

  Scenario: An image offered with another release's root signature is refused before any write
    When I run "ab install release-3.0.img --version 3.0 --signature release-2.0.img.rootsig" on board "dut"
    Then the command exits with code 1
    And the command output contains "the root signature is for another release: it signs version '2.0', the install is version '3.0'; nothing was written"
    And slot A of board "dut" is good
