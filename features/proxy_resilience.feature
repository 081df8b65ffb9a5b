@proxy
Feature: KSN proxy under failure
  A proxy that cannot reach its upstream says so quickly, verifies whom it talks to, survives bad clients,
  works in a chain, and may stand in with a stale verdict (seeds 000, 003).

  Background:
    Given a Global KSN
    And the KSN servers give verdicts a ttl of 60 seconds
    And an Administration Server proxy "as" for the Global KSN
    And a distribution point "dp1" with a KSN proxy chained to "as"
    And an endpoint "ep1" in extended mode behind "dp1"
    And "ep1" has accepted KSN Statement version 1
    And an endpoint "ep2" in extended mode behind "dp1"
    And "ep2" has accepted KSN Statement version 1

  @PX-CHAIN-1
  Scenario: A distribution point chained to the Administration Server proxy reaches KSN
    Given a distribution point "dp2" with a KSN proxy chained to "as"
    And an endpoint "ep3" in extended mode behind "dp2"
    And "ep3" has accepted KSN Statement version 1
    When "ep1" looks up the file "tool.exe"
    And "ep3" looks up the file "tool.exe"
    Then "ep3" gets an answer
    And "as" answered "dp2" from its cache
    And the Global KSN received 1 reputation request

  @PX-ERR-1
  Scenario: An unreachable upstream is a 502, quickly
    When "as" is cut off from the Global KSN
    And "ep1" looks up the file "tool.exe"
    Then the lookup of "ep1" fails with "upstream_unavailable"

  @PX-ERR-1
  Scenario: A silent upstream is a 504 within the proxy's bound
    Given the KSN proxy "as" waits at most 3 seconds for its upstream
    When the Global KSN stops answering
    And "ep1" looks up the file "tool.exe"
    Then the lookup of "ep1" fails with "upstream_timeout"

  @PX-ERR-2
  Scenario: Malformed and oversized requests are refused and everyone else is still served
    When a broken client on "ep1" sends GET "/v1/reputation/file/not-a-hash" to "dp1"
    Then the broken client on "ep1" gets 400 "bad_request"
    When a broken client on "ep1" sends POST "/v1/reputation/batch" with 101 objects to "dp1"
    Then the broken client on "ep1" gets 413 "too_large"
    When a broken client on "ep1" sends POST "/v1/statistics" with 2000000 bytes to "dp1"
    Then the broken client on "ep1" gets 413 "too_large"
    When "ep2" looks up the file "tool.exe"
    Then "ep2" gets an answer

  @PX-TLS-1
  Scenario: An upstream whose certificate is not trusted gets nothing
    Given a distribution point "dp9" with a KSN proxy for the Global KSN
    And the name of the Global KSN resolves to the rogue server for "dp9"
    And an endpoint "ep9" in extended mode behind "dp9"
    And "ep9" has accepted KSN Statement version 1
    When "ep9" looks up the file "tool.exe"
    Then the lookup of "ep9" fails with "upstream_unavailable"
    And the rogue server received no request

  @PX-TLS-1
  Scenario: An upstream with a trusted certificate for another name gets nothing
    Given a distribution point "dp8" with a KSN proxy for the Global KSN
    And the name of the Global KSN resolves to the impostor for "dp8"
    And an endpoint "ep8" in extended mode behind "dp8"
    And "ep8" has accepted KSN Statement version 1
    When "ep8" looks up the file "tool.exe"
    Then the lookup of "ep8" fails with "upstream_unavailable"
    And the impostor received no request

  @PX-STALE-1
  Scenario: A stale verdict stands in while the upstream is down, and says so
    Given the KSN proxy "dp1" serves stale verdicts for 600 seconds
    When "ep1" looks up the file "tool.exe"
    And 2 minutes pass
    And "dp1" is cut off from "as"
    And "ep2" looks up the file "tool.exe"
    Then "ep2" gets an answer
    And "dp1" answered "ep2" with a stale verdict

  @PX-TLS-1
  Scenario: An upstream certificate that has expired is not trusted either
    When "ep1" looks up the file "tool.exe"
    Then "ep1" gets an answer
    When the wall clock moves forward 400 days
    And "ep2" looks up the file "other.exe"
    Then the lookup of "ep2" fails with "upstream_unavailable"
    And the Global KSN received 1 reputation request

  @PX-STALE-1
  Scenario: A batch whose every object has a verdict, fresh or stale, stands in while the upstream is down
    Given the KSN proxy "dp1" serves stale verdicts for 600 seconds
    When "ep1" looks up the files "a.dll", "b.dll" in one batch
    And 2 minutes pass
    And "ep1" looks up the file "c.dll"
    And "dp1" is cut off from "as"
    And "ep2" looks up the files "a.dll", "b.dll", "c.dll" in one batch
    Then "ep2" gets an answer
    And "dp1" answered "ep2" with a stale verdict

  @PX-STALE-1 @PX-FWD-1
  Scenario Outline: A stale verdict never stands in for an answer the upstream gave
    Given the KSN proxy "dp1" serves stale verdicts for 600 seconds
    When "ep1" looks up the file "tool.exe"
    And 2 minutes pass
    And <upstream answers>
    And "ep2" looks up the file "tool.exe"
    Then the lookup of "ep2" fails with "<error>"

    Examples:
      | upstream answers                                                    | error                  |
      | the Global KSN rate-limits clients for 60 seconds                   | rate_limited           |
      | KSN Statement version 2 is published and older versions are retired | statement_not_accepted |

  @PX-STALE-1
  Scenario: Stale verdicts do not stand in for a batch while the upstream is up
    Given the KSN proxy "dp1" serves stale verdicts for 600 seconds
    When "ep1" looks up the files "a.dll", "b.dll" in one batch
    And 2 minutes pass
    And "ep2" looks up the files "a.dll", "b.dll" in one batch
    Then "ep2" gets an answer
    And "dp1" answered "ep2" from upstream
    And the Global KSN received 2 batch requests for 4 objects

  @PX-STALE-1 @PX-CHAIN-1
  Scenario: A stale verdict stands in when the proxy up the chain answers that the KSN is down
    Given the KSN proxy "dp1" serves stale verdicts for 600 seconds
    When "ep1" looks up the file "tool.exe"
    And 2 minutes pass
    And "as" is cut off from the Global KSN
    And "ep2" looks up the file "tool.exe"
    Then "ep2" gets an answer
    And "dp1" answered "ep2" with a stale verdict

  @PX-STALE-1
  Scenario: A stale verdict does not stand in while the upstream answers
    Given the KSN proxy "dp1" serves stale verdicts for 600 seconds
    When "ep1" looks up the file "tool.exe"
    And 2 minutes pass
    And "ep2" looks up the file "tool.exe"
    Then "ep2" gets an answer
    And "dp1" answered "ep2" from upstream
    And the Global KSN received 2 reputation requests for the file "tool.exe"
