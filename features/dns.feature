@dns
Feature: Reaching KSN when the system DNS fails
  When the KSN servers cannot be reached through the system DNS, the application uses public DNS servers,
  in a fixed order, if that is allowed; a DNS answer that points elsewhere ends in a TLS failure (seed 000).

  Background:
    Given a Global KSN
    And an endpoint "ep1" in extended mode
    And "ep1" has accepted KSN Statement version 1

  @EP-DNS-1
  Scenario: A working system DNS is all that is asked
    When "ep1" looks up the file "tool.exe"
    Then "ep1" gets an answer
    And "ep1" never asked a public DNS server

  @EP-DNS-1
  Scenario Outline: Whatever way the system DNS fails, the first public DNS server answers
    When the system DNS <fails>
    And "ep1" looks up the file "tool.exe"
    Then "ep1" gets an answer
    And "ep1" asked the public DNS servers 8.8.8.8 in that order

    Examples:
      | fails            |
      | stops answering  |
      | answers SERVFAIL |
      | answers NXDOMAIN |

  @EP-DNS-1
  Scenario: Public DNS servers are tried in the product's order
    When the system DNS answers SERVFAIL
    And the public DNS stops answering
    And "ep1" looks up the file "tool.exe"
    Then the lookup of "ep1" fails
    And "ep1" asked the public DNS servers 8.8.8.8, 1.1.1.1, 223.6.6.6, 9.9.9.9, 185.228.168.168 in that order

  @EP-DNS-1
  Scenario: Without permission, public DNS is never asked
    Given "ep1" may not use public DNS servers
    When the system DNS answers NXDOMAIN
    And "ep1" looks up the file "tool.exe"
    Then the lookup of "ep1" fails
    And "ep1" never asked a public DNS server

  @EP-DNS-1 @EP-POL-1
  Scenario: A policy that forbids public DNS overrides the local permission
    When a policy forbids public DNS on "ep1"
    And the system DNS stops answering
    And "ep1" looks up the file "tool.exe"
    Then the lookup of "ep1" fails
    And "ep1" never asked a public DNS server

  @EP-DNS-1 @EP-POL-1
  Scenario: A policy that allows public DNS overrides a local refusal
    Given "ep1" may not use public DNS servers
    When a policy allows public DNS on "ep1"
    And the system DNS stops answering
    And "ep1" looks up the file "tool.exe"
    Then "ep1" gets an answer
    And "ep1" asked the public DNS servers 8.8.8.8 in that order

  @EP-DNS-2
  Scenario: A poisoned DNS answer ends in a TLS failure and no data sent
    When the system DNS points the KSN names elsewhere
    And "ep1" looks up the file "tool.exe"
    Then the lookup of "ep1" fails
    And the rogue server received no request
    And the Global KSN received nothing from "ep1"

  @EP-DNS-2
  Scenario: A poisoned DNS answer that leads to a trusted certificate for another name gets nothing either
    When the system DNS points the KSN names at the impostor
    And "ep1" looks up the file "tool.exe"
    Then the lookup of "ep1" fails
    And the impostor received no request
    And the Global KSN received nothing from "ep1"
