@modes
Feature: Ways to take part in KSN
  KSN with statistics (extended), without statistics (basic), saving statistics to file, or not taking part;
  a policy may enforce the mode (seeds 001, 002, 003).

  Background:
    Given a Global KSN

  @EP-MODE-1 @SRV-STAT-1
  Scenario: Extended mode sends lookups and statistics
    Given an endpoint "ep1" in extended mode
    And "ep1" has accepted KSN Statement version 1
    When "ep1" looks up the file "tool.exe"
    Then "ep1" gets an answer
    When "ep1" detects 3 threats
    And "ep1" sends its queued statistics
    Then the Global KSN counted 3 statistics records from "ep1"

  @EP-MODE-1
  Scenario: Basic mode looks up but never sends statistics
    Given an endpoint "lab" in basic mode
    And "lab" has accepted KSN Statement version 1
    When "lab" looks up the file "tool.exe"
    Then "lab" gets an answer
    When "lab" detects 2 threats
    And 3 minutes pass
    Then the Global KSN received no statistics

  @EP-MODE-2
  Scenario: Save to file: no requests; one JSON file a day, each earlier day packed into its own TAR archive
    Given an endpoint "air" in save-to-file mode
    And "air" has accepted KSN Statement version 1
    When "air" detects 2 threats
    Then "air" has a statistics file for today with 2 records
    When the date changes to the next day
    And "air" detects 1 threat
    Then "air" has a TAR archive for 1 day ago with 2 records and no JSON file for that day
    And "air" has a statistics file for today with 1 record
    When "air" looks up the file "tool.exe"
    Then "air" refuses the lookup itself, saying "participation mode save to file does not send requests"
    And "air" sent nothing at all

  @EP-MODE-3
  Scenario: Not taking part: no KSN traffic at all
    Given an endpoint "off" in off mode
    And "off" has accepted KSN Statement version 1
    When "off" looks up the file "tool.exe"
    Then "off" refuses the lookup itself, saying "participation mode off does not send requests"
    When "off" detects 1 threat
    And 3 minutes pass
    Then "off" sent nothing at all

  @EP-MODE-3
  Scenario: An endpoint that starts taking part sends from then on
    Given an endpoint "off" in off mode
    And "off" has accepted KSN Statement version 1
    When "off" looks up the file "tool.exe"
    Then "off" refuses the lookup itself
    When "off" switches to extended mode
    And "off" looks up the file "tool.exe"
    Then "off" gets an answer

  @EP-POL-1
  Scenario: An enforced policy overrides the local mode; an undefined one leaves the local value
    Given an endpoint "ep1" in extended mode
    And "ep1" has accepted KSN Statement version 1
    When a policy enforces basic mode on "ep1"
    Then "ep1" reports "Basic"
    When "ep1" switches to extended mode
    Then "ep1" reports "Basic"
    When a policy leaves the mode of "ep1" undefined
    Then "ep1" reports "Extended"

  @EP-MODE-3
  Scenario: Off and save-to-file refuse batches and uploads too
    Given an endpoint "off" in off mode
    And an endpoint "air" in save-to-file mode
    And "off" has accepted KSN Statement version 1
    And "air" has accepted KSN Statement version 1
    When "off" looks up the files "a.exe", "b.exe" in one batch
    Then "off" refuses the batch itself
    When "air" looks up the files "a.exe", "b.exe" in one batch
    Then "air" refuses the batch itself
    When "air" detects 1 threat
    And "air" sends its queued statistics
    Then "air" refuses the upload itself
    And "off" sent nothing at all
    And "air" sent nothing at all
