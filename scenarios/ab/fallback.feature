@ab
Feature: A release that never passes its health check falls back
  A pending slot is booted while it has tries left; each boot uses one before it starts. A release whose health
  check fails never marks itself good, so after three boots the bootloader marks it bad and returns to the
  release that worked.

  Scenario: The new slot falls back after three tries
    Given board "dut" has an A/B disk running release "1.0"
    And a release "2.0-broken" that fails its health check is available on board "dut"
    And board "dut" is running
    When I run "ab install release-2.0-broken.img --version 2.0-broken" on board "dut"
    Then the command succeeds
    When I reboot board "dut"
    Then the console of board "dut" shows "ab: health check failed: slot B (2.0-broken) did not come up; rebooting (2 tries left)"
    And the console of board "dut" shows "ab: health check failed: slot B (2.0-broken) did not come up; rebooting (1 tries left)"
    And the console of board "dut" shows "ab: health check failed: slot B (2.0-broken) did not come up; rebooting (0 tries left)"
    And the console of board "dut" shows "ab: slot B used all its tries without being marked good: marked bad"
    And the console of board "dut" shows "ab: fallback: slot B → slot A"
    And board "dut" boots within 60 seconds
    And board "dut" runs release "1.0"
    And slot B of board "dut" is bad
