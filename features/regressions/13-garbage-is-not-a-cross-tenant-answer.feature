@license @regression
Feature: Regression: a Private KSN that answers garbage is not a cross-tenant answer
  Found by `ksnsim explore` (issue 13, seed 1, run 11) once generated worlds gave Private endpoints unregistered
  licenses: the Private KSN's garbage fault answers 200 (with a body that is not the contract's) to everyone,
  and the PX-CACHE-4 invariant read a 200 to an unregistered tenant as "came from another tenant's cache", though
  no proxy and no cache was involved. The invariant now judges only proxies' answers
  (harness/src/invariants/no_cross_tenant.rs). The endpoint still gets no verdict.

  # seed: 1329820000679575197 (ksnsim explore --out target/planted/out/EP-STAT-1, run 11)
  @PX-CACHE-4 @seed-1329820000679575197
  Scenario: An unregistered endpoint talking to a Private KSN that answers garbage gets no verdict
    Given a Global KSN
    And a Private KSN with registered licenses "LICENSE-A", "LICENSE-B"
    And an endpoint "ep1" in extended mode using Private KSN with license "LICENSE-NEW"
    And "ep1" has accepted KSN Statement version 1
    When the Private KSN answers garbage
    And "ep1" looks up the file "invoice.exe"
    Then the lookup of "ep1" fails
    And the Global KSN received nothing from "ep1"
