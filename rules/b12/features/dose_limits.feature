Feature: Dose limits
  1000 mcg per injection is the usual upper bound: above it most of the dose is lost in urine, so a
  larger single dose adds little and may be a transcription error. 10 mg or more per injection, or
  more than 5 mL at one site, is not a B12 dose anyone gives: it is usually mg written for mcg.
  One problem gives one finding: an implausible dose is not also reported as a high one.

  Background:
    Given a standard cyanocobalamin order

  @B12-DOSE-HIGH
  Scenario Outline: More than 1000 mcg in one injection: <dose> in <volume>
    Given the order is changed to:
      | dose   | <dose>   |
      | volume | <volume> |
      | site   | <site>   |
    Then the order is flagged B12-DOSE-HIGH as warning
    And the message of B12-DOSE-HIGH mentions "<said> in one injection is more than the usual 1,000 mcg"
    And the order is not flagged B12-DOSE-IMPLAUSIBLE

    # The message says the dose as the order wrote it, then in mcg, as the rule compared it.
    Examples:
      | dose      | volume | site          | said             |
      | 1500 mcg  | 1.5 mL | deltoid       | 1,500 mcg        |
      | 2000 mcg  | 2 mL   | deltoid       | 2,000 mcg        |
      | 2,000 mcg | 2 mL   | deltoid       | 2,000 mcg        |
      | 2 mg      | 2 mL   | ventrogluteal | 2 mg (2,000 mcg) |
      | 1.5 MG    | 1.5 mL | deltoid       | 1.5 mg (1,500 mcg) |
      | 5000 mcg  | 5 mL   | ventrogluteal | 5,000 mcg        |

  @B12-DOSE-HIGH
  Scenario Outline: Up to 1000 mcg is a usual dose: <dose> in <volume>
    Given the order is changed to:
      | dose   | <dose>   |
      | volume | <volume> |
    Then the order is not flagged B12-DOSE-HIGH
    And the order passes

    Examples:
      | dose     | volume |
      | 1000 mcg | 1 mL   |
      | 1 mg     | 1 mL   |
      | 100 mcg  | 0.1 mL |

  @B12-DOSE-HIGH @B12-DOSE-IMPLAUSIBLE
  Scenario: 10 mg is implausible, and is not also reported as a high dose
    Given the order is changed to:
      | dose   | 10 mg         |
      | volume | 10 mL         |
      | site   | ventrogluteal |
    Then the order is flagged B12-DOSE-IMPLAUSIBLE as critical
    And the order is not flagged B12-DOSE-HIGH

  @B12-DOSE-IMPLAUSIBLE
  Scenario: 1000 mg written where 1000 mcg was meant
    Given the order's dose is "1000 mg"
    Then the order is flagged B12-DOSE-IMPLAUSIBLE as critical
    And the message of B12-DOSE-IMPLAUSIBLE mentions "Implausible order: 1,000 mg (1,000,000 mcg) in 1 mL"
    And the message of B12-DOSE-IMPLAUSIBLE mentions "Check for a mg/mcg mix-up"
    And the order is flagged B12-DOSE-VOLUME-MISMATCH as critical
    And the order is not flagged B12-DOSE-HIGH

  @B12-DOSE-IMPLAUSIBLE
  Scenario Outline: More than 5 mL in one injection: <dose> in <volume>
    Given the order is changed to:
      | dose   | <dose>        |
      | volume | <volume>      |
      | site   | ventrogluteal |
    Then the order is flagged B12-DOSE-IMPLAUSIBLE as critical
    And the message of B12-DOSE-IMPLAUSIBLE mentions "<said> in <volume>"

    Examples:
      | dose     | volume | said             |
      | 6000 mcg | 6 mL   | 6,000 mcg        |
      | 1 mg     | 10 mL  | 1 mg (1,000 mcg) |

  @B12-DOSE-IMPLAUSIBLE
  Scenario Outline: Large but possible: <dose> in <volume>
    Given the order is changed to:
      | dose   | <dose>        |
      | volume | <volume>      |
      | site   | ventrogluteal |
    Then the order is not flagged B12-DOSE-IMPLAUSIBLE

    Examples:
      | dose     | volume |
      | 1000 mcg | 1 mL   |
      | 3000 mcg | 3 mL   |
      | 5000 mcg | 5 mL   |
