Feature: The patient behind a scenario's order
  A pharmacist states the patient's weight, height, age, sex, renal function and pregnancy in plain
  words; the order then carries them as a patients file or an order column would, and they are read
  in their units. Every scenario order is written at 2026-03-01 09:00 UTC unless it says otherwise.

  Background:
    Given an order:
      | drug | cyanocobalamin |
      | dose | 1 mg           |

  Scenario: Each patient step sets its field of the order
    Given the patient weighs 176 lb
    And the patient's height is 5 ft 11 in
    And the patient is 70 years old
    And the patient is female
    And the patient is pregnant
    And the patient's creatinine clearance is 25 mL/min
    And the patient's eGFR is 40 mL/min/1.73m2
    Then the patient's facts are:
      | weight_kg                   | 79.832257 |
      | height_cm                   | 180.34    |
      | age_years                   | 70        |
      | sex                         | female    |
      | pregnant                    | true      |
      | creatinine_clearance_ml_min | 25        |
      | egfr                        | 40        |
      | body_surface_area_m2        | 2         |
      | dose_mg_per_kg              | 0.012526  |

  Scenario: A fact stated and then not recorded is absent
    Given the patient weighs 80 kg
    And the patient is not pregnant
    And the patient's weight is not recorded
    Then the patient's facts are:
      | pregnant | false |
    And the order has no fact weight_kg
    And the order has no fact dose_mg_per_kg

  Scenario: The order is written at the scenarios' time, so an age follows from a birth date
    Given the patient was born on 1956-03-02
    Then the order was written at 2026-03-01T09:00:00+00:00
    And the patient's facts are:
      | age_years | 69 |

  Scenario: An order that states its own time keeps it
    Given the order's ordered at is "2027-03-02"
    And the patient was born on 1956-03-02
    Then the patient's facts are:
      | age_years | 71 |

  Scenario: A weight doseguard cannot believe makes the order invalid
    Given the patient weighs 8000 kg
    Then the order is invalid because of its weight kg
    And the error about its weight kg mentions "plausible range"
