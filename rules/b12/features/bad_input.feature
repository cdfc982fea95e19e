Feature: Orders that cannot be understood
  An order the checker cannot read is not checked, so it must never come back as a pass: it is
  invalid, and each field that is wrong is named with the reason.

  Scenario Outline: An unreadable <field>: "<written>"
    Given a standard cyanocobalamin order
    And the order's <field> is "<written>"
    Then the order is invalid because of its <field>
    And the error about its <field> mentions "<reason>"

    Examples:
      | field                 | written     | reason                              |
      | dose                  | a lot       | is not a dose                       |
      | dose                  | 1000        | has no unit                         |
      | dose                  | 1 mL        | 'ml' is a volume unit               |
      | dose                  | 1000 IU     | dosed by mass (mcg)                 |
      | volume                | -1 mL       | a volume cannot be negative         |
      | volume                | 0 mL        | a volume must be greater than zero  |
      | volume                | 0,5 mL      | not a comma                         |
      | concentration         | 1000 mcg    | is not a concentration              |
      | route                 | intramuscle | unknown route 'intramuscle'         |
      | route                 | IM/IV       | unknown route 'IM/IV'               |
      | site                  | knee        | unknown site 'knee'                 |
      | frequency             | biweekly    | ambiguous                           |
      | frequency             | sometimes   | is not a frequency                  |
      | duration              | 10 hours    | not hours                           |
      | phase                 | acute       | unknown phase 'acute'               |
      | administrations given | three       | must be a whole number              |
      | administrations given | -1          | must be 0 or more                   |

  Scenario Outline: Cyanocobalamin is dosed by mass, not in units: "<dose>"
    Units measure the activity of drugs such as heparin or insulin; a cyanocobalamin dose in units
    cannot be checked against a dose in micrograms, so the order is not read as one.
    Given a standard cyanocobalamin order
    And the order's dose is "<dose>"
    Then the order is invalid because of its dose
    And the error about its dose mentions "cyanocobalamin is dosed by mass (mcg); '<dose>' is not a mass"

    Examples:
      | dose                     |
      | 1000 units               |
      | 1 unit                   |
      | 1000 IU                  |
      | 1000 U                   |
      | 1000 international units |
      | 1000 USP units           |

  Scenario: Every wrong field is named, not just the first
    Given a standard cyanocobalamin order
    And the order is changed to:
      | dose   | a lot       |
      | volume | -1 mL       |
      | route  | intramuscle |
    Then the order is invalid because of its dose
    And the order is invalid because of its volume
    And the order is invalid because of its route

  Scenario: A count of doses needs a frequency
    Given a standard cyanocobalamin order
    And the order's duration is "10 doses"
    And the order has no frequency
    Then the order is invalid because of its duration
    And the error about its duration mentions "needs a frequency"

  Scenario Outline: An order without its <field>
    Given a standard cyanocobalamin order
    And the order has no <field>
    Then the order is invalid because of its <field>

    Examples:
      | field      |
      | order_id   |
      | patient_id |
      | drug       |

  Scenario: A dose sent as a bare number
    Given an order as JSON:
      """
      {"order_id": "O7", "patient_id": "P7", "drug": "cyanocobalamin", "dose": 1000, "volume": "1 mL",
       "frequency": "daily", "duration": "7 days"}
      """
    Then the order is invalid because of its dose
    And the error about its dose mentions "a number without a unit"

  Scenario: A record that is not an order at all
    Given an order as JSON:
      """
      ["cyanocobalamin", "1000 mcg", "1 mL"]
      """
    Then the order is invalid because of the record

  Scenario: An allergy list that is not text
    Given an order as JSON:
      """
      {"order_id": "O8", "patient_id": "P8", "drug": "cyanocobalamin", "dose": "1000 mcg", "volume": "1 mL",
       "frequency": "daily", "duration": "7 days", "allergies": [{"substance": "cobalt"}]}
      """
    Then the order is invalid because of its allergies

  @DOSEGUARD-DRUG-NOT-COVERED
  Scenario: A drug no rule pack covers is not passed unchecked
    Given an order:
      | drug      | methylcobalamin |
      | dose      | 1 mg            |
      | volume    | 1 mL            |
      | route     | IM              |
      | frequency | every 3 months  |
      | duration  | lifelong        |
    Then the order is not checked because no rule pack covers its drug
    And the order is flagged DOSEGUARD-DRUG-NOT-COVERED as info
    And the message of DOSEGUARD-DRUG-NOT-COVERED mentions "No rule pack covers 'methylcobalamin'"

  @DOSEGUARD-DRUG-NOT-COVERED
  Scenario Outline: The pack's synonyms name the same drug: <drug>
    Given a standard cyanocobalamin order
    And the order's drug is "<drug>"
    Then the order is not flagged DOSEGUARD-DRUG-NOT-COVERED
    And the order passes

    Examples:
      | drug                     |
      | Cyanocobalamin           |
      | vitamin B12              |
      | vitamin B-12             |
      | cyanocobalamin injection |
