Feature: The drug as pharmacy systems and EHRs name the product
  An order rarely says just "cyanocobalamin": the pharmacy system, the EHR and the dispensing cabinet
  write the product's name, with its strength and form ("Cyanocobalamin Injection USP 1000 mcg/mL",
  "B12 inj", RxNorm's "cyanocobalamin 1 MG/ML Injectable Solution"). Each is the injection this pack
  checks. A strength written in the name is the strength of the product: it is the vial's when the
  order gives none, and an order whose vial strength says otherwise is stopped, because one of the two
  is wrong and the volume drawn depends on it. Tablets, nasal sprays, sublingual B12 and combinations
  with folic acid are other products: they are not checked as the injection.

  Background:
    Given a standard cyanocobalamin order

  Scenario Outline: "<drug>" is the injection, and a correct order of it passes
    Given the order's drug is "<drug>"
    Then the order passes

    Examples:
      | drug                                              |
      | Cyanocobalamin Injection USP 1000 mcg/mL          |
      | CYANOCOBALAMIN 1,000 MCG/ML INJECTION SOLUTION    |
      | Vitamin B12 injection                             |
      | B12 inj                                           |
      | cyanocobalamin 1 MG/ML Injectable Solution        |
      | cyanocobalamin 1000 mcg/mL vial                   |
      | CYANOCOBALAMIN 1000MCG/ML 1ML VL                  |
      | cyanocobalamin (VITAMIN B-12) 1,000 mcg/mL injection |

  Scenario Outline: An implausible dose of "<drug>" is caught as it is for cyanocobalamin
    Given the order's drug is "<drug>"
    And the order is changed to:
      | dose   | 100 mg |
      | volume | 100 mL |
    Then the order is flagged B12-DOSE-IMPLAUSIBLE as critical

    Examples:
      | drug                                     |
      | Cyanocobalamin Injection USP 1000 mcg/mL |
      | B12 inj                                  |

  @B12-NAMED-STRENGTH-MISMATCH
  Scenario: The strength in the drug's name is the vial's when the order gives none
    Given the order has no product concentration
    And the order's drug is "cyanocobalamin 1000 mcg/mL injection"
    Then the order passes

  @B12-NAMED-STRENGTH-MISMATCH
  Scenario: The strength in the name agrees with the vial's, written another way
    Given the order's drug is "cyanocobalamin 1 mg/mL injection"
    Then the order is not flagged B12-NAMED-STRENGTH-MISMATCH

  @B12-NAMED-STRENGTH-MISMATCH
  Scenario: The name says one strength and the vial's another
    Given the order's drug is "cyanocobalamin 100 mcg/mL injection"
    Then the order is flagged B12-NAMED-STRENGTH-MISMATCH as critical
    And the message of B12-NAMED-STRENGTH-MISMATCH mentions "says 100 mcg/mL"
    And the message of B12-NAMED-STRENGTH-MISMATCH mentions "the product concentration is 1,000 mcg/mL"

  Scenario: Without the vial's strength, the ordered concentration is compared with the name's
    Given the order has no product concentration
    And the order's drug is "cyanocobalamin 100 mcg/mL injection"
    Then the order is flagged B12-CONC-MISMATCH as critical
    And the order is not flagged B12-NAMED-STRENGTH-MISMATCH

  Scenario Outline: "<drug>" is another product, so a 100 mg IV dose is not judged as the injection's
    Given the order's drug is "<drug>"
    And the order is changed to:
      | dose  | 100 mg |
      | route | IV     |
    Then the order is not checked because no rule pack covers its drug

    Examples:
      | drug                           |
      | cyanocobalamin 1000 mcg tablet |
      | oral B12                       |
      | vitamin B12 nasal spray        |
      | B12 sublingual                 |
      | cyanocobalamin; folic acid     |
      | methylcobalamin                |
      | vitamin B6                     |

  Scenario Outline: A product named by its brand is checked as the injection by its <code> code
    The result's warnings say the drug was taken by its code: the name is not one the pack lists.
    Given the order's drug is "Vibisone"
    And the order's <code> is "<value>"
    And the order is changed to:
      | dose   | 100 mg |
      | volume | 100 mL |
    Then the order is flagged B12-DOSE-IMPLAUSIBLE as critical
    And the order is not flagged DOSEGUARD-DRUG-NOT-COVERED

    Examples: codes the pack lists (pack.yaml, codes:)
      | code   | value        |
      | ndc    | 0517-0031-25 |
      | ndc    | 00517003125  |
      | ndc    | 63323-044-01 |
      | rxnorm | 309594       |

  Scenario: A code of one drug and a name of another stop the order
    Given the order's drug is "hydroxocobalamin"
    And the order's ndc is "63323-044-01"
    Then the order is invalid because of its ndc
    And the error about its ndc mentions "is cyanocobalamin, but the drug's name 'hydroxocobalamin' names hydroxocobalamin"

  Scenario: An NDC that is not one is refused, not ignored
    Given the order's ndc is "0517-31"
    Then the order is invalid because of its ndc
