Feature: A dose and its unit written in two columns
  Hospital exports write the number in one column and its unit in the next (HV_DISCRETE_DOSE 1000,
  DOSE_UNIT mcg). The checker reads them as one dose, and refuses what does not go together rather
  than guess which was meant.

  Scenario: 1000 and "mcg" in two columns is the usual dose
    Given a standard cyanocobalamin order
    And the order is changed to:
      | dose        | 1000 |
      | dose unit   | mcg  |
      | volume      | 1    |
      | volume unit | mL   |
    Then the order passes

  @B12-DOSE-IMPLAUSIBLE
  Scenario: 1000 with the unit column saying "mg" is a thousand times the dose
    Given a standard cyanocobalamin order
    And the order is changed to:
      | dose      | 1000 |
      | dose unit | mg   |
    Then the order is flagged B12-DOSE-IMPLAUSIBLE as critical

  @B12-DOSE-IMPLAUSIBLE
  Scenario: The same dose in micrograms is not a mix-up
    Given a standard cyanocobalamin order
    And the order is changed to:
      | dose      | 1000 |
      | dose unit | mcg  |
    Then the order is not flagged B12-DOSE-IMPLAUSIBLE

  Scenario: A dose with a unit of its own that the unit column contradicts is not guessed
    Given a standard cyanocobalamin order
    And the order is changed to:
      | dose      | 1 mg |
      | dose unit | mcg  |
    Then the order is invalid because of its dose
    And the error about its dose mentions "carries a unit of its own"

  Scenario: A unit with no dose beside it leaves the dose unstated
    Given a standard cyanocobalamin order
    And the order has no dose
    And the order's dose unit is "mcg"
    Then the order is invalid because of its dose unit
