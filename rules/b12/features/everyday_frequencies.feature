Feature: Frequencies as prescribers and order systems write them
  Orders come with "q month", "TIW", "MWF", "every 3 to 4 days" (as the label writes it), "q4wk",
  "Q28D", and often the duration in the same box ("weekly x4", "daily x 7 days"). Each is read as what
  it says and checked; an abbreviation on the ISMP list (TIW, QOW) is understood and also flagged as
  notation. What no one can read for sure is refused, saying what to write: "biweekly" (twice a week,
  or every two weeks?), "bimonthly", "as directed", "PRN" (an injection plan is not given as needed).

  Background:
    Given a standard cyanocobalamin order

  @B12-PHASE-FREQUENCY
  Scenario Outline: A repletion order given "<frequency>"
    Given the order is changed to:
      | frequency | <frequency> |
      | duration  | 2 weeks     |
      | phase     | repletion   |
    Then the order is not flagged B12-PHASE-FREQUENCY
    And the order passes

    Examples:
      | frequency                    |
      | Q week                       |
      | q wk                         |
      | once a week                  |
      | MWF                          |
      | M/W/F                        |
      | Mon/Wed/Fri                  |
      | Monday, Wednesday and Friday |
      | Tue/Thu                      |
      | every 3 to 4 days            |
      | q 2 weeks                    |
      | semiweekly                   |

  @B12-PHASE-FREQUENCY
  Scenario Outline: A maintenance order given "<frequency>"
    Given the order is changed to:
      | frequency | <frequency> |
      | duration  | lifelong    |
      | phase     | maintenance |
    Then the order is not flagged B12-PHASE-FREQUENCY
    And the order passes

    Examples:
      | frequency     |
      | q month       |
      | Q month       |
      | q4wk          |
      | Q28D          |
      | every 4 weeks |
      | once a month  |
      | q 3 mo        |

  @B12-PHASE-FREQUENCY
  Scenario: Maintenance on Mondays, Wednesdays and Fridays is repletion's frequency
    Given the order is changed to:
      | frequency | Mon/Wed/Fri |
      | duration  | lifelong    |
      | phase     | maintenance |
    Then the order is flagged B12-PHASE-FREQUENCY as warning
    And the message of B12-PHASE-FREQUENCY mentions "doses 2.333 day(s) apart"

  @B12-PHASE-FREQUENCY
  Scenario: Repletion every 4 weeks is maintenance's frequency
    Given the order's frequency is "q4wk"
    Then the order is flagged B12-PHASE-FREQUENCY as warning

  @NOTATION-ERROR-PRONE
  Scenario Outline: "<frequency>" is understood, and flagged as error-prone notation
    Given the order is changed to:
      | frequency | <frequency> |
      | duration  | 2 weeks     |
    Then the order has exactly these findings:
      | NOTATION-ERROR-PRONE | info |

    Examples:
      | frequency |
      | TIW       |
      | tiw       |
      | BIW       |
      | QOW       |

  @B12-ORDER-INCOMPLETE
  Scenario Outline: The duration written with the frequency: "<frequency>"
    Given the order has no duration
    And the order's frequency is "<frequency>"
    Then the order is not flagged B12-ORDER-INCOMPLETE
    And the order passes

    Examples:
      | frequency                 |
      | daily x 7 days            |
      | daily x7                  |
      | daily for 1 week          |
      | every other day x 7 doses |
      | weekly x4                 |
      | weekly x 4 weeks          |

  @B12-ORDER-INCOMPLETE
  Scenario: The same duration in both fields is one duration
    Given the order is changed to:
      | frequency | daily x 7 days |
      | duration  | 7 days         |
    Then the order passes

  Scenario: Two different durations are refused, naming the frequency
    Given the order is changed to:
      | frequency | weekly x4 |
      | duration  | 8 weeks   |
    Then the order is invalid because of its frequency
    And the error about its frequency mentions "write the duration once"

  Scenario Outline: "<frequency>" cannot be read for sure: refused, saying what to write
    Given the order's frequency is "<frequency>"
    Then the order is invalid because of its frequency
    And the error about its frequency mentions "<advice>"

    Examples:
      | frequency   | advice                           |
      | biweekly    | 'twice a week' or 'every 2 weeks' |
      | bimonthly   | 'twice a month' or 'every 2 months' |
      | as directed | write how often                  |
      | UD          | write how often                  |
      | PRN         | write how often                  |
      | prn         | write how often                  |
      | as needed   | write how often                  |
      | monthly PRN | write how often                  |
      | T/Th        | write the day                    |
      | Mon-Fri     | write the days                   |

  @B12-ORDER-INCOMPLETE
  Scenario Outline: Durations as orders write them: "<duration>"
    Given the order's duration is "<duration>"
    Then the order is not flagged B12-ORDER-INCOMPLETE
    And the order passes

    Examples:
      | duration             |
      | x 2 weeks            |
      | 1 week               |
      | 7d                   |
      | x 7                  |
      | for 1 week then stop |
      | 7 days only          |

  Scenario: A plan in steps is refused: one order per step
    Given the order's duration is "7 days then monthly"
    Then the order is invalid because of its duration
    And the error about its duration mentions "one order per step"
