@license @regression
Feature: Regression: stopping and starting the task does not clear a license violation
  Named by issue 27 (an outside reader of seed 004, "accept the KSN Statement ... and restart the task"): after
  Private KSN was disabled under the running task, a stop and a start of the task made it run again without the
  Statement being accepted again (reference/src/agent/task.rs, fixed in dbaf6e9). The steps below only drive the
  device; the executable specification's EP-LIC-2 clauses judge what it sends and what its status says.

  Background:
    Given a Global KSN
    And a Private KSN with registered licenses "LICENSE-A"
    And a distribution point "kpsn-dp" with a KSN proxy for the Private KSN
    And an endpoint "bank" in extended mode behind "kpsn-dp" using Private KSN with license "LICENSE-A"
    And "bank" has accepted KSN Statement version 1

  @EP-LIC-2
  Scenario: A stop and a start without a new acceptance leave the task in license violation
    When Private KSN is disabled on "bank"
    And the KSN Usage task of "bank" is stopped
    And the KSN Usage task of "bank" is started
    And "bank" looks up the file "ledger.xlsx"
    Then "bank" reports "license violation"
    And the KSN Usage task of "bank" is "license violation"
    When "bank" accepts KSN Statement version 1
    And the KSN Usage task of "bank" is started
    Then the KSN Usage task of "bank" is "running"

  @EP-LIC-2
  Scenario: After a new acceptance and a restart of the task, KSN answers again
    Given an endpoint "teller" in extended mode using Private KSN with license "LICENSE-A"
    And "teller" has accepted KSN Statement version 1
    When Private KSN is disabled on "teller"
    And "teller" accepts KSN Statement version 1
    And the KSN Usage task of "teller" is started
    And 5 seconds pass
    And "teller" looks up the file "ledger.xlsx"
    Then "teller" gets an answer
    And the KSN Usage task of "teller" is "running"
