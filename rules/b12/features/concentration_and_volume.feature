Feature: Concentration and volume
  Cyanocobalamin injection is 1000 mcg/mL. The volume to draw up is the dose divided by the strength
  of the vial actually used: 1000 mcg is 1 mL, 500 mcg is 0.5 mL, 100 mcg is 0.1 mL. The commonest
  real error is an order that assumes a different strength from the vial's.

  Background:
    Given a standard cyanocobalamin order

  @B12-DOSE-VOLUME-MISMATCH
  Scenario Outline: The volume delivers the dose: <dose> in <volume>
    Given the order is changed to:
      | dose   | <dose>   |
      | volume | <volume> |
    Then the order is not flagged B12-DOSE-VOLUME-MISMATCH

    Examples: dose ÷ 1000 mcg/mL
      | dose     | volume  |
      | 1000 mcg | 1 mL    |
      | 500 mcg  | 0.5 mL  |
      | 250 mcg  | 0.25 mL |
      | 100 mcg  | 0.1 mL  |
      | 2000 mcg | 2 mL    |
      | 1 mg     | 1 mL    |
      | 0.5 mg   | 0.5 mL  |

    Examples: a volume rounded to the 0.01 mL a syringe is read to
      | dose    | volume  |
      | 333 mcg | 0.33 mL |
      | 335 mcg | 0.34 mL |
      | 667 mcg | 0.67 mL |

    # A dose that falls exactly half-way between two 0.01 mL marks, rounded to the nearer mark,
    # must not be flagged: in floating point, 0.05 - 0.045 is a hair above 0.005.
    Examples: a volume rounded half-way to the 0.01 mL mark
      | dose     | volume  |
      | 45 mcg   | 0.05 mL |
      | 1005 mcg | 1.01 mL |

  @B12-DOSE-VOLUME-MISMATCH
  Scenario Outline: The volume does not deliver the dose: <dose> in <volume>
    Given the order is changed to:
      | dose   | <dose>   |
      | volume | <volume> |
    Then the order is flagged B12-DOSE-VOLUME-MISMATCH as critical
    And the message of B12-DOSE-VOLUME-MISMATCH mentions "the volume should be <right volume>"
    And the suggested fix sets volume_ml to <right volume>

    Examples:
      | dose     | volume | right volume |
      | 500 mcg  | 1 mL   | 0.5 mL       |
      | 1000 mcg | 0.1 mL | 1 mL         |
      | 1 mg     | 10 mL  | 1 mL         |
      | 100 mcg  | 1 mL   | 0.1 mL       |
      | 333 mcg  | 0.3 mL | 0.333 mL     |

  @B12-DOSE-VOLUME-MISMATCH
  Scenario: Without the vial's strength, the volume is worked out from the ordered concentration
    Given the order has no product concentration
    And the order is changed to:
      | dose   | 500 mcg |
      | volume | 1 mL    |
    Then the order is flagged B12-DOSE-VOLUME-MISMATCH as critical
    And the message of B12-DOSE-VOLUME-MISMATCH mentions "500 mcg at 1,000 mcg/mL"
    And the suggested fix sets volume_ml to 0.5 mL

  # Cyanocobalamin injection is supplied only at 1000 mcg/mL: an order that states no strength at all
  # is worked out at 1000 mcg/mL, and the message says so.
  @B12-DOSE-VOLUME-MISMATCH
  Scenario Outline: No strength stated at all: <dose> in <volume>
    Given the order has no concentration
    And the order has no product concentration
    And the order is changed to:
      | dose   | <dose>   |
      | volume | <volume> |
    Then the order is flagged B12-DOSE-VOLUME-MISMATCH as critical
    And the message of B12-DOSE-VOLUME-MISMATCH mentions "does not deliver <said> at 1,000 mcg/mL: the volume should be <right volume>"
    And the message of B12-DOSE-VOLUME-MISMATCH mentions "else the usual 1,000 mcg/mL when the order states neither"
    And the suggested fix of B12-DOSE-VOLUME-MISMATCH sets volume_ml to <right volume>

    Examples:
      | dose     | volume | said             | right volume |
      | 1000 mcg | 2 mL   | 1,000 mcg        | 1 mL         |
      | 500 mcg  | 1 mL   | 500 mcg          | 0.5 mL       |
      | 100 mcg  | 1 mL   | 100 mcg          | 0.1 mL       |
      | 1 mg     | 0.1 mL | 1 mg (1,000 mcg) | 1 mL         |

  @B12-DOSE-VOLUME-MISMATCH
  Scenario: No strength stated at all, 1000 mcg in 2 mL: the only finding
    Given the order has no concentration
    And the order has no product concentration
    And the order's volume is "2 mL"
    Then the order has exactly these findings:
      | B12-DOSE-VOLUME-MISMATCH | critical |

  @B12-DOSE-VOLUME-MISMATCH
  Scenario Outline: No strength stated, and the volume is right for 1000 mcg/mL: <dose> in <volume>
    Given the order has no concentration
    And the order has no product concentration
    And the order is changed to:
      | dose   | <dose>   |
      | volume | <volume> |
    Then the order is not flagged B12-DOSE-VOLUME-MISMATCH
    And the order passes

    Examples:
      | dose     | volume  |
      | 1000 mcg | 1 mL    |
      | 500 mcg  | 0.5 mL  |
      | 100 mcg  | 0.1 mL  |
      | 1 mg     | 1 mL    |
      | 333 mcg  | 0.33 mL |

  @B12-DOSE-VOLUME-MISMATCH
  Scenario: Only the vial's strength stated: the volume is worked out from it
    Given the order has no concentration
    And the order is changed to:
      | product concentration | 1 mg/mL |
      | dose                  | 500 mcg |
      | volume                | 0.5 mL  |
    Then the order is not flagged B12-DOSE-VOLUME-MISMATCH
    And the order passes

  @B12-DOSE-VOLUME-MISMATCH
  Scenario: A volume that matches the ordered concentration but not the vial is flagged
    Given the order is changed to:
      | dose                  | 100 mcg     |
      | volume                | 0.1 mL      |
      | concentration         | 1000 mcg/mL |
      | product_concentration | 100 mcg/mL  |
    Then the order is flagged B12-DOSE-VOLUME-MISMATCH as critical
    And the message of B12-DOSE-VOLUME-MISMATCH mentions "the volume should be 1 mL"
    And the suggested fix sets volume_ml to 1 mL

  # The fix is the volume that delivers the ordered dose at the vial's strength, also when the
  # order assumed another strength: 500 mcg drawn as 5 mL of a 100 mcg/mL solution that is not the vial.
  @B12-DOSE-VOLUME-MISMATCH
  Scenario: The fix works the volume out from the vial, not from the strength the order assumed
    Given the order is changed to:
      | dose          | 500 mcg    |
      | volume        | 5 mL       |
      | concentration | 100 mcg/mL |
    Then the order is flagged B12-CONC-MISMATCH as critical
    And the order is flagged B12-DOSE-VOLUME-MISMATCH as critical
    And the suggested fix of B12-DOSE-VOLUME-MISMATCH sets volume_ml to 0.5 mL

  # Above the usual 1000 mcg per injection the dose itself may be the mistake (B12-DOSE-HIGH): no
  # one volume is the right one, so none is suggested; the mismatch is still flagged.
  @B12-DOSE-VOLUME-MISMATCH
  Scenario Outline: No volume is suggested when the dose may be what is wrong: <dose> in <volume>
    Given the order is changed to:
      | dose   | <dose>   |
      | volume | <volume> |
    Then the order is flagged B12-DOSE-VOLUME-MISMATCH as critical
    And B12-DOSE-VOLUME-MISMATCH has no suggested fix
    And the order has no suggested fix

    Examples:
      | dose      | volume |
      | 2000 mcg  | 1 mL   |
      | 1000 mg   | 1 mL   |

  @B12-CONC-MISMATCH
  Scenario Outline: The same strength written another way is not a mismatch: <ordered> and a <vial> vial
    Given the order is changed to:
      | concentration         | <ordered> |
      | product concentration | <vial>    |
    Then the order is not flagged B12-CONC-MISMATCH
    And the order passes

    Examples:
      | ordered         | vial        |
      | 1 mg/mL         | 1000 mcg/mL |
      | 1000 mcg/mL     | 1 mg/mL     |
      | 1 mg/mL         | 1 mg/mL     |
      | 1000 mcg per mL | 1000 mcg/mL |
      | 5000 mcg/5 mL   | 1000 mcg/mL |
      | 30 mg/30 mL     | 1000 mcg/mL |

  @B12-CONC-MISMATCH
  Scenario: The order assumes 100 mcg/mL but the vial is 1000 mcg/mL
    Given the order is changed to:
      | dose          | 100 mcg    |
      | volume        | 1 mL       |
      | concentration | 100 mcg/mL |
    Then the order is flagged B12-CONC-MISMATCH as critical
    And the message of B12-CONC-MISMATCH mentions "the vial is 1,000 mcg/mL"
    # 1 mL drawn from the 1000 mcg/mL vial is ten times the dose.
    And the order is flagged B12-DOSE-VOLUME-MISMATCH as critical
    And the message of B12-DOSE-VOLUME-MISMATCH mentions "the volume should be 0.1 mL"

  @B12-CONC-MISMATCH
  Scenario: The order assumes 1000 mcg/mL but the vial is 100 mcg/mL
    Given the order's product concentration is "100 mcg/mL"
    Then the order has exactly these findings:
      | rule                     | severity |
      | B12-CONC-MISMATCH        | critical |
      | B12-DOSE-VOLUME-MISMATCH | critical |
    And the message of B12-CONC-MISMATCH mentions "The order assumes 1,000 mcg/mL but the vial is 100 mcg/mL"

  @B12-CONC-MISMATCH
  Scenario: Without the vial's strength there is nothing to compare the ordered concentration with
    Given the order has no product concentration
    And the order is changed to:
      | dose          | 100 mcg    |
      | volume        | 1 mL       |
      | concentration | 100 mcg/mL |
    Then the order is not flagged B12-CONC-MISMATCH
    And the order is not flagged B12-DOSE-VOLUME-MISMATCH
