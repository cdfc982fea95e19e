Feature: Hydroxocobalamin: the product, the arithmetic, the dose and the route
  Hydroxocobalamin injection is 1 mg in 1 mL (1000 mcg/mL), and every dose the BNF gives is 1 mg by
  intramuscular injection: one ampoule, into a muscle. The commonest real error is a volume worked
  out from the wrong strength.

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

  @HYDROXO-PRODUCT-STRENGTH
  Scenario Outline: A vial of <strength> is not the 1 mg/mL product
    Given the order is changed to:
      | concentration         | <strength> |
      | product concentration | <strength> |
      | volume                | <volume>   |
    Then the order is flagged HYDROXO-PRODUCT-STRENGTH as critical
    And the order has exactly these findings:
      | HYDROXO-PRODUCT-STRENGTH | critical |
    And the message of HYDROXO-PRODUCT-STRENGTH mentions "The vial is <said>, but"

    # The vial's strength as the order wrote it, then in mcg/mL, as the rule compared it.
    Examples:
      | strength      | volume | said                            |
      | 500 mcg/mL    | 2 mL   | 500 mcg/mL                      |
      | 5 mg/mL       | 0.2 mL | 5 mg/mL (5,000 mcg/mL)          |
      | 2500 mcg/2 mL | 0.8 mL | 2,500 mcg/2 mL (1,250 mcg/mL)   |

  @HYDROXO-PRODUCT-STRENGTH
  Scenario Outline: The 1 mg/mL product written as <strength> is the product
    Given the order's product concentration is "<strength>"
    Then the order is not flagged HYDROXO-PRODUCT-STRENGTH
    And the order passes

    Examples:
      | strength       |
      | 1 mg/mL        |
      | 1000 mcg/mL    |
      | 1 mg per mL    |
      | 1000 mcg/1 mL  |
      | 1 mg in 1 mL   |

  @HYDROXO-CONC-MISMATCH
  Scenario: The order assumes 100 mcg/mL but the vial is 1000 mcg/mL
    Given the order's concentration is "100 mcg/mL"
    Then the order has exactly these findings:
      | HYDROXO-CONC-MISMATCH | critical |
    And the message of HYDROXO-CONC-MISMATCH mentions "assumes 100 mcg/mL but the vial is 1,000 mcg/mL"

  @HYDROXO-CONC-MISMATCH
  Scenario: Without the vial's strength, the ordered one is compared with the product's 1 mg/mL
    Given the order has no product concentration
    And the order's concentration is "10 mg/mL"
    Then the order is flagged HYDROXO-CONC-MISMATCH as critical
    And the message of HYDROXO-CONC-MISMATCH mentions "assumes 10 mg/mL (10,000 mcg/mL) but the vial is 1,000 mcg/mL"

  @HYDROXO-CONC-MISMATCH
  Scenario Outline: Concentrations that agree after unit normalisation: <ordered> and <vial>
    Given the order is changed to:
      | concentration         | <ordered> |
      | product concentration | <vial>    |
    Then the order is not flagged HYDROXO-CONC-MISMATCH
    And the order passes

    Examples:
      | ordered     | vial        |
      | 1 mg/mL     | 1000 mcg/mL |
      | 1000 mcg/mL | 1 mg/mL     |
      | 1 mg/mL     | 1 mg/mL     |

  @HYDROXO-CONC-MISMATCH
  Scenario: An order that states no concentration has none to mismatch
    Given the order has no concentration
    Then the order is not flagged HYDROXO-CONC-MISMATCH
    And the order passes

  @HYDROXO-DOSE-VOLUME-MISMATCH
  Scenario Outline: <volume> does not deliver 1 mg at 1 mg/mL
    Given the order's volume is "<volume>"
    Then the order has exactly these findings:
      | HYDROXO-DOSE-VOLUME-MISMATCH | critical |
    And the message of HYDROXO-DOSE-VOLUME-MISMATCH mentions "the volume should be 1 mL"
    And the suggested fix sets volume_ml to 1 mL

    Examples:
      | volume |
      | 0.1 mL |
      | 0.5 mL |
      | 2 mL   |
      | 1.1 mL |

  @HYDROXO-DOSE-VOLUME-MISMATCH
  Scenario: Without any strength, the volume is checked against the product's 1 mg/mL
    Given the order has no concentration
    And the order has no product concentration
    And the order's volume is "0.1 mL"
    Then the order is flagged HYDROXO-DOSE-VOLUME-MISMATCH as critical
    And the suggested fix of HYDROXO-DOSE-VOLUME-MISMATCH sets volume_ml to 1 mL

  # Any dose but the BNF's 1 mg may itself be the mistake (HYDROXO-DOSE): no volume is suggested.
  @HYDROXO-DOSE-VOLUME-MISMATCH
  Scenario: No volume is suggested for a dose other than 1 mg
    Given the order's dose is "500 mcg"
    Then the order is flagged HYDROXO-DOSE-VOLUME-MISMATCH as critical
    And the order is flagged HYDROXO-DOSE
    And HYDROXO-DOSE-VOLUME-MISMATCH has no suggested fix

  @HYDROXO-DOSE-VOLUME-MISMATCH
  Scenario Outline: A volume within 0.005 mL of 1 mL delivers 1 mg: <volume>
    Given the order's volume is "<volume>"
    Then the order is not flagged HYDROXO-DOSE-VOLUME-MISMATCH

    Examples:
      | volume   |
      | 1 mL     |
      | 0.996 mL |
      | 0.995 mL |
      | 1.005 mL |

  @HYDROXO-DOSE
  Scenario Outline: <dose> in <volume> is not the BNF's 1 mg
    Given the order is changed to:
      | dose   | <dose>   |
      | volume | <volume> |
    Then the order has exactly these findings:
      | HYDROXO-DOSE | warning |
    And the message of HYDROXO-DOSE mentions "<said> per injection: the BNF gives hydroxocobalamin as 1,000 mcg"

    Examples:
      | dose     | volume | said             |
      | 500 mcg  | 0.5 mL | 500 mcg          |
      | 100 mcg  | 0.1 mL | 100 mcg          |
      | 2 mg     | 2 mL   | 2 mg (2,000 mcg) |
      | 5000 mcg | 5 mL   | 5,000 mcg        |

  @HYDROXO-DOSE
  Scenario Outline: 1 mg written as <dose> is the BNF's dose
    Given the order's dose is "<dose>"
    Then the order is not flagged HYDROXO-DOSE
    And the order passes

    Examples:
      | dose       |
      | 1 mg       |
      | 1000 mcg   |
      | 1,000 mcg  |
      | 1 milligram |

  @HYDROXO-DOSE-IMPLAUSIBLE
  Scenario: 1000 mg, a mg/mcg mix-up
    Given the order is changed to:
      | dose   | 1000 mg |
      | volume | 1000 mL |
    Then the order has exactly these findings:
      | HYDROXO-DOSE-IMPLAUSIBLE | critical |
    And the message of HYDROXO-DOSE-IMPLAUSIBLE mentions "Check for a mg/mcg mix-up"

  @HYDROXO-DOSE-IMPLAUSIBLE
  Scenario: 10 mg is implausible, and flagged once (not also as a dose other than 1 mg)
    Given the order is changed to:
      | dose   | 10 mg |
      | volume | 10 mL |
    Then the order is flagged HYDROXO-DOSE-IMPLAUSIBLE as critical
    And the order is not flagged HYDROXO-DOSE

  @HYDROXO-DOSE-IMPLAUSIBLE
  Scenario: 5 mg in 5 mL is a wrong dose, not an implausible one
    Given the order is changed to:
      | dose   | 5 mg |
      | volume | 5 mL |
    Then the order is not flagged HYDROXO-DOSE-IMPLAUSIBLE
    And the order is flagged HYDROXO-DOSE as warning

  @HYDROXO-ROUTE
  Scenario Outline: Route <route> is not the BNF's
    Given the order's route is "<route>"
    Then the order is flagged HYDROXO-ROUTE as warning
    And the order has exactly these findings:
      | HYDROXO-ROUTE | warning |
    And the message of HYDROXO-ROUTE mentions "Route <code> is not for this product"

    Examples:
      | route            | code |
      | IV               | IV   |
      | intravenous      | IV   |
      | SC               | SC   |
      | deep SC          | SC   |
      | subcutaneous     | SC   |
      | PO               | PO   |
      | IV push          | IV   |
      | Subcutaneous use | SC   |

  @HYDROXO-ROUTE
  Scenario Outline: Intramuscular written as <route>
    Given the order's route is "<route>"
    Then the order is not flagged HYDROXO-ROUTE
    And the order passes

    Examples:
      | route               |
      | IM                  |
      | intramuscular       |
      | intramuscularly     |
      | i.m.                |
      | Intramuscular route |
      | Intramuscular use   |
      | IM injection        |
      | 78421000            |

  Scenario Outline: Into a muscle, however the site is written: <site>
    Given the order's site is "<site>"
    Then the order passes

    Examples:
      | site           |
      | left upper arm |
      | R deltoid      |
      | LD             |
      | right thigh    |
      | RVL            |
      | buttock        |
      | gluteal        |
      | LVG            |

  Scenario Outline: Hydroxocobalamin is dosed by mass, not in units: "<dose>"
    Given the order's dose is "<dose>"
    Then the order is invalid because of its dose
    And the error about its dose mentions "hydroxocobalamin is dosed by mass (mcg); '<dose>' is not a mass"

    Examples:
      | dose       |
      | 1000 units |
      | 1000 IU    |

  @HYDROXO-HYPERSENSITIVITY
  Scenario Outline: Allergy to <allergies>
    Given the order's allergies are "<allergies>"
    Then the order is flagged HYDROXO-HYPERSENSITIVITY as critical
    And the order has exactly these findings:
      | HYDROXO-HYPERSENSITIVITY | critical |
    And the message of HYDROXO-HYPERSENSITIVITY mentions "Allergy to <named>"

    Examples:
      | allergies                | named                |
      | hydroxocobalamin         | hydroxocobalamin     |
      | Neo-Cytamen (rash)       | cytamen, neo cytamen |
      | Allergic to cobalt       | cobalt               |
      | penicillin; vitamin B-12 | b12, vitamin b12     |
      | cyanocobalamin injection | cyanocobalamin       |

  @HYDROXO-HYPERSENSITIVITY
  Scenario Outline: Other allergies, and Leber's disease, are not contraindications: <allergies> / <conditions>
    Hydroxocobalamin, unlike cyanocobalamin, is not contraindicated in Leber's disease.
    Given the order is changed to:
      | allergies  | <allergies>  |
      | conditions | <conditions> |
    Then the order is not flagged HYDROXO-HYPERSENSITIVITY
    And the order passes

    Examples:
      | allergies         | conditions                       |
      | penicillin        | pernicious anaemia               |
      | vitamin B6; latex | Leber's hereditary optic atrophy |
      | NKDA              | none                             |

  @HYDROXO-HYPERSENSITIVITY
  Scenario Outline: An allergy recorded as absent is not a contraindication: <allergies>
    Given the order's allergies are "<allergies>"
    Then the order is not flagged HYDROXO-HYPERSENSITIVITY
    And the order passes

    Examples:
      | allergies                          |
      | denies cobalt allergy              |
      | hydroxocobalamin allergy ruled out |
      | no allergy to Neo-Cytamen          |
      | negative for B12 hypersensitivity  |

  @HYDROXO-HYPERSENSITIVITY
  Scenario Outline: An allergy beside a negation that does not reach it: <allergies>
    Given the order's allergies are "<allergies>"
    Then the order is flagged HYDROXO-HYPERSENSITIVITY as critical

    Examples:
      | allergies                             |
      | no known drug allergies except cobalt |
      | no latex allergy; hydroxocobalamin    |
