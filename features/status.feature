@status
Feature: What the application reports about KSN
  The status shows the mode in effect, "unavailable" when the last successful exchange with KSN is older
  than 15 minutes, and "enabled with restrictions" while KSN rate-limits the client (seed 002).

  Background:
    Given a Global KSN
    And an endpoint "ep1" in extended mode
    And "ep1" has accepted KSN Statement version 1

  @EP-STATUS-1
  Scenario: KSN is unavailable after 15 minutes without a successful exchange
    When "ep1" looks up the file "a.exe"
    Then "ep1" reports "Extended"
    When "ep1" is cut off from the Global KSN
    And 10 minutes pass
    Then "ep1" reports "Extended"
    When 6 minutes pass
    Then "ep1" reports "Extended, unavailable"
    When "ep1" is reconnected to the Global KSN
    And "ep1" looks up the file "b.exe"
    Then "ep1" reports "Extended"

  @EP-STATUS-1
  Scenario Outline: Only a successful exchange keeps KSN available: 15 minutes of failed ones make it unavailable
    When "ep1" looks up the file "a.exe"
    Then "ep1" reports "Extended"
    When the Global KSN <fails>
    And 8 minutes pass
    And "ep1" looks up the file "b.exe"
    And 8 minutes pass
    And "ep1" looks up the file "c.exe"
    Then the lookup of "ep1" fails
    And "ep1" reports "Extended, unavailable"
    When the Global KSN recovers
    And "ep1" looks up the file "d.exe"
    Then "ep1" reports "Extended"

    Examples:
      | fails                           |
      | becomes unavailable             |
      | answers garbage                 |
      | closes connections mid-answer   |
      | stops answering                 |

  @EP-STATUS-1
  Scenario: Basic and Off read as such
    Given an endpoint "lab" in basic mode
    And "lab" has accepted KSN Statement version 1
    And an endpoint "off" in off mode
    Then "lab" reports "Basic"
    And "off" reports "Off"

  @EP-RATE-1
  Scenario: A 429 with Retry-After is honoured and the status says "enabled with restrictions"
    When the Global KSN rate-limits clients for 120 seconds
    And "ep1" looks up the file "a.exe"
    Then the lookup of "ep1" fails with "rate_limited"
    And "ep1" reports "Extended, enabled with restrictions"
    When the Global KSN recovers
    And "ep1" looks up the file "b.exe"
    Then "ep1" refuses the lookup itself
    When 2 minutes pass
    And "ep1" looks up the file "b.exe"
    Then "ep1" gets an answer
    And "ep1" reports "Extended"

  @EP-RATE-1
  Scenario: A running Retry-After holds back every kind of call: batches, uploads and license checks too
    Given a Private KSN with registered license "LICENSE-A"
    And an endpoint "bank" in extended mode using Private KSN with license "LICENSE-A"
    And "bank" has accepted KSN Statement version 1
    When the Private KSN rate-limits clients for 120 seconds
    And "bank" looks up the file "a.exe"
    Then the lookup of "bank" fails with "rate_limited"
    When "bank" detects 2 threats
    And the Private KSN recovers
    And "bank" looks up the files "b.exe", "c.exe" in one batch
    Then "bank" refuses the batch itself
    When "bank" sends its queued statistics
    Then "bank" refuses the upload itself
    When "bank" checks its license
    Then "bank" refuses the license check itself
    And the Private KSN received 0 batch requests for 0 objects
    And the Private KSN counted 0 statistics records from "bank"
    When 2 minutes pass
    And "bank" sends its queued statistics
    Then the Private KSN counted 2 statistics records from "bank"
    And "bank" has 0 statistics records queued

  @EP-STATUS-1
  Scenario: A stopped KSN Usage task reads as stopped, not as KSN being unavailable
    When the KSN Usage task of "ep1" is stopped
    Then "ep1" reports "Extended, task stopped"

  @EP-RATE-1 @EP-STAT-1
  Scenario: Statistics held back by a Retry-After go out on their own as soon as it runs out
    When 5 minutes pass
    And the Global KSN rate-limits clients for 100 seconds
    And "ep1" detects 2 threats
    And "ep1" sends its queued statistics
    Then "ep1" has 2 statistics records queued
    When the Global KSN recovers
    And 102 seconds pass
    Then the Global KSN counted 2 statistics records from "ep1"
