@proxy
Feature: KSN proxy caching
  The KSN proxy on a distribution point relays requests of devices that have no Internet access, and caches
  what it relays to spare the outbound channel and the waiting (seeds 000, 001, 002).

  Background:
    Given a Global KSN
    And the KSN servers give verdicts a ttl of 600 seconds
    And a distribution point "dp1" with a KSN proxy for the Global KSN
    And an endpoint "ep1" in extended mode behind "dp1"
    And "ep1" has accepted KSN Statement version 1
    And an endpoint "ep2" in extended mode behind "dp1"
    And "ep2" has accepted KSN Statement version 1

  @PX-FWD-1
  Scenario: An endpoint without Internet access gets verdicts through the proxy
    When "ep1" looks up the file "invoice.exe"
    Then "ep1" gets an answer
    And "dp1" answered "ep1" from upstream
    And the Global KSN received 1 reputation request for the file "invoice.exe"

  @PX-CACHE-1
  Scenario: Identical lookups from several endpoints cost one upstream request
    When "ep1" looks up the file "invoice.exe"
    And "ep2" looks up the file "invoice.exe"
    Then "dp1" answered "ep2" from its cache
    And the Global KSN received 1 reputation request

  @PX-CACHE-2
  Scenario: The proxy fetches again once the ttl has run out
    When "ep1" looks up the file "invoice.exe"
    And 11 minutes pass
    And "ep2" looks up the file "invoice.exe"
    Then "dp1" answered "ep2" from upstream
    And the Global KSN received 2 reputation requests for the file "invoice.exe"

  @PX-CACHE-3 @PX-ERR-3
  Scenario Outline: An answer that is not a verdict for the object asked is never cached
    When the Global KSN <answers>
    And "ep1" looks up the file "invoice.exe"
    Then the lookup of "ep1" fails
    When the Global KSN recovers
    And "ep2" looks up the file "invoice.exe"
    Then "ep2" gets an answer
    And "dp1" answered "ep2" from upstream

    Examples:
      | answers                                 |
      | becomes unavailable                     |
      | rate-limits clients for 60 seconds      |
      | answers garbage                         |
      | answers with verdicts for other objects |
      | closes connections mid-answer           |

  @PX-CACHE-5
  Scenario: A batch is answered partly from cache and only the misses go upstream
    When "ep1" looks up the file "a.dll"
    And "ep2" looks up the files "a.dll", "b.dll", "c.dll" in one batch
    Then "ep2" gets an answer
    And the Global KSN received 1 batch request for 2 objects

  @PX-CACHE-5
  Scenario: A batch whose every verdict is cached costs nothing upstream
    When "ep1" looks up the files "a.dll", "b.dll" in one batch
    And "ep2" looks up the files "b.dll", "a.dll" in one batch
    Then "ep2" gets an answer
    And "dp1" answered "ep2" from its cache
    And the Global KSN received 1 batch request for 2 objects

  @PX-CACHE-6
  Scenario: Concurrent identical misses are coalesced into one upstream request
    When the Global KSN answers only after 800 milliseconds
    And "ep1" and "ep2" look up the file "popular.exe" at the same time
    Then "ep1" gets an answer
    And "ep2" gets an answer
    And the Global KSN received 1 reputation request for the file "popular.exe"

  @PX-CACHE-7
  Scenario: A bounded cache evicts the least recently used verdict
    Given the KSN proxy "dp1" keeps at most 2 verdicts
    When "ep1" looks up the file "a.exe"
    And "ep1" looks up the file "b.exe"
    And "ep1" looks up the file "c.exe"
    And "ep2" looks up the file "c.exe"
    And "ep2" looks up the file "a.exe"
    Then "dp1" answered "ep2" from its cache 1 time
    And the Global KSN received 2 reputation requests for the file "a.exe"

  @PX-CACHE-7
  Scenario: A verdict used again outlives one that was stored after it but not used (LRU, not FIFO)
    Given the KSN proxy "dp1" keeps at most 2 verdicts
    And an endpoint "ep3" in extended mode behind "dp1"
    And "ep3" has accepted KSN Statement version 1
    When "ep1" looks up the file "a.exe"
    And "ep1" looks up the file "b.exe"
    And "ep2" looks up the file "a.exe"
    And "ep1" looks up the file "c.exe"
    And "ep3" looks up the file "a.exe"
    And "ep3" looks up the file "b.exe"
    Then "dp1" answered "ep3" from its cache 1 time
    And the Global KSN received 1 reputation request for the file "a.exe"
    And the Global KSN received 2 reputation requests for the file "b.exe"

  @PX-STAT-2
  Scenario: Statistics are relayed every time, never answered from a cache
    When "ep1" detects 1 threat
    And "ep1" sends its queued statistics
    And "ep1" detects 1 threat
    And "ep1" sends its queued statistics
    Then the Global KSN counted 2 statistics records from "ep1"
    And "dp1" answered "ep1" from its cache 0 times
