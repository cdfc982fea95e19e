Feature: Regimens as they are written, without a phase
  Real orders rarely say "repletion" or "maintenance": the prescriber writes how often and for how
  long. Doses more often than weekly are a repletion course, and a course lasts weeks: the US label
  gives daily for 6-7 days, alternate days for 7 doses, every 3-4 days for 2-3 weeks, then monthly for
  life; common practice 1000 mcg daily or on alternate days for a week, weekly for 4-8 weeks, then
  monthly; the BNF three times a week for 2 weeks, then every 2-3 months. Daily injections for a year
  are a missed switch to maintenance, whether or not the order names its phase. Every correct regimen
  passes; the message says which phase was read from the frequency.

  Background:
    Given a standard cyanocobalamin order
    And the order has no phase

  Scenario: The standard order without its phase: 1000 mcg daily for 7 days
    Then the order passes

  Scenario Outline: The US label's plan without a phase: 100 mcg <frequency> for <duration>
    Given the order is changed to:
      | dose      | 100 mcg     |
      | volume    | 0.1 mL      |
      | frequency | <frequency> |
      | duration  | <duration>  |
    Then the order passes

    Examples:
      | frequency      | duration  |
      | daily          | 6-7 days  |
      | daily          | 7 days    |
      | alternate days | 7 doses   |
      | every 3-4 days | 2-3 weeks |
      | every 3-4 days | 3 weeks   |
      | monthly        | for life  |

  Scenario Outline: Common practice without a phase: 1000 mcg <frequency> for <duration>
    Given the order is changed to:
      | frequency | <frequency> |
      | duration  | <duration>  |
    Then the order passes

    Examples:
      | frequency       | duration |
      | daily           | 1 week   |
      | every other day | 1 week   |
      | every other day | 4 doses  |
      | weekly          | 4 weeks  |
      | once a week     | 8 weeks  |
      | weekly          | 8 doses  |
      | monthly         | lifelong |
      | every 4 weeks   | ongoing  |
      | once a month    | 1 year   |

  Scenario Outline: The BNF's plan without a phase: 1 mg <frequency> for <duration>
    Given the order is changed to:
      | dose          | 1 mg        |
      | concentration | 1 mg/mL     |
      | frequency     | <frequency> |
      | duration      | <duration>  |
    Then the order passes

    Examples:
      | frequency          | duration                     |
      | three times a week | 2 weeks                      |
      | three times a week | 6 doses                      |
      | on alternate days  | until no further improvement |
      | every 2 months     | indefinitely                 |
      | every 3 months     | lifelong                     |
      | every 2-3 months   | lifelong                     |

  @B12-REPLETION-TOO-LONG
  Scenario Outline: <frequency> for <duration>, no phase: longer than any repletion course
    Given the order is changed to:
      | frequency | <frequency> |
      | duration  | <duration>  |
    Then the order is flagged B12-REPLETION-TOO-LONG as warning
    And the order has exactly these findings:
      | B12-REPLETION-TOO-LONG | warning |
    And the message of B12-REPLETION-TOO-LONG mentions "Phase not stated (doses more often than weekly read as repletion): doses"
    And the message of B12-REPLETION-TOO-LONG mentions "doses <days> day(s) apart for <duration days> days"

    Examples:
      | frequency          | duration   | days     | duration days |
      | daily              | 1 year     | 1        | 365           |
      | daily              | 12 months  | 1        | 360           |
      | once daily         | 3 months   | 1        | 90            |
      | every day          | 60 doses   | 1        | 60            |
      | every other day    | 6 months   | 2        | 180           |
      | alternate days     | 30 doses   | 2        | 60            |
      | three times a week | 3 months   | 2.333    | 90            |
      | twice a week       | 6 months   | 3.5      | 180           |
      | every 5 days       | 1 year     | 5        | 365           |

  @B12-REPLETION-TOO-LONG
  Scenario Outline: <frequency> <duration>, no phase: a repletion course that never ends
    Given the order is changed to:
      | frequency | <frequency> |
      | duration  | <duration>  |
    Then the order is flagged B12-REPLETION-TOO-LONG as warning
    And the order has exactly these findings:
      | B12-REPLETION-TOO-LONG | warning |
    And the message of B12-REPLETION-TOO-LONG mentions "Phase not stated (doses more often than weekly read as repletion): doses <days> day(s) apart for"
    And the message of B12-REPLETION-TOO-LONG mentions "an open-ended plan counts as"

    Examples:
      | frequency      | duration   | days |
      | daily          | lifelong   | 1    |
      | once daily     | for life   | 1    |
      | twice a week   | ongoing    | 3.5  |
      | every 3-4 days | indefinite | 3    |
      | every 5 days   | long-term  | 5    |

  @B12-REPLETION-TOO-LONG
  Scenario: A repletion order given daily for a year
    Given the order is changed to:
      | phase     | repletion |
      | frequency | daily     |
      | duration  | 1 year    |
    Then the order is flagged B12-REPLETION-TOO-LONG as warning
    And the order has exactly these findings:
      | B12-REPLETION-TOO-LONG | warning |
    And the message of B12-REPLETION-TOO-LONG mentions "Phase repletion: doses 1 day(s) apart for 365 days"

  @B12-REPLETION-TOO-LONG
  Scenario Outline: <frequency> for <duration>, no phase: within a repletion course
    Given the order is changed to:
      | frequency | <frequency> |
      | duration  | <duration>  |
    Then the order is not flagged B12-REPLETION-TOO-LONG
    And the order passes

    Examples:
      | frequency          | duration |
      | daily              | 2 weeks  |
      | daily              | 8 weeks  |
      | every other day    | 56 days  |
      | three times a week | 8 weeks  |
      | twice a week       | 6 weeks  |
      | every 3-4 days     | 8 weeks  |

  # With neurological involvement the BNF gives alternate days "until no further improvement": open-ended,
  # as "lifelong" is. Read as the BNF writes it, it passes.
  @B12-REPLETION-TOO-LONG
  Scenario Outline: On alternate days <duration>: the BNF's course with neurological involvement
    Given the order is changed to:
      | frequency  | <frequency>                   |
      | duration   | <duration>                    |
      | conditions | subacute combined degeneration |
    Then the order is not flagged B12-REPLETION-TOO-LONG
    And the order passes

    Examples:
      | frequency          | duration                     |
      | on alternate days  | until no further improvement |
      | every other day    | until no further improvement |
      | three times a week | until no further improvement |

  @B12-REPLETION-TOO-LONG @B12-PHASE-FREQUENCY
  Scenario: A maintenance order given daily for life is the phase rule's alone
    Given the order is changed to:
      | phase     | maintenance |
      | frequency | daily       |
      | duration  | lifelong    |
    Then the order has exactly these findings:
      | B12-PHASE-FREQUENCY | warning |

  @B12-REPLETION-TOO-LONG @B12-FREQUENCY-TOO-OFTEN
  Scenario: Twice daily for a year is the frequency rule's alone
    Given the order is changed to:
      | frequency | twice daily |
      | duration  | 1 year      |
    Then the order has exactly these findings:
      | B12-FREQUENCY-TOO-OFTEN | warning |

  @B12-WEEKLY-TOO-LONG
  Scenario Outline: <frequency> for <duration>, no phase: far longer than the weekly course
    Given the order is changed to:
      | frequency | <frequency> |
      | duration  | <duration>  |
    Then the order is flagged B12-WEEKLY-TOO-LONG as warning
    And the order has exactly these findings:
      | B12-WEEKLY-TOO-LONG | warning |
    And the message of B12-WEEKLY-TOO-LONG mentions "Phase not stated (weekly doses read as repletion): doses"
    And the message of B12-WEEKLY-TOO-LONG mentions "doses 7 day(s) apart for <duration days> days"

    Examples:
      | frequency   | duration | duration days |
      | weekly      | 6 months | 180           |
      | once a week | 1 year   | 365           |
      | every week  | 14 weeks | 98            |
      | weekly      | 20 doses | 140           |

  @B12-WEEKLY-TOO-LONG
  Scenario Outline: <frequency> <duration>, no phase: weekly doses that never switch to monthly
    Given the order is changed to:
      | frequency | <frequency> |
      | duration  | <duration>  |
    Then the order is flagged B12-WEEKLY-TOO-LONG as warning
    And the order has exactly these findings:
      | B12-WEEKLY-TOO-LONG | warning |
    And the message of B12-WEEKLY-TOO-LONG mentions "Phase not stated (weekly doses read as repletion): doses 7 day(s) apart for"

    Examples:
      | frequency   | duration   |
      | weekly      | lifelong   |
      | once weekly | indefinite |
      | every week  | ongoing    |

  @B12-WEEKLY-TOO-LONG
  Scenario: A repletion order given weekly for a year
    Given the order is changed to:
      | phase     | repletion |
      | frequency | weekly    |
      | duration  | 1 year    |
    Then the order is flagged B12-WEEKLY-TOO-LONG as warning
    And the order has exactly these findings:
      | B12-WEEKLY-TOO-LONG | warning |
    And the message of B12-WEEKLY-TOO-LONG mentions "Phase repletion: doses 7 day(s) apart for 365 days"

  @B12-WEEKLY-TOO-LONG
  Scenario Outline: <frequency> for <duration>: not a weekly course too long
    Given the order is changed to:
      | frequency | <frequency> |
      | duration  | <duration>  |
    Then the order is not flagged B12-WEEKLY-TOO-LONG
    And the order passes

    Examples:
      | frequency     | duration |
      | weekly        | 12 weeks |
      | weekly        | 3 months |
      | weekly        | 13 weeks |
      | every 2 weeks | 6 months |
      | every 3 weeks | lifelong |
      | monthly       | lifelong |

  @B12-WEEKLY-TOO-LONG
  Scenario: A maintenance order stated as weekly for life is accepted, as before
    Given the order is changed to:
      | phase     | maintenance |
      | frequency | weekly      |
      | duration  | lifelong    |
    Then the order passes

  @B12-REPLETION-TOO-LONG
  Scenario Outline: <frequency> <duration>, no phase: frequent injections for life
    Only a course that ends at a clinical response ("until no further improvement", the BNF's) may
    stay on alternate days open-ended; for life, the switch to monthly maintenance was never written.
    Given the order is changed to:
      | frequency | <frequency> |
      | duration  | <duration>  |
    Then the order is flagged B12-REPLETION-TOO-LONG as warning

    Examples:
      | frequency          | duration |
      | every other day    | lifelong |
      | three times a week | lifelong |
      | MWF                | ongoing  |
      | alternate days     | for life |
