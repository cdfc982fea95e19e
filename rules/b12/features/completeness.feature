Feature: A complete order
  A dose is a plan: how much, how often, for how long, and by which route. A safe order states the dose
  in mcg and the volume in mL (so the arithmetic can be checked against the vial), the frequency, the
  duration and the route (an order without one cannot be checked against IM or deep SC).
  Orders that state only a volume ("one mL") or only a dose are the commonest source of real errors.

  Background:
    Given a standard cyanocobalamin order

  @B12-ORDER-INCOMPLETE
  Scenario Outline: An order that does not state its <field> is incomplete
    Given the order has no <field>
    Then the order is flagged B12-ORDER-INCOMPLETE as warning
    And the message of B12-ORDER-INCOMPLETE mentions "The order does not state its <field>."

    Examples:
      | field     |
      | dose      |
      | volume    |
      | frequency |
      | duration  |
      | route     |

  @B12-ORDER-INCOMPLETE
  Scenario: A blank route is not a stated route
    Given the order's route is ""
    Then the order has exactly these findings:
      | B12-ORDER-INCOMPLETE | warning |
    And the message of B12-ORDER-INCOMPLETE mentions "The order does not state its route."

  @B12-ORDER-INCOMPLETE
  Scenario: A route of spaces only is not a stated route
    Given the order's route is "   "
    Then the order has exactly these findings:
      | B12-ORDER-INCOMPLETE | warning |
    And the message of B12-ORDER-INCOMPLETE mentions "The order does not state its route."

  @B12-ORDER-INCOMPLETE
  Scenario: A route sent as null is not a stated route
    Given an order as JSON:
      """
      {"order_id": "O1", "patient_id": "P1", "drug": "cyanocobalamin", "dose": "1000 mcg", "volume": "1 mL",
       "concentration": "1000 mcg/mL", "product_concentration": "1000 mcg/mL", "route": null,
       "site": "deltoid", "frequency": "daily", "duration": "7 days", "phase": "repletion"}
      """
    Then the order has exactly these findings:
      | B12-ORDER-INCOMPLETE | warning |
    And the message of B12-ORDER-INCOMPLETE mentions "The order does not state its route."

  @B12-ORDER-INCOMPLETE
  Scenario: "Give one mL": only a volume
    Given the order has no dose
    And the order has no frequency
    And the order has no duration
    Then the order has exactly these findings:
      | B12-ORDER-INCOMPLETE |
    And the message of B12-ORDER-INCOMPLETE mentions "does not state its dose, frequency, duration"

  @B12-ORDER-INCOMPLETE
  Scenario: A blank cell is not a stated value
    Given the order's volume is ""
    Then the order is flagged B12-ORDER-INCOMPLETE as warning
    And the message of B12-ORDER-INCOMPLETE mentions "does not state its volume"

  @B12-ORDER-INCOMPLETE
  Scenario: The standard order states dose, volume, frequency, duration and route
    Then the order is not flagged B12-ORDER-INCOMPLETE

  @B12-ORDER-INCOMPLETE
  Scenario: The concentration can be left to the vial's strength
    Given the order has no concentration
    Then the order is not flagged B12-ORDER-INCOMPLETE
    And the order passes

  @B12-ORDER-INCOMPLETE
  Scenario Outline: A duration may be a period, a number of doses or open-ended: <duration>
    Given the order is changed to:
      | frequency | <frequency> |
      | duration  | <duration>  |
      | phase     | <phase>     |
    Then the order is not flagged B12-ORDER-INCOMPLETE
    And the order passes

    Examples:
      | frequency       | duration                      | phase       |
      | daily           | 1 week                        | repletion   |
      | every other day | 7 doses                       | repletion   |
      | every other day | until no further improvement  | repletion   |
      | monthly         | lifelong                      | maintenance |
      | every 3 months  | ongoing                       | maintenance |
