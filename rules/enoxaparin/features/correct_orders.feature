Feature: Enoxaparin: the label's regimens raise no alert
  Treatment 1 mg/kg SC every 12 hours or 1.5 mg/kg SC once daily; prophylaxis 40 mg SC once daily
  (30 mg every 12 hours after knee or hip replacement); with a creatinine clearance below 30 mL/min,
  1 mg/kg once daily or 30 mg once daily. Each, written the ways prescribers write it, passes with no
  finding at all: alert fatigue is the field's central problem.

  Scenario: The standard treatment order passes
    Given a standard enoxaparin treatment order
    Then the order passes

  Scenario: The standard prophylaxis order passes
    Given a standard enoxaparin prophylaxis order
    Then the order passes

  Scenario Outline: Treatment of <indication>: <dose> <frequency> for a patient of <weight>
    Given a standard enoxaparin treatment order
    And the order is changed to:
      | dose       | <dose>       |
      | frequency  | <frequency>  |
      | conditions | <indication> |
    And the patient weighs <weight>
    Then the order passes

    Examples:
      | indication          | dose      | frequency      | weight |
      | deep vein thrombosis | 1 mg/kg   | every 12 hours | 80 kg  |
      | deep vein thrombosis | 80 mg     | q12h           | 80 kg  |
      | pulmonary embolism   | 1.5 mg/kg | once daily     | 80 kg  |
      | DVT                  | 120 mg    | daily          | 80 kg  |
      | unstable angina      | 70 mg     | twice daily    | 70 kg  |
      | NSTEMI               | 1 mg/kg   | every 12 hours | 176 lb |

  Scenario Outline: Prophylaxis: <dose> <frequency> (<indication>)
    Given a standard enoxaparin prophylaxis order
    And the order is changed to:
      | dose       | <dose>       |
      | frequency  | <frequency>  |
      | conditions | <indication> |
    Then the order passes

    Examples:
      | indication                          | dose  | frequency      |
      | VTE prophylaxis                     | 40 mg | once daily     |
      | thromboprophylaxis                  | 40 mg | daily          |
      | DVT prophylaxis after knee replacement | 30 mg | every 12 hours |

  Scenario: With a creatinine clearance of 25 mL/min, treatment 1 mg/kg once daily passes
    Given a standard enoxaparin treatment order
    And the order's frequency is "once daily"
    And the patient's creatinine clearance is 25 mL/min
    Then the order passes

  Scenario: With a creatinine clearance of 25 mL/min, prophylaxis 30 mg once daily passes
    Given a standard enoxaparin prophylaxis order
    And the order's dose is "30 mg"
    And the patient's creatinine clearance is 25 mL/min
    Then the order passes

  Scenario: A 30 mg IV bolus in STEMI passes
    Given an order:
      | drug       | enoxaparin |
      | dose       | 30 mg      |
      | route      | IV         |
      | frequency  | once       |
      | conditions | STEMI      |
    Then the order passes

  Scenario: Prophylaxis needs no weight
    Given a standard enoxaparin prophylaxis order
    And the patient's weight is not recorded
    Then the order passes
