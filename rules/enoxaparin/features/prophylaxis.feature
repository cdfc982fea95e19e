Feature: Enoxaparin prophylaxis at another dose, or not reduced for renal impairment

  Background:
    Given a standard enoxaparin prophylaxis order

  @ENOX-PROPHYLAXIS-DOSE
  Scenario Outline: Prophylaxis <dose> <frequency>
    Given the order is changed to:
      | dose      | <dose>      |
      | frequency | <frequency> |
    Then the order is flagged ENOX-PROPHYLAXIS-DOSE as warning

    Examples:
      | dose    | frequency      |
      | 80 mg   | once daily     |
      | 40 mg   | every 12 hours |
      | 1 mg/kg | every 12 hours |
      | 30 mg   | once daily     |

  @ENOX-PROPHYLAXIS-DOSE
  Scenario: Prophylaxis 30 mg every 12 hours (knee replacement) is a label dose
    Given the order is changed to:
      | dose      | 30 mg          |
      | frequency | every 12 hours |
    Then the order is not flagged ENOX-PROPHYLAXIS-DOSE

  @ENOX-RENAL-PROPHYLAXIS
  Scenario: Prophylaxis 40 mg with a creatinine clearance of 25 mL/min
    Given the patient's creatinine clearance is 25 mL/min
    Then the order is flagged ENOX-RENAL-PROPHYLAXIS as critical
    And the message of ENOX-RENAL-PROPHYLAXIS mentions "30 mg once daily"

  @ENOX-RENAL-PROPHYLAXIS
  Scenario: Prophylaxis 30 mg every 12 hours with a creatinine clearance of 25 mL/min
    Given the order is changed to:
      | dose      | 30 mg          |
      | frequency | every 12 hours |
    And the patient's creatinine clearance is 25 mL/min
    Then the order is flagged ENOX-RENAL-PROPHYLAXIS as critical

  @ENOX-RENAL-PROPHYLAXIS
  Scenario: Prophylaxis 30 mg once daily with a creatinine clearance of 25 mL/min
    Given the order's dose is "30 mg"
    And the patient's creatinine clearance is 25 mL/min
    Then the order is not flagged ENOX-RENAL-PROPHYLAXIS

  @ENOX-PROPHYLAXIS-FREQUENCY
  Scenario: Prophylaxis every other day
    Given the order's frequency is "every other day"
    Then the order is flagged ENOX-PROPHYLAXIS-FREQUENCY as warning

  @ENOX-PROPHYLAXIS-FREQUENCY
  Scenario: Prophylaxis once daily is a label frequency
    Then the order is not flagged ENOX-PROPHYLAXIS-FREQUENCY
