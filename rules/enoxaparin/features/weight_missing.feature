Feature: Enoxaparin: without the patient's weight the dose per kg is not evaluated, and says so
  A treatment dose is 1 mg/kg: with no weight on the order or in the patient's record the dose per kg
  cannot be judged. That is never a silent pass: the rule says it was not evaluated, and why.

  Background:
    Given a standard enoxaparin treatment order
    And the patient's weight is not recorded

  @ENOX-TREATMENT-DOSE-PER-KG
  Scenario: An absolute treatment dose without a weight
    Then the order is not evaluated for ENOX-TREATMENT-DOSE-PER-KG
    And the message of ENOX-TREATMENT-DOSE-PER-KG mentions "weight"

  @ENOX-TREATMENT-DOSE-PER-KG
  Scenario: A dose written per kg needs no weight to be judged
    Given the order's dose is "1 mg/kg"
    Then the order is not flagged ENOX-TREATMENT-DOSE-PER-KG
    And the order is not flagged ENOX-ORDER-INCOMPLETE

  @ENOX-RENAL-TREATMENT
  Scenario: Once daily with a low clearance and no weight: the renal dose per kg is not evaluated
    Given the order is changed to:
      | dose      | 120 mg     |
      | frequency | once daily |
    And the patient's creatinine clearance is 25 mL/min
    Then the order is not evaluated for ENOX-RENAL-TREATMENT

  @ENOX-RENAL-TREATMENT
  Scenario: Every 12 hours with a low clearance is flagged even without a weight (true or unknown)
    Given the patient's creatinine clearance is 25 mL/min
    Then the order is flagged ENOX-RENAL-TREATMENT as critical

  @ENOX-PROPHYLAXIS-DOSE
  Scenario: Prophylaxis 30 mg once daily with no creatinine clearance is not evaluated
    Given a standard enoxaparin prophylaxis order
    And the order's dose is "30 mg"
    And the patient's creatinine clearance is not recorded
    Then the order is not evaluated for ENOX-PROPHYLAXIS-DOSE
