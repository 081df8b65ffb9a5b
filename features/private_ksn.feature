@license
Feature: Private KSN, tenants and license keys
  Private KSN gives reputation without sending data out, authenticated by the license key. After a license
  change the new key must be registered with the provider, or data exchange fails with an authentication
  error (seeds 001, 002, 004).

  Background:
    Given a Global KSN
    And a Private KSN with registered licenses "LICENSE-A", "LICENSE-B"
    And a distribution point "kpsn-dp" with a KSN proxy for the Private KSN
    And an endpoint "bank" in extended mode behind "kpsn-dp" using Private KSN with license "LICENSE-A"
    And "bank" has accepted KSN Statement version 1

  @EP-LIC-1 @SRV-AUTH-1
  Scenario: A new license the provider has not registered: authentication error, no fallback, recovery
    When "bank" looks up the file "payroll.xlsx"
    Then "bank" gets an answer
    When the license of "bank" changes to "LICENSE-NEW"
    And "bank" looks up the file "ledger.xlsx"
    Then the lookup of "bank" fails with "license_not_registered"
    And "bank" reports "authentication error"
    When "bank" looks up the file "ledger.xlsx"
    Then "bank" refuses the lookup itself
    When "bank" checks its license
    Then "bank" reports "authentication error"
    And the Global KSN received nothing from "bank"
    When the provider registers the license "LICENSE-NEW"
    And "bank" checks its license
    Then "bank" reports "Extended"
    When "bank" looks up the file "ledger.xlsx"
    Then "bank" gets an answer

  @EP-LIC-1
  Scenario: The agent checks the license again by itself and recovers once it is registered
    When the license of "bank" changes to "LICENSE-NEW"
    And "bank" looks up the file "ledger.xlsx"
    Then "bank" reports "authentication error"
    When the provider registers the license "LICENSE-NEW"
    And 6 minutes pass
    Then "bank" reports "Extended"

  @EP-LIC-1 @SRV-AUTH-1
  Scenario: A license the provider stops honouring: authentication error at once, no fallback, recovery
    When "bank" looks up the file "payroll.xlsx"
    Then "bank" gets an answer
    When the provider removes the license "LICENSE-A"
    And "bank" looks up the file "ledger.xlsx"
    Then the lookup of "bank" fails with "license_not_registered"
    And "bank" reports "authentication error"
    And the Global KSN received nothing from "bank"
    When the provider registers the license "LICENSE-A"
    And "bank" checks its license
    Then "bank" reports "Extended"
    When "bank" looks up the file "ledger.xlsx"
    Then "bank" gets an answer

  @EP-LIC-1 @PX-TYPE-1
  Scenario: An endpoint given a registered license moves from the Global KSN to the Private KSN
    Given an endpoint "ep1" in extended mode
    And "ep1" has accepted KSN Statement version 1
    When "ep1" looks up the file "tool.exe"
    Then "ep1" gets an answer
    When the license of "ep1" changes to "LICENSE-B"
    And "ep1" looks up the file "ledger.xlsx"
    Then "ep1" gets an answer
    And the Private KSN received 1 reputation request for the file "ledger.xlsx"
    And the Global KSN received 1 reputation request

  @EP-LIC-2
  Scenario: Disabling Private KSN under a running task is a license violation until accepted and restarted
    When Private KSN is disabled on "bank"
    Then the KSN Usage task of "bank" is "license violation"
    And "bank" reports "license violation"
    When the KSN Usage task of "bank" is started
    Then the KSN Usage task of "bank" is "license violation"
    When "bank" accepts KSN Statement version 1
    Then the KSN Usage task of "bank" is "license violation"
    When the KSN Usage task of "bank" is started
    Then the KSN Usage task of "bank" is "running"

  @EP-LIC-3 @PX-TYPE-1
  Scenario: With Private KSN accepted, the Global KSN settings do not apply and nothing goes to Global KSN
    Given an endpoint "branch" in basic mode behind "kpsn-dp" using Private KSN with license "LICENSE-B"
    And "branch" has accepted KSN Statement version 1
    Then "branch" reports "Extended"
    When "branch" looks up the file "ledger.xlsx"
    And "branch" detects 2 threats
    And "branch" sends its queued statistics
    Then the Private KSN counted 2 statistics records from "branch"
    And the Global KSN received nothing from "branch"
    And the Global KSN received 0 reputation requests

  @PX-CACHE-4
  Scenario: One tenant never gets another's cached verdict
    Given an endpoint "shop" in extended mode behind "kpsn-dp" using Private KSN with license "LICENSE-X"
    And "shop" has accepted KSN Statement version 1
    When "bank" looks up the file "payroll.xlsx"
    And "shop" looks up the file "payroll.xlsx"
    Then the lookup of "shop" fails with "license_not_registered"
    And "kpsn-dp" answered "shop" from its cache 0 times

  @PX-CACHE-4 @PX-CACHE-6
  Scenario: Two tenants asking for the same object at the same time each get their own answer
    Given an endpoint "shop" in extended mode behind "kpsn-dp" using Private KSN with license "LICENSE-X"
    And "shop" has accepted KSN Statement version 1
    When "bank", "shop" look up the file "payroll.xlsx" at the same time
    Then "bank" gets an answer
    And the lookup of "shop" fails with "license_not_registered"

  @PX-AUTH-1
  Scenario: The proxy passes the license and KSN headers upstream unchanged
    When "bank" looks up the file "payroll.xlsx"
    Then every request the Private KSN received from "bank" carried "License LICENSE-A" and its KSN headers

  @SRV-PRIV-1
  Scenario: The Private KSN's local reputation overrides the global verdict
    When the Private KSN's global database rates the file "inhouse.exe" trusted
    And the Private KSN's local database rates the file "inhouse.exe" untrusted
    And "bank" looks up the file "inhouse.exe"
    Then "bank" gets the verdict "untrusted"

  @EP-STMT-1 @EP-MODE-3
  Scenario: A license check is a KSN call too: none before acceptance or when not taking part
    Given an endpoint "vault" in extended mode using Private KSN with license "LICENSE-A"
    And "vault" has not accepted the KSN Statement
    And an endpoint "closed" in off mode using Private KSN with license "LICENSE-A"
    And "closed" has accepted KSN Statement version 1
    When "vault" checks its license
    Then "vault" refuses the license check itself
    When "closed" checks its license
    Then "closed" refuses the license check itself
    And "vault" sent nothing at all
    And "closed" sent nothing at all

  @EP-LIC-1 @PX-TYPE-1
  Scenario: A Private endpoint that could reach the Global KSN never falls back to it
    Given an endpoint "teller" in extended mode using Private KSN with license "LICENSE-NEW"
    And "teller" has accepted KSN Statement version 1
    When "teller" looks up the file "ledger.xlsx"
    Then the lookup of "teller" fails with "license_not_registered"
    And "teller" reports "authentication error"
    When "teller" looks up the files "a.exe", "b.exe" in one batch
    And "teller" detects 2 threats
    And 6 minutes pass
    Then the Global KSN received nothing from "teller"
    And "teller" reports "authentication error"

  @EP-LIC-1
  Scenario: Only a rejected license is an authentication error: a Private KSN that is down is not
    When the Private KSN becomes unavailable
    And "bank" looks up the file "ledger.xlsx"
    Then the lookup of "bank" fails with "unavailable"
    And "bank" reports "Extended"
    When the Private KSN recovers
    And "bank" looks up the file "ledger.xlsx"
    Then "bank" gets an answer

  @EP-LIC-1
  Scenario: A license check the Private KSN rejects while the task runs is an authentication error too
    When the license of "bank" changes to "LICENSE-NEW"
    And "bank" checks its license
    Then "bank" reports "authentication error"
    When "bank" looks up the file "ledger.xlsx"
    Then "bank" refuses the lookup itself
