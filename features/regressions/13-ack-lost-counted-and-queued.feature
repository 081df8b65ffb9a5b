@statistics @regression
Feature: Regression: a statistics upload whose 202 is lost is counted and still queued, and that is no loss
  Found by `ksnsim run --seeds 20` (issue 13): under seed 4 of the lossy-link scenario of statistics.feature, the
  server counted the 6 records but its 202 never reached the endpoint, so the records were still queued at the
  end. The EP-STAT-1 invariant called that "6 counted twice"; the retry carries the same Idempotency-Key and the
  server counts it once, so nothing was counted twice. Replays the same world with the seed pinned.

  # seed: 8721944827471185759 (ksnsim run --seeds 20, base seed 1, features/statistics.feature:51#4)
  @EP-STAT-1 @seed-8721944827471185759
  Scenario: The 202 of an upload is lost on a lossy link; the records are counted once and still queued
    Given a Global KSN
    And a distribution point "dp1" with a KSN proxy for the Global KSN
    And an endpoint "ep1" in extended mode behind "dp1"
    And "ep1" has accepted KSN Statement version 1
    When the link between "ep1" and "dp1" loses 20% of messages
    And "ep1" detects 6 threats
    And 10 minutes pass
    Then the Global KSN counted 6 statistics records from "ep1"
    And "ep1" has 6 statistics records queued
