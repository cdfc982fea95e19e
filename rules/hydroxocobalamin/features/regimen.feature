Feature: Hydroxocobalamin: the BNF's regimen, phase by phase
  Without neurological involvement: 1 mg three times a week for 2 weeks, then 1 mg every 2-3 months.
  With neurological involvement: 1 mg on alternate days until no further improvement, then 1 mg every
  2 months. Neurological involvement is read from the order's conditions, in either sense:
  "subacute combined degeneration", "peripheral neuropathy" (present), "no neurological involvement",
  "nil neuro" (absent). When the conditions say neither, an order that follows either regimen passes.
  An order with no phase is judged by its frequency: doses under 4 weeks apart are an initial course.

  Background:
    Given an order:
      | drug                  | hydroxocobalamin   |
      | dose                  | 1 mg               |
      | volume                | 1 mL               |
      | concentration         | 1 mg/mL            |
      | product concentration | 1000 mcg/mL        |
      | route                 | IM                 |
      | site                  | deltoid            |
      | frequency             | three times a week |
      | duration              | 2 weeks            |
      | phase                 | repletion          |

  # --- completeness ---------------------------------------------------------------------------

  @HYDROXO-ORDER-INCOMPLETE
  Scenario Outline: An order without its <missing>
    Given the order has no <field>
    Then the order has exactly these findings:
      | HYDROXO-ORDER-INCOMPLETE | warning |
    And the message of HYDROXO-ORDER-INCOMPLETE mentions "The order does not state its <missing>."

    Examples:
      | field     | missing   |
      | frequency | frequency |
      | duration  | duration  |
      | route     | route     |

  @HYDROXO-ORDER-INCOMPLETE
  Scenario: Only a volume ("one mL")
    Given the order has no dose
    And the order has no frequency
    Then the order is flagged HYDROXO-ORDER-INCOMPLETE as warning
    And the message of HYDROXO-ORDER-INCOMPLETE mentions "does not state its dose, frequency."

  @HYDROXO-ORDER-INCOMPLETE
  Scenario: 1 mg with no volume is complete: the whole 1 mL ampoule
    Given the order has no volume
    Then the order is not flagged HYDROXO-ORDER-INCOMPLETE
    And the order passes

  # --- the initial course -----------------------------------------------------------------------

  @HYDROXO-INITIAL-FREQUENCY
  Scenario Outline: An initial course given <frequency>
    Given the order is changed to:
      | frequency | <frequency> |
      | duration  | <duration>  |
    Then the order has exactly these findings:
      | HYDROXO-INITIAL-FREQUENCY | warning |
    And the message of HYDROXO-INITIAL-FREQUENCY mentions "An initial course with doses <days> day(s) apart"

    Examples:
      | frequency        | duration | days |
      | daily            | 2 weeks  | 1    |
      | twice daily      | 1 week   | 0.5  |
      | weekly           | 6 weeks  | 7    |
      | twice a week     | 3 weeks  | 3.5  |
      | every 3 days     | 3 weeks  | 3    |
      | monthly          | 6 months | 30   |

  @HYDROXO-INITIAL-FREQUENCY
  Scenario: No phase stated and doses weekly: judged as an initial course
    Given the order has no phase
    And the order is changed to:
      | frequency | weekly  |
      | duration  | 6 weeks |
    Then the order is flagged HYDROXO-INITIAL-FREQUENCY as warning
    And the message of HYDROXO-INITIAL-FREQUENCY mentions "Phase: not stated (doses less than 28 days apart read as the initial course)."

  @HYDROXO-INITIAL-FREQUENCY
  Scenario: No phase stated and doses daily for a year: judged as an initial course
    Given the order has no phase
    And the order is changed to:
      | frequency | daily  |
      | duration  | 1 year |
    Then the order is flagged HYDROXO-INITIAL-FREQUENCY as warning
    And the order has exactly these findings:
      | HYDROXO-INITIAL-FREQUENCY | warning |
    And the message of HYDROXO-INITIAL-FREQUENCY mentions "Phase: not stated (doses less than 28 days apart read as the initial course)."

  @HYDROXO-INITIAL-FREQUENCY
  Scenario: A stated phase is named as stated
    Given the order is changed to:
      | phase     | repletion |
      | frequency | weekly    |
      | duration  | 6 weeks   |
    Then the order is flagged HYDROXO-INITIAL-FREQUENCY as warning
    And the message of HYDROXO-INITIAL-FREQUENCY mentions "Phase: repletion."

  @HYDROXO-INITIAL-FREQUENCY
  Scenario Outline: Three times a week and alternate days are the BNF's: <frequency>
    Given the order is changed to:
      | frequency | <frequency> |
      | duration  | <duration>  |
    Then the order is not flagged HYDROXO-INITIAL-FREQUENCY
    And the order passes

    Examples:
      | frequency          | duration |
      | three times a week | 2 weeks  |
      | 3 times per week   | 2 weeks  |
      | 3x a week          | 6 doses  |
      | on alternate days  | 2 weeks  |
      | every other day    | 7 doses  |
      | every 2 days       | 14 days  |
      | q48h               | 2 weeks  |

  @HYDROXO-INITIAL-SHORT
  Scenario Outline: An initial course of <duration> <frequency>
    Given the order is changed to:
      | frequency | <frequency> |
      | duration  | <duration>  |
    Then the order is flagged HYDROXO-INITIAL-SHORT as warning
    And the order has exactly these findings:
      | HYDROXO-INITIAL-SHORT | warning |
    And the message of HYDROXO-INITIAL-SHORT mentions "An initial course of <injections> injection(s)"

    Examples:
      | frequency          | duration | injections |
      | three times a week | 1 week   | 3          |
      | three times a week | 3 doses  | 3          |
      | on alternate days  | 5 doses  | 5          |
      | on alternate days  | 10 days  | 5          |

  @HYDROXO-INITIAL-SHORT
  Scenario Outline: Six injections or more is the course: <duration> <frequency>
    Given the order is changed to:
      | frequency | <frequency> |
      | duration  | <duration>  |
    Then the order is not flagged HYDROXO-INITIAL-SHORT
    And the order passes

    Examples:
      | frequency          | duration |
      | three times a week | 2 weeks  |
      | three times a week | 6 doses  |
      | on alternate days  | 6 doses  |
      | on alternate days  | 12 days  |

  @HYDROXO-INITIAL-SHORT
  Scenario: Daily for 3 days is a wrong frequency, flagged once (not also as a short course)
    Given the order is changed to:
      | frequency | daily  |
      | duration  | 3 days |
    Then the order is not flagged HYDROXO-INITIAL-SHORT
    And the order has exactly these findings:
      | HYDROXO-INITIAL-FREQUENCY | warning |

  @HYDROXO-INITIAL-LONG
  Scenario Outline: No neurological involvement (<conditions>), and an initial course of <duration>
    Given the order is changed to:
      | frequency  | <frequency>  |
      | duration   | <duration>   |
      | conditions | <conditions> |
    Then the order is flagged HYDROXO-INITIAL-LONG as warning
    And the order has exactly these findings:
      | HYDROXO-INITIAL-LONG | warning |
    And the message of HYDROXO-INITIAL-LONG mentions "record no neurological involvement"

    Examples:
      | frequency          | duration                     | conditions                                           |
      | three times a week | 4 weeks                      | pernicious anaemia without neurological involvement |
      | on alternate days  | until no further improvement | pernicious anaemia; no neurological involvement      |
      | three times a week | 2-3 weeks                    | nil neuro                                            |
      | on alternate days  | 8 doses                      | neuropathy ruled out                                 |

  @HYDROXO-INITIAL-LONG
  Scenario Outline: An initial course past 2 weeks is not flagged unless the conditions rule out neurological involvement: <conditions>
    Given the order is changed to:
      | frequency  | on alternate days            |
      | duration   | until no further improvement |
      | conditions | <conditions>                 |
    Then the order is not flagged HYDROXO-INITIAL-LONG
    And the order passes

    Examples:
      | conditions                                             |
      | pernicious anaemia                                     |
      | subacute combined degeneration of the cord             |
      | no anaemia but peripheral neuropathy                   |
      | peripheral neuropathy; no neurological deficit in arms |

  @HYDROXO-INITIAL-LONG
  Scenario: Two weeks without neurological involvement is the BNF's course
    Given the order's conditions are "pernicious anaemia without neurological involvement"
    Then the order is not flagged HYDROXO-INITIAL-LONG
    And the order passes

  @HYDROXO-NEURO-INITIAL-FIXED
  Scenario Outline: Neurological involvement (<conditions>) given the 2-week course: <frequency> for <duration>
    Given the order is changed to:
      | frequency  | <frequency>  |
      | duration   | <duration>   |
      | conditions | <conditions> |
    Then the order is flagged HYDROXO-NEURO-INITIAL-FIXED as warning
    And the order has exactly these findings:
      | HYDROXO-NEURO-INITIAL-FIXED | warning |
    And the message of HYDROXO-NEURO-INITIAL-FIXED mentions "until there is no further improvement"

    Examples:
      | frequency          | duration | conditions                                 |
      | three times a week | 2 weeks  | subacute combined degeneration of the cord |
      | on alternate days  | 7 doses  | peripheral neuropathy                      |
      | on alternate days  | 14 days  | B12 deficiency; paraesthesia               |
      | three times a week | 6 doses  | pins and needles in both feet              |

  @HYDROXO-NEURO-INITIAL-FIXED
  Scenario Outline: Neurological involvement given alternate days for <duration> is not flagged
    Given the order is changed to:
      | frequency  | on alternate days     |
      | duration   | <duration>            |
      | conditions | peripheral neuropathy |
    Then the order is not flagged HYDROXO-NEURO-INITIAL-FIXED
    And the order passes

    Examples:
      | duration                     |
      | until no further improvement |
      | ongoing                      |
      | 3 months                     |

  @HYDROXO-NEURO-INITIAL-FIXED
  Scenario: Neurological involvement written as absent is not neurological involvement
    Given the order's conditions are "pernicious anaemia; no peripheral neuropathy"
    Then the order is not flagged HYDROXO-NEURO-INITIAL-FIXED
    And the order passes

  # --- maintenance ------------------------------------------------------------------------------

  @HYDROXO-MAINTENANCE-INTERVAL
  Scenario Outline: Maintenance <frequency>
    Given the order is changed to:
      | phase     | maintenance |
      | frequency | <frequency> |
      | duration  | lifelong    |
    Then the order has exactly these findings:
      | HYDROXO-MAINTENANCE-INTERVAL | warning |
    And the message of HYDROXO-MAINTENANCE-INTERVAL mentions "Maintenance doses <days> days apart (at the least frequent, <longest>)"

    Examples:
      | frequency          | days  | longest |
      | monthly            | 30    | 30      |
      | every 6 weeks      | 42    | 42      |
      | every 4 months     | 120   | 120     |
      | every 6 months     | 180   | 180     |
      | every 2-4 months   | 60    | 120     |
      | every 1-3 months   | 30    | 90      |
      | weekly             | 7     | 7       |
      | three times a week | 2.333 | 2.333   |
      | yearly             | 365   | 365     |

  @HYDROXO-MAINTENANCE-INTERVAL
  Scenario: No phase stated and doses monthly: judged as maintenance
    Given the order has no phase
    And the order is changed to:
      | frequency | monthly  |
      | duration  | lifelong |
    Then the order is flagged HYDROXO-MAINTENANCE-INTERVAL as warning
    And the message of HYDROXO-MAINTENANCE-INTERVAL mentions "Phase: not stated (doses 28 days or more apart read as maintenance)."
    And the order is not flagged HYDROXO-INITIAL-FREQUENCY

  @HYDROXO-MAINTENANCE-INTERVAL
  Scenario Outline: Every 2-3 months, however written: <frequency>
    Given the order is changed to:
      | phase     | maintenance |
      | frequency | <frequency> |
      | duration  | lifelong    |
    Then the order is not flagged HYDROXO-MAINTENANCE-INTERVAL
    And the order passes

    Examples:
      | frequency           |
      | every 2 months      |
      | every 3 months      |
      | every 2-3 months    |
      | every 2 to 3 months |
      | every 8 weeks       |
      | every 10 weeks      |
      | every 12 weeks      |
      | every 13 weeks      |
      | every 90 days       |
      | every 92 days       |
      | once every 3 months |

  @HYDROXO-NEURO-MAINTENANCE-INTERVAL
  Scenario Outline: Neurological involvement maintained <frequency>
    Given the order is changed to:
      | phase      | maintenance  |
      | frequency  | <frequency>  |
      | duration   | lifelong     |
      | conditions | <conditions> |
    Then the order is flagged HYDROXO-NEURO-MAINTENANCE-INTERVAL as warning
    And the order has exactly these findings:
      | HYDROXO-NEURO-MAINTENANCE-INTERVAL | warning |
    And the message of HYDROXO-NEURO-MAINTENANCE-INTERVAL mentions "the BNF gives 1 mg every 2 months"

    Examples:
      | frequency        | conditions                                 |
      | every 3 months   | subacute combined degeneration of the cord |
      | every 2-3 months | peripheral neuropathy                      |
      | every 12 weeks   | pernicious anaemia with neurological signs |
      | every 10 weeks   | ataxia                                     |

  @HYDROXO-NEURO-MAINTENANCE-INTERVAL
  Scenario Outline: Neurological involvement maintained <frequency> is the BNF's
    Given the order is changed to:
      | phase      | maintenance           |
      | frequency  | <frequency>           |
      | duration   | lifelong              |
      | conditions | peripheral neuropathy |
    Then the order is not flagged HYDROXO-NEURO-MAINTENANCE-INTERVAL
    And the order passes

    Examples:
      | frequency      |
      | every 2 months |
      | every 8 weeks  |
      | every 9 weeks  |
      | every 60 days  |

  @HYDROXO-NEURO-MAINTENANCE-INTERVAL
  Scenario: Every 3 months is the BNF's when the conditions rule out neurological involvement
    Given the order is changed to:
      | phase      | maintenance                   |
      | frequency  | every 3 months                |
      | duration   | lifelong                      |
      | conditions | no neurological involvement   |
    Then the order is not flagged HYDROXO-NEURO-MAINTENANCE-INTERVAL
    And the order passes

  @HYDROXO-NEURO-MAINTENANCE-INTERVAL
  Scenario: Monthly with neurological involvement is flagged once, as outside 2-3 months
    Given the order is changed to:
      | phase      | maintenance           |
      | frequency  | monthly               |
      | duration   | lifelong              |
      | conditions | peripheral neuropathy |
    Then the order is not flagged HYDROXO-NEURO-MAINTENANCE-INTERVAL
    And the order has exactly these findings:
      | HYDROXO-MAINTENANCE-INTERVAL | warning |
