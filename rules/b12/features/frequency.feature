Feature: How often
  No B12 regimen gives more than one injection a day: the most frequent is daily (the US label's first
  week, or 1000 mcg daily in practice), then alternate days, three times a week, weekly, monthly.
  "Twice daily", "TID" or "every 4 hours" is a wrong frequency whatever the phase, and is flagged once
  (not a second time as a frequency that does not fit the phase).

  Background:
    Given a standard cyanocobalamin order

  @B12-FREQUENCY-TOO-OFTEN
  Scenario Outline: A repletion order given <frequency>
    Given the order's frequency is "<frequency>"
    Then the order has exactly these findings:
      | B12-FREQUENCY-TOO-OFTEN | warning |
    And the message of B12-FREQUENCY-TOO-OFTEN mentions "Doses every <hours> hours (<per day> a day)"

    Examples:
      | frequency     | hours | per day |
      | twice daily   | 12    | 2       |
      | twice a day   | 12    | 2       |
      | BID           | 12    | 2       |
      | 3 times daily | 8     | 3       |
      | TID           | 8     | 3       |
      | QID           | 6     | 4       |
      | q12h          | 12    | 2       |
      | every 4 hours | 4     | 6       |
      | q1h           | 1     | 24      |
      | hourly        | 1     | 24      |
      | every 23 hours | 23   | 1.043   |

  @B12-FREQUENCY-TOO-OFTEN
  Scenario Outline: Twice daily is too often whatever the phase: <phase>
    Given the order is changed to:
      | phase     | <phase>     |
      | frequency | twice daily |
      | duration  | <duration>  |
    Then the order has exactly these findings:
      | B12-FREQUENCY-TOO-OFTEN | warning |

    Examples:
      | phase       | duration |
      | repletion   | 7 days   |
      | maintenance | lifelong |

  @B12-FREQUENCY-TOO-OFTEN
  Scenario: Twice daily with no phase stated
    Given the order has no phase
    And the order's frequency is "twice daily"
    Then the order is flagged B12-FREQUENCY-TOO-OFTEN as warning
    And the message of B12-FREQUENCY-TOO-OFTEN mentions "more often than any B12 regimen (doses at least 1 day(s) apart)"

  @B12-FREQUENCY-TOO-OFTEN
  Scenario Outline: Once a day or less often is not too often: <frequency>
    Given the order's frequency is "<frequency>"
    Then the order is not flagged B12-FREQUENCY-TOO-OFTEN
    And the order passes

    Examples:
      | frequency       |
      | daily           |
      | once a day      |
      | q24h            |
      | every 24 hours  |
      | every 36 hours  |
      | every other day |
      | q48h            |

  @B12-FREQUENCY-TOO-OFTEN
  Scenario: A maintenance order given daily is a phase problem, not too often
    Given the order is changed to:
      | phase     | maintenance |
      | frequency | daily       |
      | duration  | lifelong    |
    Then the order is not flagged B12-FREQUENCY-TOO-OFTEN
    And the order has exactly these findings:
      | B12-PHASE-FREQUENCY | warning |

  @B12-FREQUENCY-TOO-OFTEN
  Scenario: Without a frequency there is nothing to judge (the order is incomplete instead)
    Given the order has no frequency
    Then the order is not flagged B12-FREQUENCY-TOO-OFTEN
    And the order is flagged B12-ORDER-INCOMPLETE

  Scenario Outline: Other ways of writing how often are understood: <frequency>
    Given the order is changed to:
      | phase     | <phase>     |
      | frequency | <frequency> |
      | duration  | <duration>  |
    Then the order passes

    Examples:
      | frequency                | phase       | duration |
      | once a fortnight         | repletion   | 8 weeks  |
      | every fortnight          | repletion   | 8 weeks  |
      | once every 2 weeks       | repletion   | 8 weeks  |
      | once every 3 months      | maintenance | lifelong |
      | once every month         | maintenance | lifelong |
      | once every other day     | repletion   | 2 weeks  |

  @B12-PHASE-FREQUENCY
  Scenario: A repletion order given every year is understood, and is suspect
    Given the order is changed to:
      | frequency | every year |
      | duration  | lifelong   |
    Then the order has exactly these findings:
      | B12-PHASE-FREQUENCY | warning |
    And the message of B12-PHASE-FREQUENCY mentions "doses 365 day(s) apart"
