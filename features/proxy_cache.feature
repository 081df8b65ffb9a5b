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

  @PX-CACHE-3
  Scenario: An error answer is never cached
    When the Global KSN becomes unavailable
    And "ep1" looks up the file "invoice.exe"
    Then the lookup of "ep1" fails with "unavailable"
    When the Global KSN recovers
    And "ep2" looks up the file "invoice.exe"
    Then "ep2" gets an answer
    And "dp1" answered "ep2" from upstream

  @PX-CACHE-5
  Scenario: A batch is answered partly from cache and only the misses go upstream
    When "ep1" looks up the file "a.dll"
    And "ep2" looks up the files "a.dll", "b.dll", "c.dll" in one batch
    Then "ep2" gets an answer
    And the Global KSN received 1 batch request for 2 objects
