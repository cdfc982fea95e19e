Feature: Correct orders raise no alert
  Clinicians override most drug-safety alerts; a checker earns trust by precision. A correct order
  must come back as a pass with no finding at all, not even an information one.

  Scenario: The standard order: 1000 mcg (1 mL) IM daily for 7 days
    Given a standard cyanocobalamin order
    Then the order passes

  Scenario: 1000 mcg every other day for 2 weeks (repletion)
    Given a standard cyanocobalamin order
    And the order is changed to:
      | frequency | every other day |
      | duration  | 2 weeks         |
    Then the order passes

  Scenario: 1000 mcg monthly for life (maintenance)
    Given a standard cyanocobalamin order
    And the order is changed to:
      | frequency | monthly     |
      | duration  | lifelong    |
      | phase     | maintenance |
    Then the order passes

  Scenario: 100 mcg (0.1 mL) daily for 7 days, as on the US label
    Given a standard cyanocobalamin order
    And the order is changed to:
      | dose   | 100 mcg |
      | volume | 0.1 mL  |
    Then the order passes

  Scenario Outline: The US label's plan, step by step: 100 mcg <frequency> for <duration>
    Given an order:
      | drug                  | cyanocobalamin |
      | dose                  | 100 mcg        |
      | volume                | 0.1 mL         |
      | concentration         | 1000 mcg/mL    |
      | product concentration | 1000 mcg/mL    |
      | route                 | IM             |
      | site                  | deltoid        |
      | frequency             | <frequency>    |
      | duration              | <duration>     |
      | phase                 | <phase>        |
    Then the order passes

    Examples:
      | frequency      | duration  | phase       |
      | daily          | 6-7 days  | repletion   |
      | alternate days | 7 doses   | repletion   |
      | every 3-4 days | 2-3 weeks | repletion   |
      | monthly        | for life  | maintenance |

  Scenario Outline: The BNF's plan, in mg: 1 mg <frequency> for <duration>
    Given an order:
      | drug          | cyanocobalamin |
      | dose          | 1 mg           |
      | volume        | 1 mL           |
      | concentration | 1 mg/mL        |
      | route         | intramuscular  |
      | site          | ventrogluteal  |
      | frequency     | <frequency>    |
      | duration      | <duration>     |
      | phase         | <phase>        |
    Then the order passes

    Examples:
      | frequency          | duration                     | phase       |
      | three times a week | 2 weeks                      | repletion   |
      | every 3 months     | lifelong                     | maintenance |
      | on alternate days  | until no further improvement | repletion   |
      | every 2 months     | indefinitely                 | maintenance |

  Scenario: 1000 mcg weekly for 8 weeks, deep subcutaneous
    Given a standard cyanocobalamin order
    And the order is changed to:
      | route     | deep SC |
      | frequency | weekly  |
      | duration  | 8 weeks |
    Then the order passes

  Scenario: A patient with a history, allergies and doses already given
    Given a standard cyanocobalamin order
    And the order is changed to:
      | site                  | left vastus lateralis               |
      | allergies             | penicillin; sulfonamides            |
      | conditions            | pernicious anaemia; coeliac disease |
      | administrations given | 4                                   |
    Then the order passes

  Scenario: An order as an ordering system sends it
    Given an order as JSON:
      """
      {
        "order_id": "RX-20931",
        "patient_id": "MRN-448120",
        "drug": "Vitamin B12",
        "dose": "1000 mcg",
        "volume": "1 mL",
        "concentration": "1000 mcg/mL",
        "product_concentration": "1 mg/mL",
        "route": "IM",
        "site": "right deltoid",
        "frequency": "every other day",
        "duration": "7 doses",
        "phase": "repletion",
        "administrations_given": 2,
        "allergies": ["penicillin"],
        "conditions": ["pernicious anaemia"],
        "red_flags": []
      }
      """
    Then the order passes

  Scenario Outline: A correct order that leaves out the strength: <dose> in <volume> <frequency>
    Given an order:
      | drug      | cyanocobalamin |
      | dose      | <dose>         |
      | volume    | <volume>       |
      | route     | IM             |
      | site      | deltoid        |
      | frequency | <frequency>    |
      | duration  | <duration>     |
      | phase     | <phase>        |
    Then the order passes

    Examples:
      | dose     | volume | frequency          | duration  | phase       |
      | 1000 mcg | 1 mL   | daily              | 1 week    | repletion   |
      | 1000 mcg | 1 mL   | every other day    | 7 doses   | repletion   |
      | 1 mg     | 1 mL   | three times a week | 2 weeks   | repletion   |
      | 1000 mcg | 1 mL   | once a fortnight   | 8 weeks   | repletion   |
      | 100 mcg  | 0.1 mL | monthly            | lifelong  | maintenance |
      | 1 mg     | 1 mL   | once every 3 months | lifelong | maintenance |

  Scenario: A patient with nothing to report writes "none" in every list
    Given a standard cyanocobalamin order
    And the order is changed to:
      | administrations given | 5    |
      | red flags             | none |
      | allergies             | NKDA |
      | conditions            | N/A  |
    Then the order passes

  Scenario: A patient whose allergies and conditions share words with the contraindications
    Given a standard cyanocobalamin order
    And the order is changed to:
      | allergies  | Penicillin (rash); latex; vitamin B6 tablets          |
      | conditions | B12 deficiency; pernicious anaemia; optic neuritis   |
    Then the order passes
