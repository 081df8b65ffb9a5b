@statement @regression
Feature: Regression: a full withdrawal while an upload is resolving the KSN name stops that upload
  Found by `ksnsim run --seeds 100 --seed 3` (issue 13), seed 12 of statement.feature's full-withdrawal
  scenario: the uploader was admitted, the user withdrew acceptance while it resolved ksn.global.test, and the
  upload went out anyway (EP-STMT-1 violated; the Global KSN counted the 3 records). The agent now admits a call
  again at the moment it sends it (reference/src/agent/exchange.rs, `readmit`).

  # seed: 6834043003922954570 (ksnsim run --seeds 100 --seed 3, features/statement.feature:91#12)
  @EP-STMT-3 @EP-STMT-1 @seed-6834043003922954570
  Scenario: Statistics queued at a full withdrawal never leave, even when an upload was already on its way
    Given a Global KSN
    And an endpoint "ep1" in extended mode
    And "ep1" has accepted KSN Statement version 1
    When the Global KSN becomes unavailable
    And "ep1" detects 3 threats
    And "ep1" withdraws acceptance of the KSN Statement
    Then "ep1" has 0 statistics records queued
    And "ep1" reports 3 statistics records deleted on withdrawal
    When the Global KSN recovers
    And 5 minutes pass
    Then the Global KSN counted 0 statistics records from "ep1"
