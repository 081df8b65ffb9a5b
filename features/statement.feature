@statement
Feature: The KSN Statement
  KSN is used under a versioned KSN Statement. Nothing is sent before it is accepted; a newer version may be
  accepted or declined (declining keeps the version accepted before); acceptance can be withdrawn in full
  or in part (seeds 000, 001, 003, 004).

  Background:
    Given a Global KSN
    And an endpoint "ep1" in extended mode

  @EP-STMT-1
  Scenario: Nothing is sent before the Statement is accepted
    Given "ep1" has not accepted the KSN Statement
    When "ep1" looks up the file "setup.exe"
    Then "ep1" refuses the lookup itself
    When "ep1" detects 2 threats
    And 5 minutes pass
    Then "ep1" sent nothing at all
    And the Global KSN received nothing from "ep1"

  @EP-STMT-1
  Scenario: Accepting the Statement and starting the task starts KSN use
    Given "ep1" has not accepted the KSN Statement
    When "ep1" accepts KSN Statement version 1
    And the KSN Usage task of "ep1" is started
    And "ep1" looks up the file "setup.exe"
    Then "ep1" gets an answer

  @EP-STMT-2
  Scenario: Declining a newer Statement keeps KSN working under the version accepted before
    Given "ep1" has accepted KSN Statement version 1
    When KSN Statement version 2 is published
    And "ep1" is shown KSN Statement version 2
    And "ep1" declines KSN Statement version 2
    And "ep1" looks up the file "setup.exe"
    Then "ep1" gets an answer
    And "ep1" works under KSN Statement version 1

  @EP-STMT-2
  Scenario: Accepting a newer Statement moves to it
    Given "ep1" has accepted KSN Statement version 1
    When KSN Statement version 2 is published
    And "ep1" accepts KSN Statement version 2
    And "ep1" looks up the file "setup.exe"
    Then "ep1" gets an answer
    And "ep1" works under KSN Statement version 2

  @SRV-STMT-1
  Scenario: A Statement version the server no longer honours is refused
    Given "ep1" has accepted KSN Statement version 1
    When KSN Statement version 2 is published and older versions are retired
    And "ep1" looks up the file "setup.exe"
    Then the lookup of "ep1" fails with "statement_not_accepted"

  @EP-STMT-3
  Scenario: Partial withdrawal stops statistics and deletes the queue; lookups go on
    Given "ep1" has accepted KSN Statement version 1
    When the Global KSN becomes unavailable
    And "ep1" detects 3 threats
    And "ep1" withdraws acceptance of the KSN Statement for statistics
    Then "ep1" has 0 statistics records queued
    And "ep1" reports 3 statistics records deleted on withdrawal
    When the Global KSN recovers
    And "ep1" detects 1 threat
    And 3 minutes pass
    And "ep1" looks up the file "setup.exe"
    Then "ep1" gets an answer
    And the Global KSN received no statistics

  @EP-STMT-3
  Scenario: Full withdrawal stops all KSN traffic
    Given "ep1" has accepted KSN Statement version 1
    When "ep1" looks up the file "setup.exe"
    And "ep1" withdraws acceptance of the KSN Statement
    And "ep1" looks up the file "other.exe"
    Then "ep1" refuses the lookup itself
    When 5 minutes pass
    Then the Global KSN received 1 reputation request

  @EP-STMT-1
  Scenario: Before acceptance no call of any kind goes out: batches and uploads are refused too
    Given "ep1" has not accepted the KSN Statement
    When "ep1" looks up the files "a.exe", "b.exe" in one batch
    Then "ep1" refuses the batch itself
    When "ep1" detects 2 threats
    And "ep1" sends its queued statistics
    Then "ep1" refuses the upload itself
    And "ep1" sent nothing at all

  @EP-STMT-3
  Scenario: A full withdrawal with statistics queued deletes them and stops every kind of call
    Given "ep1" has accepted KSN Statement version 1
    When the Global KSN becomes unavailable
    And "ep1" detects 3 threats
    And "ep1" withdraws acceptance of the KSN Statement
    Then "ep1" has 0 statistics records queued
    And "ep1" reports 3 statistics records deleted on withdrawal
    When the Global KSN recovers
    And "ep1" looks up the files "a.exe", "b.exe" in one batch
    Then "ep1" refuses the batch itself
    When "ep1" sends its queued statistics
    Then "ep1" refuses the upload itself
    When 5 minutes pass
    Then the Global KSN counted 0 statistics records from "ep1"
    And the Global KSN received 0 batch requests for 0 objects

  @EP-STMT-2
  Scenario: Once a newer Statement is accepted, an older one can be neither accepted nor the current one declined
    Given "ep1" has accepted KSN Statement version 1
    When KSN Statement version 2 is published
    And "ep1" accepts KSN Statement version 2
    Then "ep1" cannot accept KSN Statement version 1
    And "ep1" cannot decline KSN Statement version 2
    And "ep1" cannot be shown KSN Statement version 2
    And "ep1" works under KSN Statement version 2

  @EP-STMT-3
  Scenario: Withdrawing statistics and then the rest stops everything; accepting again resumes
    Given "ep1" has accepted KSN Statement version 1
    When "ep1" withdraws acceptance of the KSN Statement for statistics
    And "ep1" withdraws acceptance of the KSN Statement
    And "ep1" looks up the file "a.exe"
    Then "ep1" refuses the lookup itself
    When "ep1" accepts KSN Statement version 1
    And "ep1" looks up the file "a.exe"
    Then "ep1" gets an answer
    And "ep1" works under KSN Statement version 1

  @EP-STMT-3
  Scenario: After a full withdrawal the KSN Usage task does not start again until the Statement is accepted
    Given "ep1" has accepted KSN Statement version 1
    When "ep1" withdraws acceptance of the KSN Statement
    And the KSN Usage task of "ep1" is stopped
    And the KSN Usage task of "ep1" is started
    Then the KSN Usage task of "ep1" is "stopped"
    When "ep1" accepts KSN Statement version 1
    And the KSN Usage task of "ep1" is started
    Then the KSN Usage task of "ep1" is "running"
