@statistics
Feature: Statistics are never lost
  In extended mode the application sends statistics; none may be lost across proxy, server and network
  outages and restarts, and none counted twice (seeds 001, 002).

  Background:
    Given a Global KSN
    And a distribution point "dp1" with a KSN proxy for the Global KSN
    And an endpoint "ep1" in extended mode behind "dp1"
    And "ep1" has accepted KSN Statement version 1

  @EP-STAT-1 @PX-STAT-1
  Scenario: Statistics survive a proxy outage and an endpoint restart, and are counted once
    When "ep1" detects 5 threats
    And "dp1" goes down
    And "ep1" sends its queued statistics
    And "ep1" restarts
    And "dp1" comes back
    And 3 minutes pass
    Then the Global KSN counted 5 statistics records from "ep1"
    And "ep1" has 0 statistics records queued

  @PX-STAT-1 @SRV-STAT-1
  Scenario: An upload whose answer is cut off is sent again under the same key and counted once
    When the Global KSN closes connections mid-answer
    And "ep1" detects 4 threats
    And "ep1" sends its queued statistics
    Then "ep1" has 4 statistics records queued
    When the Global KSN recovers
    And 3 minutes pass
    Then the Global KSN counted 4 statistics records from "ep1"
    And "ep1" has 0 statistics records queued

  @PX-STAT-1
  Scenario: The proxy never acknowledges what the server did not accept
    When the Global KSN becomes unavailable
    And "ep1" detects 2 threats
    And "ep1" sends its queued statistics
    Then "ep1" has 2 statistics records queued
    And the Global KSN counted 0 statistics records from "ep1"

  @EP-STAT-1
  Scenario: A full queue counts what it could not keep
    Given the statistics queue of "ep1" holds at most 3 records
    When the Global KSN becomes unavailable
    And "ep1" detects 5 threats
    Then "ep1" has 3 statistics records queued
    And "ep1" reports 2 statistics records lost to overflow

  @EP-STAT-1
  Scenario: Statistics sent over a lossy link arrive once
    When the link between "ep1" and "dp1" loses 20% of messages
    And "ep1" detects 6 threats
    And 10 minutes pass
    Then the Global KSN counted 6 statistics records from "ep1"

  @EP-STAT-1
  Scenario: The agent keeps sending newly detected threats in the background, a minute apart
    When "ep1" detects 2 threats
    And 2 minutes pass
    Then the Global KSN counted 2 statistics records from "ep1"
    When "ep1" detects 3 threats
    And 2 minutes pass
    Then the Global KSN counted 5 statistics records from "ep1"
    And "ep1" has 0 statistics records queued

  @EP-STAT-1
  Scenario: Threats detected while an upload waits to be acknowledged are sent after it, and none is lost
    When the Global KSN becomes unavailable
    And "ep1" detects 2 threats
    And "ep1" sends its queued statistics
    And "ep1" detects 3 threats
    And "ep1" sends its queued statistics
    Then "ep1" has 5 statistics records queued
    When the Global KSN recovers
    And 5 minutes pass
    Then the Global KSN counted 5 statistics records from "ep1"
    And "ep1" has 0 statistics records queued

  @EP-MODE-1 @EP-STAT-1
  Scenario: Statistics kept through a spell in basic mode go out within a minute of returning to extended mode
    When "ep1" detects 3 threats
    And "ep1" switches to basic mode
    And 20 minutes pass
    Then the Global KSN counted 0 statistics records from "ep1"
    When "ep1" switches to extended mode
    And 61 seconds pass
    Then the Global KSN counted 3 statistics records from "ep1"

  @EP-STAT-1
  Scenario Outline: Records stay queued through every failure of the statistics server, and are counted once it accepts them
    Given an endpoint "solo" in extended mode
    And "solo" has accepted KSN Statement version 1
    When the Global KSN <fails>
    And "<who>" detects 3 threats
    And "<who>" sends its queued statistics
    Then "<who>" has 3 statistics records queued
    When the Global KSN recovers
    And 3 minutes pass
    Then the Global KSN counted 3 statistics records from "<who>"
    And "<who>" has 0 statistics records queued

    Examples:
      | who  | fails                         |
      | solo | becomes unavailable           |
      | solo | answers garbage               |
      | solo | closes connections mid-answer |
      | solo | stops answering               |
      | ep1  | becomes unavailable           |
      | ep1  | answers garbage               |
      | ep1  | closes connections mid-answer |
      | ep1  | stops answering               |
