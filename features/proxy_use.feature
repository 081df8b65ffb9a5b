@proxy-use
Feature: Using the KSN proxy from an endpoint
  With "use KSN proxy" set, all KSN traffic goes through the proxy; when it is down the endpoint goes to the
  KSN servers directly only if "use KSN servers when the proxy is unavailable" is set (seed 003).

  Background:
    Given a Global KSN
    And a distribution point "dp1" with a KSN proxy for the Global KSN
    And an endpoint "ep1" in extended mode behind "dp1"
    And "ep1" has accepted KSN Statement version 1

  @EP-PROXY-1
  Scenario: All KSN traffic goes through the proxy
    When "ep1" looks up the file "tool.exe"
    And "ep1" detects 1 threat
    And "ep1" sends its queued statistics
    Then every request "ep1" sent went to "dp1"
    And "ep1" never asked a public DNS server
    And the Global KSN counted 1 statistics record from "ep1"

  @EP-PROXY-1
  Scenario: With the proxy down and no direct use allowed, nothing goes direct
    When "dp1" goes down
    And "ep1" looks up the file "tool.exe"
    Then the lookup of "ep1" fails
    And the Global KSN received nothing from "ep1"

  @EP-PROXY-1
  Scenario: With the proxy down and direct use allowed, the endpoint goes to KSN itself
    Given "ep1" may use KSN servers when the proxy is unavailable
    When "dp1" goes down
    And "ep1" looks up the file "tool.exe"
    Then "ep1" gets an answer
    And the Global KSN received 1 reputation request for the file "tool.exe"

  @EP-PROXY-1 @EP-POL-1
  Scenario: A policy that forbids direct use overrides a local permission when the proxy is down
    Given "ep1" may use KSN servers when the proxy is unavailable
    When a policy forbids "ep1" to use KSN servers when the proxy is unavailable
    And "dp1" goes down
    And "ep1" looks up the file "tool.exe"
    Then the lookup of "ep1" fails
    And the Global KSN received nothing from "ep1"

  @EP-PROXY-1 @EP-POL-1
  Scenario: A policy that allows direct use overrides a local refusal when the proxy is down
    When a policy allows "ep1" to use KSN servers when the proxy is unavailable
    And "dp1" goes down
    And "ep1" looks up the file "tool.exe"
    Then "ep1" gets an answer
    And the Global KSN received 1 reputation request for the file "tool.exe"

  @EP-PROXY-1 @EP-POL-1
  Scenario: A policy that forbids the proxy overrides the local setting: the endpoint goes to KSN itself
    When a policy forbids use of the KSN proxy on "ep1"
    And "ep1" looks up the file "tool.exe"
    Then "ep1" gets an answer
    And "dp1" received 0 requests from "ep1"

  @EP-PROXY-1 @EP-POL-1
  Scenario: A policy that enforces the proxy overrides a local choice to go without it
    When "ep1" stops using the KSN proxy
    And a policy enforces use of the KSN proxy on "ep1"
    And "ep1" looks up the file "tool.exe"
    Then "ep1" gets an answer
    And every request "ep1" sent went to "dp1"

  @EP-PROXY-1 @EP-LIC-1 @EP-LIC-3
  Scenario: A Private KSN endpoint whose proxy is down goes to its Private KSN, never to the Global KSN
    Given a Private KSN with registered license "LICENSE-A"
    And a distribution point "kpsn-dp" with a KSN proxy for the Private KSN
    And an endpoint "bank" in extended mode behind "kpsn-dp" using Private KSN with license "LICENSE-A"
    And "bank" has accepted KSN Statement version 1
    And "bank" may use KSN servers when the proxy is unavailable
    When "kpsn-dp" goes down
    And "bank" looks up the file "ledger.xlsx"
    Then "bank" gets an answer
    When "bank" detects 2 threats
    And "bank" sends its queued statistics
    Then the Private KSN counted 2 statistics records from "bank"
    And the Global KSN received nothing from "bank"

  @EP-RATE-1 @PX-FWD-1
  Scenario: A 429 reaches the endpoint through the proxy with its Retry-After, and the endpoint honours it
    When the Global KSN rate-limits clients for 120 seconds
    And "ep1" looks up the file "a.exe"
    Then the lookup of "ep1" fails with "rate_limited"
    And "ep1" reports "Extended, enabled with restrictions"
    When the Global KSN recovers
    And 90 seconds pass
    And "ep1" looks up the file "b.exe"
    Then "ep1" refuses the lookup itself
    When 40 seconds pass
    And "ep1" looks up the file "b.exe"
    Then "ep1" gets an answer
