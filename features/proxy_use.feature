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
