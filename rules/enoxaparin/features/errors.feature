Feature: Enoxaparin: each error is flagged
  A dose per kg off the label's, a renal dose not reduced, prophylaxis at another dose, a route other
  than SC, an order without its indication or its dose.

  Background:
    Given a standard enoxaparin treatment order

  @ENOX-TREATMENT-DOSE-PER-KG
  Scenario Outline: Treatment <dose> <frequency> for 80 kg is off the label's dose per kg
    Given the order is changed to:
      | dose      | <dose>      |
      | frequency | <frequency> |
    Then the order is flagged ENOX-TREATMENT-DOSE-PER-KG as warning
    And the message of ENOX-TREATMENT-DOSE-PER-KG mentions "<per kg> mg/kg"

    Examples:
      | dose      | frequency      | per kg |
      | 1.5 mg/kg | every 12 hours | 1.5    |
      | 120 mg    | every 12 hours | 1.5    |
      | 60 mg     | every 12 hours | 0.75   |
      | 2 mg/kg   | once daily     | 2      |
      | 40 mg     | once daily     | 0.5    |

  @ENOX-TREATMENT-DOSE-PER-KG
  Scenario Outline: Treatment within 10% of the label's dose per kg is not flagged: <dose> <frequency>
    Given the order is changed to:
      | dose      | <dose>      |
      | frequency | <frequency> |
    Then the order is not flagged ENOX-TREATMENT-DOSE-PER-KG

    Examples:
      | dose  | frequency      |
      | 88 mg | every 12 hours |
      | 72 mg | every 12 hours |
      | 130 mg | once daily    |

  @ENOX-TREATMENT-FREQUENCY
  Scenario: Treatment every 8 hours
    Given the order's frequency is "every 8 hours"
    Then the order is flagged ENOX-TREATMENT-FREQUENCY as warning

  @ENOX-TREATMENT-FREQUENCY
  Scenario: Treatment once daily is a label frequency
    Given the order is changed to:
      | dose      | 1.5 mg/kg  |
      | frequency | once daily |
    Then the order is not flagged ENOX-TREATMENT-FREQUENCY

  @ENOX-RENAL-TREATMENT
  Scenario: Treatment every 12 hours with a creatinine clearance of 25 mL/min
    Given the patient's creatinine clearance is 25 mL/min
    Then the order is flagged ENOX-RENAL-TREATMENT as critical
    And the message of ENOX-RENAL-TREATMENT mentions "25 mL/min"

  @ENOX-RENAL-TREATMENT
  Scenario: Treatment 1.5 mg/kg once daily with a creatinine clearance of 25 mL/min
    Given the order is changed to:
      | dose      | 1.5 mg/kg  |
      | frequency | once daily |
    And the patient's creatinine clearance is 25 mL/min
    Then the order is flagged ENOX-RENAL-TREATMENT as critical

  @ENOX-RENAL-TREATMENT
  Scenario: Treatment every 12 hours with a creatinine clearance of 30 mL/min is not renal dosing
    Given the patient's creatinine clearance is 30 mL/min
    Then the order is not flagged ENOX-RENAL-TREATMENT

  @ENOX-ROUTE
  Scenario Outline: Route <route>
    Given the order's route is "<route>"
    Then the order is flagged ENOX-ROUTE as warning

    Examples:
      | route |
      | IM    |
      | IV    |

  @ENOX-ROUTE
  Scenario: A 40 mg IV bolus is more than the label's 30 mg
    Given the order is changed to:
      | dose      | 40 mg |
      | route     | IV    |
      | frequency | once  |
    Then the order is flagged ENOX-ROUTE

  @ENOX-ROUTE
  Scenario: Subcutaneous, as written in words
    Given the order's route is "subcutaneous"
    Then the order is not flagged ENOX-ROUTE

  @ENOX-INDICATION-UNSTATED
  Scenario: An order that names no indication
    Given the order has no conditions
    Then the order is flagged ENOX-INDICATION-UNSTATED as warning

  @ENOX-INDICATION-UNSTATED
  Scenario: 40 mg once daily with no indication is read as prophylaxis, as exports write it
    Given the order is changed to:
      | dose      | 40 mg      |
      | frequency | once daily |
    And the order has no conditions
    Then the order is not flagged ENOX-INDICATION-UNSTATED
    And the order passes

  @ENOX-INDICATION-UNSTATED
  Scenario: An indication named among other conditions
    Given the order's conditions are "atrial fibrillation; pulmonary embolism"
    Then the order is not flagged ENOX-INDICATION-UNSTATED

  @ENOX-ORDER-INCOMPLETE
  Scenario: An order without a dose
    Given the order has no dose
    Then the order is flagged ENOX-ORDER-INCOMPLETE as warning
    And the message of ENOX-ORDER-INCOMPLETE mentions "dose"

  @ENOX-ORDER-INCOMPLETE
  Scenario: A dose per kg without the weight is a stated dose
    Given the order's dose is "1 mg/kg"
    And the patient's weight is not recorded
    Then the order is not flagged ENOX-ORDER-INCOMPLETE
