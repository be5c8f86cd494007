@smoke @harness
Feature: Shell commands on a board
  Commands run at the board's shell over its console; output and exit code are read between two
  random markers, the way labgrid's ShellDriver does it.

  Background:
    Given board "dut" is running

  Scenario: A command's output and exit code
    When I run "version" on board "dut"
    Then the command succeeds
    And the command output is:
      """
      1.0.0
      """

  Scenario Outline: Exit codes come back as the board reports them
    When I run "<command>" on board "dut"
    Then the command exits with code <code>
    And the command output contains "<output>"

    Examples: commands that work
      | command         | code | output     |
      | echo hello      | 0    | hello      |
      | status          | 0    | state: running |

    Examples: commands that do not
      | command         | code | output     |
      | false; echo $?  | 0    | 1          |
      | no-such-command | 127  | not found  |
