Feature: Hydroxocobalamin one-time orders
  "Hydroxocobalamin 1 mg IM stat", or the three-monthly maintenance injection booked as a one-off at
  the surgery, is one injection: it has no frequency or duration to state, and the BNF's course rules
  (how often, how many injections, how long) have nothing to judge in it. It still states its dose and
  route, and is checked against the product and the BNF's 1 mg like any other order.

  Background:
    Given an order:
      | drug                  | hydroxocobalamin |
      | dose                  | 1 mg             |
      | volume                | 1 mL             |
      | concentration         | 1 mg/mL          |
      | product concentration | 1000 mcg/mL      |
      | route                 | IM               |
      | site                  | deltoid          |
      | frequency             | once             |

  @HYDROXO-ORDER-INCOMPLETE @HYDROXO-ONE-TIME-INCOMPLETE
  Scenario Outline: A one-time order written "<frequency>" needs no duration
    Given the order's frequency is "<frequency>"
    Then the order is not flagged HYDROXO-ORDER-INCOMPLETE
    And the order is not flagged HYDROXO-ONE-TIME-INCOMPLETE
    And the order passes

    Examples:
      | frequency   |
      | once        |
      | STAT        |
      | x1          |
      | single dose |
      | once only   |

  @HYDROXO-INITIAL-FREQUENCY @HYDROXO-INITIAL-SHORT @HYDROXO-MAINTENANCE-INTERVAL
  Scenario Outline: The course rules do not judge one injection (<phase>, <conditions>)
    Given the order is changed to:
      | phase      | <phase>      |
      | conditions | <conditions> |
    Then the order is not flagged HYDROXO-INITIAL-FREQUENCY
    And the order is not flagged HYDROXO-INITIAL-SHORT
    And the order is not flagged HYDROXO-MAINTENANCE-INTERVAL
    And the order passes

    Examples:
      | phase       | conditions                                            |
      | repletion   | pernicious anaemia without neurological involvement   |
      | maintenance | pernicious anaemia without neurological involvement   |
      | repletion   | subacute combined degeneration of the cord            |
      | maintenance | peripheral neuropathy                                 |

  @HYDROXO-NEURO-INITIAL-FIXED @HYDROXO-INITIAL-LONG
  Scenario: One injection on the day, with neurological involvement, is not a fixed 2-week course
    Given the order is changed to:
      | phase      | repletion             |
      | duration   | 1 day                 |
      | conditions | peripheral neuropathy |
    Then the order is not flagged HYDROXO-NEURO-INITIAL-FIXED
    And the order is not flagged HYDROXO-INITIAL-LONG
    And the order passes

  @HYDROXO-ONE-TIME-INCOMPLETE
  Scenario Outline: A one-time order that does not state its <field>
    Given the order has no <field>
    Then the order is flagged HYDROXO-ONE-TIME-INCOMPLETE as warning
    And the order has exactly these findings:
      | HYDROXO-ONE-TIME-INCOMPLETE | warning |
    And the message of HYDROXO-ONE-TIME-INCOMPLETE mentions "A one-time order that does not state its <field>."

    Examples:
      | field |
      | dose  |
      | route |

  @HYDROXO-ONE-TIME-INCOMPLETE
  Scenario: 1 mg once with no volume is complete: the whole 1 mL ampoule
    Given the order has no volume
    Then the order is not flagged HYDROXO-ONE-TIME-INCOMPLETE
    And the order passes

  @HYDROXO-DOSE
  Scenario: A one-time order is checked against the BNF's 1 mg like any other
    Given the order's dose is "500 mcg"
    And the order's volume is "0.5 mL"
    Then the order is flagged HYDROXO-DOSE as warning

  @HYDROXO-ORDER-INCOMPLETE
  Scenario: "Once weekly" is a schedule, not a one-time order: it needs a duration
    Given the order's frequency is "once weekly"
    Then the order is flagged HYDROXO-ORDER-INCOMPLETE as warning
    And the message of HYDROXO-ORDER-INCOMPLETE mentions "does not state its duration"
