Feature: Orders of a whole-hospital export
  A hospital's export holds every order, most of them for drugs no loaded pack is about, and orders
  that are no longer to be given. Neither is an invalid order: an order for another drug is not
  checked, and says so; a cancelled, completed or stopped order is not alerted on, whatever it says.

  Scenario: An insulin order is not checked
    Its units, route, site and timing are insulin's: they are not held to the B12 vocabulary.
    Given an order:
      | drug      | insulin aspart |
      | dose      | 6 units        |
      | route     | SC             |
      | site      | abdomen        |
      | frequency | before meals   |
      | duration  | ongoing        |
    Then the order is not checked because no rule pack covers its drug
    And the order has exactly these findings:
      | DOSEGUARD-DRUG-NOT-COVERED | info |

  Scenario: An order for another drug still needs an order id
    Given an order:
      | drug      | amoxicillin |
      | dose      | 500 mg      |
      | route     | PO          |
      | frequency | TDS         |
    And the order has no order id
    Then the order is invalid because of its order id

  Scenario: A cancelled B12 order with a wrong dose is not alerted on
    Given a standard cyanocobalamin order
    And the order's dose is "10 mg"
    And the order's status is "Canceled"
    Then the order is not alerted on because it is no longer active

  Scenario Outline: An order that is "<status>" is not alerted on
    Given a standard cyanocobalamin order
    And the order's route is "IV"
    And the order's status is "<status>"
    Then the order is not alerted on because it is no longer active

    Examples:
      | status           |
      | cancelled        |
      | Canceled         |
      | entered-in-error |
      | Entered in Error |
      | completed        |
      | Completed        |
      | stopped          |
      | Discontinued     |

  @B12-ROUTE
  Scenario Outline: An order that is "<status>" is checked
    A draft, held or pending order may yet be given.
    Given a standard cyanocobalamin order
    And the order's route is "IV"
    And the order's status is "<status>"
    Then the order is flagged B12-ROUTE as warning

    Examples:
      | status   |
      | active   |
      | draft    |
      | on-hold  |
      | Pending  |
      | Ordered  |
      | Sent     |
      | Verified |

  @B12-ROUTE
  Scenario: An order that is "D/C" is checked, for D/C may mean discharge
    Given a standard cyanocobalamin order
    And the order's route is "IV"
    And the order's status is "D/C"
    Then the order is flagged B12-ROUTE as warning

  Scenario: An active order as the export writes it passes
    Given a standard cyanocobalamin order
    And the order's status is "Active"
    Then the order passes
