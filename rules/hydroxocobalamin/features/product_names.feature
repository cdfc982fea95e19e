Feature: Hydroxocobalamin as the product is named
  UK systems write the product: "Hydroxocobalamin 1mg/1ml solution for injection ampoules",
  "Neo-Cytamen 1000micrograms/1ml". Each is the 1 mg/mL injection this pack checks; the strength in
  the name is the ampoule's when the order gives none, and one that contradicts the ampoule's stops it.

  Background:
    Given a standard hydroxocobalamin order

  Scenario Outline: "<drug>" is the 1 mg/mL injection, and the BNF's course of it passes
    Given the order's drug is "<drug>"
    Then the order passes

    Examples:
      | drug                                                     |
      | Hydroxocobalamin 1mg/1ml solution for injection ampoules |
      | Neo-Cytamen 1000micrograms/1ml                           |
      | HYDROXOCOBALAMIN INJ 1MG/ML AMP                          |

  @HYDROXO-NAMED-STRENGTH-MISMATCH
  Scenario: The name's strength is the ampoule's when the order gives none
    Given the order has no product concentration
    And the order's drug is "Hydroxocobalamin 1mg/1ml solution for injection ampoules"
    Then the order passes

  @HYDROXO-NAMED-STRENGTH-MISMATCH
  Scenario: The name's strength agrees with the ampoule's, written another way
    Given the order's drug is "Neo-Cytamen 1000micrograms/1ml"
    Then the order is not flagged HYDROXO-NAMED-STRENGTH-MISMATCH

  @HYDROXO-NAMED-STRENGTH-MISMATCH
  Scenario: The name says one strength and the ampoule's another
    Given the order's drug is "hydroxocobalamin 2 mg/mL injection"
    Then the order is flagged HYDROXO-NAMED-STRENGTH-MISMATCH as critical
    And the message of HYDROXO-NAMED-STRENGTH-MISMATCH mentions "says 2,000 mcg/mL"

  Scenario: A strength in the name that is not 1 mg/mL is another product
    Given the order has no product concentration
    And the order's drug is "hydroxocobalamin 2.5 mg/mL injection"
    Then the order is flagged HYDROXO-PRODUCT-STRENGTH as critical
