Feature: Folic acid without knowing the patient's vitamin B12
  Folic acid above 0.1 mg a day (the label's masking dose) can correct the blood count of a B12
  deficient patient while the nerve damage goes on. Before such a dose, a pharmacist wants a B12
  level on record, or the patient already treated with B12. Days count back from the order
  (written 2026-03-01 09:00 UTC).

  Background:
    Given a standard folic acid order

  @FOLIC-B12-UNKNOWN
  Scenario: Folic acid 5 mg daily and no B12 level on record
    Given the order's dose is "5 mg"
    And these lab results:
      | test        | value | unit | days before the order |
      | haemoglobin | 9.2   | g/dL | 2                     |
      | mcv         | 112   | fL   | 2                     |
    And no administrations are recorded
    And no other orders are recorded
    Then the order is flagged FOLIC-B12-UNKNOWN as warning
    And the message of FOLIC-B12-UNKNOWN mentions "mask B12 deficiency"

  @FOLIC-B12-UNKNOWN
  Scenario: A B12 level measured two years ago is not a known B12
    Given these lab results:
      | test | value | unit  | taken_at             |
      | b12  | 310   | pg/mL | 2024-02-20T08:00:00Z |
    Then the order is flagged FOLIC-B12-UNKNOWN

  @FOLIC-B12-UNKNOWN
  Scenario: 5 mg once a week (beside methotrexate) is more than 0.1 mg a day
    Given the order is changed to:
      | dose      | 5 mg         |
      | frequency | once weekly  |
    And no lab results are recorded
    Then the order is flagged FOLIC-B12-UNKNOWN
    And the message of FOLIC-B12-UNKNOWN mentions "every 7 day(s)"

  Scenario: Folic acid 1 mg daily with a B12 level from last month passes
    Given these lab results:
      | test | value | unit  | days before the order |
      | b12  | 420   | ng/L  | 30                    |
    And no administrations are recorded
    And no other orders are recorded
    Then the order passes

  @FOLIC-B12-UNKNOWN
  Scenario: A B12 level in pmol/L is a B12 level
    Given these lab results:
      | test   | value | unit   | days before the order |
      | 2132-9 | 250   | pmol/L | 60                    |
    Then the order is not flagged FOLIC-B12-UNKNOWN

  @FOLIC-B12-UNKNOWN
  Scenario: 0.1 mg a day is not above the masking dose
    Given the order's dose is "100 mcg"
    And no lab results are recorded
    Then the order is not flagged FOLIC-B12-UNKNOWN

  @FOLIC-B12-UNKNOWN
  Scenario: A patient on B12 injections is not masked
    Given the order's dose is "5 mg"
    And no lab results are recorded
    And these administrations:
      | drug           | dose     | route | days before the order |
      | cyanocobalamin | 1000 mcg | IM    | 3                     |
    Then the order is not flagged FOLIC-B12-UNKNOWN

  @FOLIC-B12-UNKNOWN
  Scenario: A patient with an active B12 order is not masked
    Given the order's dose is "5 mg"
    And no lab results are recorded
    And the patient has another active order:
      | drug  | cyanocobalamin 1000 mcg/mL injection |
      | route | IM                                   |
    Then the order is not flagged FOLIC-B12-UNKNOWN

  @FOLIC-B12-UNKNOWN
  Scenario: Folic acid 0.4 mg daily in pregnancy prevents neural tube defects
    Given the order's dose is "400 mcg"
    And the patient is pregnant
    And no lab results are recorded
    Then the order is not flagged FOLIC-B12-UNKNOWN

  @FOLIC-B12-UNKNOWN
  Scenario: Folic acid 5 mg daily in pregnancy is more than the prevention dose
    Given the order's dose is "5 mg"
    And the patient is pregnant
    And no lab results are recorded
    Then the order is flagged FOLIC-B12-UNKNOWN

  @FOLIC-B12-UNKNOWN
  Scenario: The same 0.4 mg daily is flagged when no pregnancy is recorded
    Given the order's dose is "400 mcg"
    And no lab results are recorded
    Then the order is flagged FOLIC-B12-UNKNOWN
    And the message of FOLIC-B12-UNKNOWN mentions "0.4 mg every 1 day(s)"

  @FOLIC-B12-UNKNOWN
  Scenario: A one-time dose is not judged
    Given the order is changed to:
      | dose      | 5 mg |
      | frequency | once |
    And the order has no duration
    And no lab results are recorded
    Then the order is not flagged FOLIC-B12-UNKNOWN

  @FOLIC-B12-UNKNOWN
  Scenario: An order without its time cannot be placed in the history, and says so
    Given the order has no ordered at
    And no lab results are recorded
    And no administrations are recorded
    And no other orders are recorded
    Then the order is not evaluated for FOLIC-B12-UNKNOWN
