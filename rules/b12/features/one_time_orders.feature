Feature: One-time orders
  Not every order is a course. "Cyanocobalamin 1000 mcg IM once", a STAT dose in the emergency
  department, or the monthly injection ordered in clinic as a one-off, is one dose: there is no "how
  often" and no "for how long" to state, and asking for them would flag every such order. A one-time
  order still states its dose, its volume and its route, and is checked like any other. "Once daily",
  "once a week" and "once a month" are not one-time orders: they are schedules, and need a duration.

  Background:
    Given a standard cyanocobalamin order
    And the order has no duration
    And the order has no phase

  @B12-ORDER-INCOMPLETE @B12-ONE-TIME-INCOMPLETE
  Scenario Outline: A one-time order written "<frequency>" needs no duration
    Given the order's frequency is "<frequency>"
    Then the order is not flagged B12-ORDER-INCOMPLETE
    And the order is not flagged B12-ONE-TIME-INCOMPLETE
    And the order passes

    Examples:
      | frequency   |
      | once        |
      | ONCE        |
      | STAT        |
      | x1          |
      | one time    |
      | single dose |
      | once only   |
      | one dose    |
      | now         |

  @B12-ORDER-INCOMPLETE @B12-ONE-TIME-INCOMPLETE
  Scenario Outline: One dose written in the duration: <frequency> for <duration>
    Given the order is changed to:
      | frequency | <frequency> |
      | duration  | <duration>  |
    Then the order passes

    Examples:
      | frequency | duration    |
      | once      | 1 dose      |
      | STAT      | x1          |
      | monthly   | 1 dose      |
      | daily     | single dose |

  @B12-ORDER-INCOMPLETE
  Scenario: A dose with no frequency, for one dose, is a one-time order
    Given the order has no frequency
    And the order's duration is "1 dose"
    Then the order passes

  @B12-ONE-TIME-INCOMPLETE
  Scenario: A one-time order in any phase raises no phase finding
    Given the order is changed to:
      | frequency | once        |
      | phase     | maintenance |
    Then the order passes

  @B12-ORDER-INCOMPLETE
  Scenario Outline: "<frequency>" is a schedule, not a one-time order: it needs a duration
    Given the order's frequency is "<frequency>"
    Then the order has exactly these findings:
      | B12-ORDER-INCOMPLETE | warning |
    And the message of B12-ORDER-INCOMPLETE mentions "The order does not state its duration."

    Examples:
      | frequency   |
      | once daily  |
      | once a week |
      | once weekly |
      | once a month |

  @B12-ONE-TIME-INCOMPLETE
  Scenario Outline: A one-time order that does not state its <field>
    Given the order's frequency is "STAT"
    And the order has no <field>
    Then the order is flagged B12-ONE-TIME-INCOMPLETE as warning
    And the order has exactly these findings:
      | B12-ONE-TIME-INCOMPLETE | warning |
    And the message of B12-ONE-TIME-INCOMPLETE mentions "A one-time order that does not state its <field>."

    Examples:
      | field  |
      | dose   |
      | volume |
      | route  |

  @B12-ONE-TIME-INCOMPLETE
  Scenario: A one-time order of only a volume
    Given the order's frequency is "once"
    And the order has no dose
    And the order has no route
    Then the order has exactly these findings:
      | B12-ONE-TIME-INCOMPLETE | warning |
    And the message of B12-ONE-TIME-INCOMPLETE mentions "does not state its dose, route."

  @B12-ONE-TIME-INCOMPLETE
  Scenario: A course that leaves out its dose is B12-ORDER-INCOMPLETE's, not a one-time order's
    Given the order's duration is "7 days"
    And the order has no dose
    Then the order has exactly these findings:
      | B12-ORDER-INCOMPLETE | warning |

  @B12-DOSE-IMPLAUSIBLE
  Scenario: A one-time order is checked like any other: 1000 mg STAT
    Given the order is changed to:
      | frequency | STAT    |
      | dose      | 1000 mg |
    Then the order is flagged B12-DOSE-IMPLAUSIBLE as critical

  @B12-ROUTE
  Scenario: A one-time order is checked like any other: IV push once
    Given the order is changed to:
      | frequency | once |
      | route     | IV   |
    Then the order is flagged B12-ROUTE as warning

  Scenario Outline: One dose cannot be a course: <frequency> for <duration>
    Given the order is changed to:
      | frequency | <frequency> |
      | duration  | <duration>  |
    Then the order is invalid because of its frequency

    Examples:
      | frequency | duration   |
      | once      | x 10 doses |
      | STAT      | 2 weeks    |
      | once      | lifelong   |
