@modes @regression
Feature: Regression: a device's own settings and its policy survive a restart
  Found by `ksnsim explore features/statistics.feature:13 --runs 80` (issue 13), run 6, without any planted
  bug: a policy enforced Basic mode on ep1, ep1 restarted, and its agent came back with the settings it was
  installed with (extended mode, no policy): its next detection went to the Global KSN as statistics
  (EP-MODE-1 violated). The agent kept only consent, task and queue across a restart; it now keeps its own
  settings and the last policy too (reference/src/agent/endpoint.rs, `Persisted`).

  Background:
    Given a Global KSN
    And a distribution point "dp1" with a KSN proxy for the Global KSN
    And an endpoint "ep1" in extended mode behind "dp1"
    And "ep1" has accepted KSN Statement version 1

  # seed: 7292729407340812116 (ksnsim explore features/statistics.feature:13 --runs 80, run 6)
  @EP-MODE-1 @EP-POL-1 @seed-7292729407340812116
  Scenario: A policy that enforces Basic mode still holds after a restart
    When a policy enforces basic mode on "ep1"
    And "ep1" restarts
    And "ep1" detects 1 threat
    And 3 minutes pass
    Then the Global KSN received no statistics
    And "ep1" reports "Basic"

  @EP-MODE-1 @EP-MODE-2
  Scenario: A user's switch to Basic mode still holds after a restart
    When "ep1" switches to basic mode
    And "ep1" restarts
    And "ep1" detects 2 threats
    And "ep1" sends its queued statistics
    And 3 minutes pass
    Then the Global KSN received no statistics
    And "ep1" reports "Basic"

  @EP-PROXY-1
  Scenario: A device told to stop using the KSN proxy still goes direct after a restart
    When "ep1" stops using the KSN proxy
    And "ep1" restarts
    And "ep1" looks up the file "invoice.exe"
    Then "ep1" gets an answer
    And "dp1" received 0 requests from "ep1"
