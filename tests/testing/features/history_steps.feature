Feature: The patient's history behind a scenario's order
  The MAR, the lab results and the patient's other orders, as tables a pharmacist fills in. Times
  count back from the order's ordered_at (2026-03-01 09:00 UTC unless it says otherwise), and tables
  of a Background and of a scenario add up.

  Background:
    Given a standard cyanocobalamin order
    And these administrations:
      | drug           | dose     | route | days before the order | status |
      | cyanocobalamin | 1000 mcg | IM    | 3                     | given  |

  Scenario: Each table becomes the patient context of the order, in time order
    Given these administrations:
      | drug                | dose  | route | given_at                 | status  |
      | Cyanocobalamin      | 1 mg  | IM    | 2026-02-27T09:00:00Z     |         |
      | vitamin B12         | 1 mg  | IM    | 12 hours before the order | missed  |
    And these lab results:
      | test        | value | unit | taken_at                 |
      | Hgb         | 81    | g/L  | 10 days before the order |
      | 2823-3      | 3.1   |      | at the order             |
    And the patient has another active order:
      | drug  | cyanocobalamin 1000 mcg tablet |
      | route | oral                           |
    Then the patient context holds administrations, labs, orders
    And the doses are:
      | cyanocobalamin | 2026-02-26T09:00:00+00:00 | given  | 1000 |
      | cyanocobalamin | 2026-02-27T09:00:00+00:00 | given  | 1000 |
      | cyanocobalamin | 2026-02-28T21:00:00+00:00 | missed | 1000 |
    And the lab results are:
      | haemoglobin | 2026-02-19T09:00:00+00:00 | 8.1 |
      | potassium   | 2026-03-01T09:00:00+00:00 | 3.1 |
    And the other orders are:
      | cyanocobalamin | PO | oral | active |

  Scenario: Times count from the order's own ordered_at
    Given the order's ordered_at is "2026-06-01T09:00:00Z"
    Then the doses are:
      | cyanocobalamin | 2026-05-29T09:00:00+00:00 | given | 1000 |

  Scenario: An empty table says the run holds that kind and the patient has none
    Given these lab results:
      | test | value | unit | taken_at |
    And no other orders are recorded
    Then the patient context holds administrations, labs, orders
    And the lab results are:
      | none |

  Scenario: A stopped other order is not active
    Given the patient has another active order:
      | drug   | cyanocobalamin |
      | route  | IM             |
      | status | discontinued   |
    Then the other orders are:
      | cyanocobalamin | IM | none | inactive |
