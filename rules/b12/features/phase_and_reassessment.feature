Feature: Treatment phase, frequency and reassessment
  Repletion is frequent (daily, alternate days, three times a week, weekly) for weeks; maintenance is
  monthly to every three months. A maintenance order given more often than weekly, or a repletion
  order given monthly or less often, is suspect. "Not responding" after a few administrations is
  rarely a dose problem: check the diagnosis, absorption, adherence and other causes.

  Background:
    Given a standard cyanocobalamin order

  @B12-PHASE-FREQUENCY
  Scenario Outline: A maintenance order given <frequency>
    Given the order is changed to:
      | phase     | maintenance |
      | frequency | <frequency> |
      | duration  | lifelong    |
    Then the order is flagged B12-PHASE-FREQUENCY as warning
    And the message of B12-PHASE-FREQUENCY mentions "A maintenance order with doses <days> day(s) apart is unusual"

    Examples:
      | frequency          | days  |
      | daily              | 1     |
      | every other day    | 2     |
      | twice a week       | 3.5   |
      | every 5 days       | 5     |

  @B12-PHASE-FREQUENCY
  Scenario Outline: A repletion order given <frequency>
    Given the order is changed to:
      | phase     | repletion   |
      | frequency | <frequency> |
      | duration  | 3 months    |
    Then the order is flagged B12-PHASE-FREQUENCY as warning
    And the message of B12-PHASE-FREQUENCY mentions "A repletion order with doses <days> day(s) apart is unusual"

    Examples:
      | frequency      | days |
      | monthly        | 30   |
      | every 4 weeks  | 28   |
      | every 3 months | 90   |

  @B12-PHASE-FREQUENCY
  Scenario Outline: Maintenance <frequency> is usual
    Given the order is changed to:
      | phase     | maintenance |
      | frequency | <frequency> |
      | duration  | lifelong    |
    Then the order is not flagged B12-PHASE-FREQUENCY
    And the order passes

    Examples:
      | frequency      |
      | weekly         |
      | every 4 weeks  |
      | monthly        |
      | every 2 months |
      | every 3 months |

  @B12-PHASE-FREQUENCY
  Scenario Outline: Repletion <frequency> is usual
    Given the order is changed to:
      | phase     | repletion   |
      | frequency | <frequency> |
      | duration  | <duration>  |
    Then the order is not flagged B12-PHASE-FREQUENCY
    And the order passes

    Examples:
      | frequency          | duration |
      | daily              | 7 days   |
      | every other day    | 2 weeks  |
      | three times a week | 2 weeks  |
      | every 3-4 days     | 3 weeks  |
      | weekly             | 8 weeks  |
      | every 3 weeks      | 9 weeks  |

  @B12-PHASE-FREQUENCY
  Scenario: Without a phase the frequency is not judged
    Given the order has no phase
    And the order is changed to:
      | frequency | monthly  |
      | duration  | lifelong |
    Then the order is not flagged B12-PHASE-FREQUENCY

  @B12-REASSESS
  Scenario: Three administrations given and no reticulocyte response
    Given the order is changed to:
      | administrations_given | 3                        |
      | red_flags             | no reticulocyte response |
    Then the order is flagged B12-REASSESS as warning
    And the message of B12-REASSESS mentions "3 administrations given and red flags present (no reticulocyte response)"

  @B12-REASSESS
  Scenario: Several red flags after five administrations
    Given the order is changed to:
      | administrations given | 5                                                    |
      | red flags             | no reticulocyte response; worsening neuropathy       |
    Then the order has exactly these findings:
      | B12-REASSESS |

  @B12-REASSESS
  Scenario: Red flags after only two administrations: too early to reassess
    Given the order is changed to:
      | administrations_given | 2                        |
      | red_flags             | no reticulocyte response |
    Then the order is not flagged B12-REASSESS
    And the order passes

  @B12-REASSESS
  Scenario: Many administrations and no red flag
    Given the order's administrations_given is "6"
    Then the order is not flagged B12-REASSESS
    And the order passes

  @B12-REASSESS
  Scenario: Red flags, but no count of administrations given
    Given the order's red_flags are "no reticulocyte response"
    Then the order is not flagged B12-REASSESS

  # Ordering systems fill an empty list with a word: "None", "N/A", "-". That is no red flag.
  @B12-REASSESS
  Scenario Outline: Red flags recorded as "<red flags>" after <given> administrations
    Given the order is changed to:
      | administrations given | <given>     |
      | red flags             | <red flags> |
    Then the order is not flagged B12-REASSESS
    And the order passes

    Examples:
      | given | red flags       |
      | 3     | none            |
      | 3     | None            |
      | 4     | nil             |
      | 5     | N/A             |
      | 5     | n/a             |
      | 6     | NA              |
      | 3     | no              |
      | 3     | no red flags    |
      | 3     | No red flags.   |
      | 10    | -               |
      | 3     | none; nil; N/A  |

  @B12-REASSESS
  Scenario: Red flags sent as a JSON list holding "nil"
    Given an order as JSON:
      """
      {"order_id": "O1", "patient_id": "P1", "drug": "cyanocobalamin", "dose": "1000 mcg", "volume": "1 mL",
       "concentration": "1000 mcg/mL", "product_concentration": "1000 mcg/mL", "route": "IM", "site": "deltoid",
       "frequency": "daily", "duration": "7 days", "phase": "repletion", "administrations_given": 3,
       "red_flags": ["nil"], "allergies": ["NKDA"], "conditions": ["None"]}
      """
    Then the order is not flagged B12-REASSESS
    And the order passes

  @B12-REASSESS
  Scenario: A real red flag next to "none" is still a red flag
    Given the order is changed to:
      | administrations given | 3                               |
      | red flags             | none; no reticulocyte response  |
    Then the order has exactly these findings:
      | B12-REASSESS | warning |
    And the message of B12-REASSESS mentions "red flags present (no reticulocyte response)"
