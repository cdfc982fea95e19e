Feature: Hydroxocobalamin: the BNF's regimens raise no alert
  The UK regimen (BNF) for pernicious anaemia and other macrocytic anaemias. Without neurological
  involvement: 1 mg IM three times a week for 2 weeks, then 1 mg every 2-3 months. With neurological
  involvement: 1 mg on alternate days until no further improvement, then 1 mg every 2 months. Each
  phase, with and without neurological involvement, written the ways prescribers write it, must come
  back as a pass with no finding at all: alert fatigue is the field's central problem.

  Background:
    Given an order:
      | drug                  | hydroxocobalamin |
      | dose                  | 1 mg             |
      | volume                | 1 mL             |
      | concentration         | 1 mg/mL          |
      | product concentration | 1000 mcg/mL      |
      | route                 | IM               |
      | site                  | deltoid          |

  Scenario Outline: Without neurological involvement, <phase>: 1 mg <frequency> for <duration>
    Given the order is changed to:
      | frequency  | <frequency>                                          |
      | duration   | <duration>                                           |
      | phase      | <phase>                                              |
      | conditions | pernicious anaemia without neurological involvement |
    Then the order passes

    Examples:
      | phase       | frequency          | duration    |
      | repletion   | three times a week | 2 weeks     |
      | repletion   | three times a week | 6 doses     |
      | repletion   | 3 times a week     | 14 days     |
      | repletion   | on alternate days  | 6 doses     |
      | repletion   | alternate days     | 2 weeks     |
      | maintenance | every 2-3 months   | lifelong    |
      | maintenance | every 2 months     | lifelong    |
      | maintenance | every 3 months     | for life    |
      | maintenance | every 12 weeks     | lifelong    |
      | maintenance | every 13 weeks     | indefinitely |
      | maintenance | every 8 weeks      | lifelong    |

  Scenario Outline: With neurological involvement (<conditions>), <phase>: 1 mg <frequency> for <duration>
    Given the order is changed to:
      | frequency  | <frequency>  |
      | duration   | <duration>   |
      | phase      | <phase>      |
      | conditions | <conditions> |
    Then the order passes

    Examples:
      | phase       | frequency         | duration                     | conditions                                       |
      | repletion   | on alternate days | until no further improvement | subacute combined degeneration of the cord       |
      | repletion   | every other day   | until no further improvement | pernicious anaemia; peripheral neuropathy        |
      | repletion   | alternate days    | ongoing                      | B12 deficiency with neurological involvement     |
      | repletion   | on alternate days | 3 months                     | paraesthesia in both feet                        |
      | maintenance | every 2 months    | lifelong                     | subacute combined degeneration of the cord       |
      | maintenance | every 8 weeks     | lifelong                     | pernicious anaemia; peripheral neuropathy        |
      | maintenance | every 9 weeks     | for life                     | ataxia                                           |

  Scenario Outline: Neurological involvement not recorded either way: 1 mg <frequency> for <duration>
    Either regimen may be the right one, so an order that follows either passes.
    Given the order is changed to:
      | frequency | <frequency> |
      | duration  | <duration>  |
      | phase     | <phase>     |
    Then the order passes

    Examples:
      | phase       | frequency          | duration                     |
      | repletion   | three times a week | 2 weeks                      |
      | repletion   | on alternate days  | until no further improvement |
      | maintenance | every 2-3 months   | lifelong                     |
      | maintenance | every 2 months     | lifelong                     |
      | maintenance | every 3 months     | lifelong                     |

  Scenario Outline: No phase stated: the frequency says which (1 mg <frequency> for <duration>)
    Given the order is changed to:
      | frequency | <frequency> |
      | duration  | <duration>  |
    Then the order passes

    Examples:
      | frequency          | duration                     |
      | three times a week | 2 weeks                      |
      | on alternate days  | until no further improvement |
      | every 3 months     | lifelong                     |
      | every 2–3 months   | lifelong                     |

  Scenario: Written with synonyms and spelt-out units
    Given the order is changed to:
      | drug                  | Neo-Cytamen         |
      | dose                  | 1000 mcg            |
      | concentration         | 1000 mcg/mL         |
      | product concentration | 1 mg/mL             |
      | route                 | intramuscular       |
      | site                  | right ventrogluteal |
      | frequency             | three times a week  |
      | duration              | 2 weeks             |
      | phase                 | initial             |
    Then the order passes

  Scenario: 1 mg with no volume and no strength: the whole 1 mL ampoule
    Given an order:
      | drug      | hydroxocobalamin |
      | dose      | 1 mg             |
      | route     | IM               |
      | frequency | every 3 months   |
      | duration  | lifelong         |
      | phase     | maintenance      |
    Then the order passes

  Scenario: A patient with a history, allergies and doses already given
    Given the order is changed to:
      | frequency             | three times a week                                  |
      | duration              | 2 weeks                                             |
      | phase                 | repletion                                           |
      | allergies             | penicillin; latex                                   |
      | conditions            | pernicious anaemia; Leber's disease; no neuropathy |
      | administrations given | 3                                                   |
    Then the order passes

  Scenario: An order as a UK ordering system sends it
    Given an order as JSON:
      """
      {
        "order_id": "RX-77120",
        "patient_id": "NHS-4857773456",
        "drug": "Hydroxocobalamin",
        "dose": "1 mg",
        "volume": "1 mL",
        "product_concentration": "1 mg/mL",
        "route": "intramuscular",
        "site": "left deltoid",
        "frequency": "every 3 months",
        "duration": "lifelong",
        "phase": "maintenance",
        "conditions": ["pernicious anaemia", "nil neuro"],
        "allergies": ["NKDA"]
      }
      """
    Then the order passes

  @DOSEGUARD-DRUG-NOT-COVERED
  Scenario Outline: Hydroxocobalamin is covered, under its names: <drug>
    Given the order is changed to:
      | drug      | <drug>             |
      | frequency | three times a week |
      | duration  | 2 weeks            |
    Then the order is not flagged DOSEGUARD-DRUG-NOT-COVERED
    And the order passes

    Examples:
      | drug                       |
      | hydroxocobalamin           |
      | Hydroxocobalamin           |
      | hydroxycobalamin           |
      | hydroxocobalamin injection |
      | Neo-Cytamen                |
      | Cobalin-H                  |
