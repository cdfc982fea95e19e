Feature: B12: what the patient's history says about the course
  The MAR says which doses were given, missed or refused; the lab says whether haemoglobin,
  reticulocytes and MCV responded and whether potassium was watched; the patient's other orders say
  whether B12 is already ordered. Days count back from the order (written 2026-03-01 09:00 UTC).
  A correct course raises nothing; a course that was never measured says so.

  Background:
    Given a standard cyanocobalamin order

  # A correct course: 1000 mcg IM daily for a week, labs before and after, now the weekly order.
  Scenario: A week of daily injections that worked, then the weekly order, passes
    Given the order is changed to:
      | frequency | weekly  |
      | duration  | 6 weeks |
    And these administrations:
      | drug           | dose     | route | days before the order | status |
      | cyanocobalamin | 1000 mcg | IM    | 14                    | given  |
      | cyanocobalamin | 1000 mcg | IM    | 13                    | given  |
      | cyanocobalamin | 1000 mcg | IM    | 12                    | given  |
      | cyanocobalamin | 1000 mcg | IM    | 11                    | given  |
      | cyanocobalamin | 1000 mcg | IM    | 10                    | given  |
      | cyanocobalamin | 1000 mcg | IM    | 9                     | given  |
      | cyanocobalamin | 1000 mcg | IM    | 8                     | given  |
    And these lab results:
      | test          | value | unit | days before the order |
      | haemoglobin   | 8.0   | g/dL | 15                    |
      | mcv           | 112   | fL   | 15                    |
      | potassium     | 4.1   |      | 13                    |
      | reticulocytes | 8.5   | %    | 8                     |
      | haemoglobin   | 10.2  | g/dL | 1                     |
      | mcv           | 105   | fL   | 1                     |
    And no other orders are recorded
    Then the order passes

  @B12-NO-RESPONSE
  Scenario: Seven doses over two weeks and haemoglobin has not risen
    Given these administrations:
      | drug           | dose     | route | days before the order |
      | cyanocobalamin | 1000 mcg | IM    | 14                    |
      | cyanocobalamin | 1000 mcg | IM    | 13                    |
      | cyanocobalamin | 1000 mcg | IM    | 12                    |
      | cyanocobalamin | 1000 mcg | IM    | 11                    |
      | cyanocobalamin | 1000 mcg | IM    | 10                    |
      | cyanocobalamin | 1000 mcg | IM    | 9                     |
      | cyanocobalamin | 1000 mcg | IM    | 8                     |
    And these lab results:
      | test        | value | unit | days before the order |
      | haemoglobin | 8.0   | g/dL | 15                    |
      | haemoglobin | 8.3   | g/dL | 1                     |
    Then the order is flagged B12-NO-RESPONSE as warning
    And the message of B12-NO-RESPONSE mentions "7 doses over 14 days"
    And the message of B12-NO-RESPONSE mentions "risen by 0.3"

  @B12-NO-RESPONSE
  Scenario: Reticulocytes did not rise in the first week of an anaemic patient's course
    Given these administrations:
      | drug           | dose     | route | days before the order |
      | cyanocobalamin | 1000 mcg | IM    | 12                    |
      | cyanocobalamin | 1000 mcg | IM    | 11                    |
      | cyanocobalamin | 1000 mcg | IM    | 10                    |
      | cyanocobalamin | 1000 mcg | IM    | 9                     |
      | cyanocobalamin | 1000 mcg | IM    | 8                     |
    And these lab results:
      | test          | value | unit | days before the order |
      | haemoglobin   | 9.0   | g/dL | 13                    |
      | reticulocytes | 1.1   | %    | 5                     |
      | haemoglobin   | 12.4  | g/dL | 1                     |
    Then the order is flagged B12-NO-RESPONSE

  @B12-NO-RESPONSE
  Scenario: The MCV is still macrocytic and not falling
    Given these administrations:
      | drug           | dose     | route | days before the order |
      | cyanocobalamin | 1000 mcg | IM    | 20                    |
      | cyanocobalamin | 1000 mcg | IM    | 18                    |
      | cyanocobalamin | 1000 mcg | IM    | 16                    |
      | cyanocobalamin | 1000 mcg | IM    | 14                    |
    And these lab results:
      | test        | value | unit | days before the order |
      | haemoglobin | 12.8  | g/dL | 21                    |
      | mcv         | 109   | fL   | 21                    |
      | haemoglobin | 13.0  | g/dL | 2                     |
      | mcv         | 110   | fL   | 2                     |
    Then the order is flagged B12-NO-RESPONSE

  @B12-NO-RESPONSE
  Scenario: A patient who was never anaemic is not judged by haemoglobin or reticulocytes
    Given these administrations:
      | drug           | dose     | route | days before the order |
      | cyanocobalamin | 1000 mcg | IM    | 12                    |
      | cyanocobalamin | 1000 mcg | IM    | 11                    |
      | cyanocobalamin | 1000 mcg | IM    | 10                    |
      | cyanocobalamin | 1000 mcg | IM    | 9                     |
    And these lab results:
      | test          | value | unit | days before the order |
      | haemoglobin   | 13.6  | g/dL | 13                    |
      | reticulocytes | 1.0   | %    | 5                     |
      | haemoglobin   | 13.7  | g/dL | 1                     |
    Then the order is not flagged B12-NO-RESPONSE

  @B12-NO-RESPONSE
  Scenario: Three days of a course is too early to judge the response
    Given these administrations:
      | drug           | dose     | route | days before the order |
      | cyanocobalamin | 1000 mcg | IM    | 3                     |
      | cyanocobalamin | 1000 mcg | IM    | 2                     |
      | cyanocobalamin | 1000 mcg | IM    | 1                     |
    And these lab results:
      | test        | value | unit | days before the order |
      | haemoglobin | 8.0   | g/dL | 4                     |
      | haemoglobin | 8.1   | g/dL | 0.5                   |
    Then the order is not flagged B12-NO-RESPONSE

  @B12-NO-RESPONSE
  Scenario: Two weeks of doses and no haemoglobin since: the response was not measured
    Given these administrations:
      | drug           | dose     | route | days before the order |
      | cyanocobalamin | 1000 mcg | IM    | 14                    |
      | cyanocobalamin | 1000 mcg | IM    | 12                    |
      | cyanocobalamin | 1000 mcg | IM    | 10                    |
      | cyanocobalamin | 1000 mcg | IM    | 8                     |
    And these lab results:
      | test        | value | unit | days before the order |
      | haemoglobin | 8.0   | g/dL | 15                    |
    Then the order is not evaluated for B12-NO-RESPONSE
    And the message of B12-NO-RESPONSE mentions "not measured"

  @B12-MISSED-DOSES
  Scenario: The MAR records a missed dose
    Given these administrations:
      | drug           | dose     | route | days before the order | status |
      | cyanocobalamin | 1000 mcg | IM    | 3                     | given  |
      | cyanocobalamin | 1000 mcg | IM    | 2                     | missed |
      | cyanocobalamin | 1000 mcg | IM    | 1                     | given  |
    Then the order is flagged B12-MISSED-DOSES as warning
    And the message of B12-MISSED-DOSES mentions "1 missed"

  @B12-MISSED-DOSES
  Scenario: Three days without a dose in a daily course
    Given these administrations:
      | drug           | dose     | route | days before the order |
      | cyanocobalamin | 1000 mcg | IM    | 6                     |
      | cyanocobalamin | 1000 mcg | IM    | 5                     |
      | cyanocobalamin | 1000 mcg | IM    | 2                     |
      | cyanocobalamin | 1000 mcg | IM    | 1                     |
    Then the order is flagged B12-MISSED-DOSES
    And the message of B12-MISSED-DOSES mentions "longest gap between doses is 3 days"

  @B12-MISSED-DOSES
  Scenario: A dose refused by the patient
    Given these administrations:
      | drug           | dose     | route | days before the order | status  |
      | cyanocobalamin | 1000 mcg | IM    | 2                     | given   |
      | cyanocobalamin | 1000 mcg | IM    | 1                     | refused |
    Then the order is flagged B12-MISSED-DOSES

  @B12-MISSED-DOSES
  Scenario: Daily doses given on time, the last one yesterday
    Given these administrations:
      | drug           | dose     | route | given_at             |
      | cyanocobalamin | 1000 mcg | IM    | 2026-02-26T09:30:00Z |
      | cyanocobalamin | 1000 mcg | IM    | 2026-02-27T08:45:00Z |
      | cyanocobalamin | 1000 mcg | IM    | 2026-02-28T10:10:00Z |
    Then the order is not flagged B12-MISSED-DOSES

  @B12-MISSED-DOSES
  Scenario: Weekly doses are judged against a weekly order
    Given the order is changed to:
      | frequency | weekly  |
      | duration  | 6 weeks |
    And these administrations:
      | drug           | dose     | route | days before the order |
      | cyanocobalamin | 1000 mcg | IM    | 23                    |
      | cyanocobalamin | 1000 mcg | IM    | 16                    |
      | cyanocobalamin | 1000 mcg | IM    | 8                     |
    Then the order is not flagged B12-MISSED-DOSES

  @B12-POTASSIUM-UNCHECKED
  Scenario: Two days into repletion of severe megaloblastic anaemia and no potassium
    Given the order's conditions are "severe megaloblastic anaemia"
    And these administrations:
      | drug           | dose     | route | days before the order |
      | cyanocobalamin | 1000 mcg | IM    | 2                     |
      | cyanocobalamin | 1000 mcg | IM    | 1                     |
    And these lab results:
      | test        | value | unit | days before the order |
      | haemoglobin | 6.1   | g/dL | 3                     |
    Then the order is flagged B12-POTASSIUM-UNCHECKED as warning
    And the message of B12-POTASSIUM-UNCHECKED mentions "hypokalaemia"

  @B12-POTASSIUM-UNCHECKED
  Scenario: A potassium taken only before the first dose is the baseline, not the monitoring
    Given the order's conditions are "severe megaloblastic anaemia"
    And these administrations:
      | drug           | dose     | route | days before the order |
      | cyanocobalamin | 1000 mcg | IM    | 2                     |
      | cyanocobalamin | 1000 mcg | IM    | 1                     |
    And these lab results:
      | test      | value | unit   | days before the order |
      | potassium | 4.0   | mmol/L | 3                     |
    Then the order is flagged B12-POTASSIUM-UNCHECKED

  @B12-POTASSIUM-UNCHECKED
  Scenario: Potassium checked the day after the first dose
    Given the order's conditions are "severe megaloblastic anaemia"
    And these administrations:
      | drug           | dose     | route | days before the order |
      | cyanocobalamin | 1000 mcg | IM    | 2                     |
      | cyanocobalamin | 1000 mcg | IM    | 1                     |
    And these lab results:
      | test      | value | unit   | days before the order |
      | potassium | 3.6   | mmol/L | 1.5                   |
    Then the order is not flagged B12-POTASSIUM-UNCHECKED

  @B12-POTASSIUM-UNCHECKED
  Scenario: Pernicious anaemia that is not severe needs no potassium watch
    Given the order's conditions are "pernicious anaemia"
    And these administrations:
      | drug           | dose     | route | days before the order |
      | cyanocobalamin | 1000 mcg | IM    | 2                     |
      | cyanocobalamin | 1000 mcg | IM    | 1                     |
    And no lab results are recorded
    Then the order is not flagged B12-POTASSIUM-UNCHECKED

  @B12-POTASSIUM-UNCHECKED
  Scenario: A course past its first week is not flagged for its first 48 hours
    Given the order's conditions are "severe megaloblastic anaemia"
    And the order is changed to:
      | frequency | weekly  |
      | duration  | 6 weeks |
    And these administrations:
      | drug           | dose     | route | days before the order |
      | cyanocobalamin | 1000 mcg | IM    | 10                    |
      | cyanocobalamin | 1000 mcg | IM    | 3                     |
    And no lab results are recorded
    Then the order is not flagged B12-POTASSIUM-UNCHECKED

  @B12-REPLETION-OVERRUN
  Scenario: Injections every 4 days for 8 weeks, and the new order goes on every 4 days
    Given the order is changed to:
      | frequency | every 4 days |
      | duration  | 4 weeks      |
    And these administrations:
      | drug           | dose     | route | days before the order |
      | cyanocobalamin | 1000 mcg | IM    | 60                    |
      | cyanocobalamin | 1000 mcg | IM    | 56                    |
      | cyanocobalamin | 1000 mcg | IM    | 52                    |
      | cyanocobalamin | 1000 mcg | IM    | 48                    |
      | cyanocobalamin | 1000 mcg | IM    | 44                    |
      | cyanocobalamin | 1000 mcg | IM    | 40                    |
      | cyanocobalamin | 1000 mcg | IM    | 36                    |
      | cyanocobalamin | 1000 mcg | IM    | 32                    |
      | cyanocobalamin | 1000 mcg | IM    | 28                    |
      | cyanocobalamin | 1000 mcg | IM    | 24                    |
      | cyanocobalamin | 1000 mcg | IM    | 20                    |
      | cyanocobalamin | 1000 mcg | IM    | 16                    |
      | cyanocobalamin | 1000 mcg | IM    | 12                    |
      | cyanocobalamin | 1000 mcg | IM    | 8                     |
      | cyanocobalamin | 1000 mcg | IM    | 4                     |
    Then the order is flagged B12-REPLETION-OVERRUN as warning
    And the message of B12-REPLETION-OVERRUN mentions "started 60 days ago"

  @B12-REPLETION-OVERRUN
  Scenario: After 8 weeks of frequent injections the order switches to monthly maintenance
    Given the order is changed to:
      | frequency | monthly     |
      | duration  | 12 months   |
      | phase     | maintenance |
    And these administrations:
      | drug           | dose     | route | days before the order |
      | cyanocobalamin | 1000 mcg | IM    | 60                    |
      | cyanocobalamin | 1000 mcg | IM    | 56                    |
      | cyanocobalamin | 1000 mcg | IM    | 52                    |
      | cyanocobalamin | 1000 mcg | IM    | 48                    |
      | cyanocobalamin | 1000 mcg | IM    | 44                    |
      | cyanocobalamin | 1000 mcg | IM    | 40                    |
      | cyanocobalamin | 1000 mcg | IM    | 36                    |
      | cyanocobalamin | 1000 mcg | IM    | 32                    |
      | cyanocobalamin | 1000 mcg | IM    | 28                    |
      | cyanocobalamin | 1000 mcg | IM    | 24                    |
      | cyanocobalamin | 1000 mcg | IM    | 20                    |
      | cyanocobalamin | 1000 mcg | IM    | 16                    |
      | cyanocobalamin | 1000 mcg | IM    | 12                    |
      | cyanocobalamin | 1000 mcg | IM    | 8                     |
      | cyanocobalamin | 1000 mcg | IM    | 4                     |
    Then the order is not flagged B12-REPLETION-OVERRUN

  @B12-REPLETION-OVERRUN @B12-MISSED-DOSES
  Scenario: Monthly maintenance restarted as a daily week after a relapse is neither an overrun nor missed doses
    Given these administrations:
      | drug           | dose     | route | days before the order |
      | cyanocobalamin | 1000 mcg | IM    | 90                    |
      | cyanocobalamin | 1000 mcg | IM    | 60                    |
      | cyanocobalamin | 1000 mcg | IM    | 30                    |
    Then the order is not flagged B12-REPLETION-OVERRUN
    And the order is not flagged B12-MISSED-DOSES

  @B12-REVIEW-DUE
  Scenario: Three months into the course and no blood test since the first weeks
    Given the order is changed to:
      | frequency | monthly     |
      | duration  | 12 months   |
      | phase     | maintenance |
    And these administrations:
      | drug           | dose     | route | days before the order |
      | cyanocobalamin | 1000 mcg | IM    | 100                   |
      | cyanocobalamin | 1000 mcg | IM    | 98                    |
      | cyanocobalamin | 1000 mcg | IM    | 96                    |
      | cyanocobalamin | 1000 mcg | IM    | 94                    |
      | cyanocobalamin | 1000 mcg | IM    | 87                    |
      | cyanocobalamin | 1000 mcg | IM    | 80                    |
      | cyanocobalamin | 1000 mcg | IM    | 73                    |
      | cyanocobalamin | 1000 mcg | IM    | 66                    |
      | cyanocobalamin | 1000 mcg | IM    | 59                    |
      | cyanocobalamin | 1000 mcg | IM    | 31                    |
    And these lab results:
      | test        | value | unit | days before the order |
      | haemoglobin | 9.5   | g/dL | 101                   |
      | haemoglobin | 12.6  | g/dL | 80                    |
    Then the order is flagged B12-REVIEW-DUE as info
    And the message of B12-REVIEW-DUE mentions "NICE NG239"

  @B12-REVIEW-DUE
  Scenario: The three-month review's blood count is on record
    Given the order is changed to:
      | frequency | monthly     |
      | duration  | 12 months   |
      | phase     | maintenance |
    And these administrations:
      | drug           | dose     | route | days before the order |
      | cyanocobalamin | 1000 mcg | IM    | 100                   |
      | cyanocobalamin | 1000 mcg | IM    | 98                    |
      | cyanocobalamin | 1000 mcg | IM    | 96                    |
      | cyanocobalamin | 1000 mcg | IM    | 94                    |
      | cyanocobalamin | 1000 mcg | IM    | 87                    |
      | cyanocobalamin | 1000 mcg | IM    | 80                    |
      | cyanocobalamin | 1000 mcg | IM    | 73                    |
      | cyanocobalamin | 1000 mcg | IM    | 66                    |
      | cyanocobalamin | 1000 mcg | IM    | 59                    |
      | cyanocobalamin | 1000 mcg | IM    | 31                    |
    And these lab results:
      | test        | value | unit | days before the order |
      | haemoglobin | 9.5   | g/dL | 101                   |
      | haemoglobin | 12.6  | g/dL | 80                    |
      | haemoglobin | 13.1  | g/dL | 5                     |
      | b12         | 420   | ng/L | 5                     |
    And no other orders are recorded
    Then the order is not flagged B12-REVIEW-DUE
    And the order passes

  @B12-REVIEW-DUE-PREGNANCY
  Scenario: In pregnancy the review is due after one month
    Given the order is changed to:
      | frequency | weekly  |
      | duration  | 6 weeks |
    And the patient is pregnant
    And these administrations:
      | drug           | dose     | route | days before the order |
      | cyanocobalamin | 1000 mcg | IM    | 35                    |
      | cyanocobalamin | 1000 mcg | IM    | 33                    |
      | cyanocobalamin | 1000 mcg | IM    | 31                    |
      | cyanocobalamin | 1000 mcg | IM    | 28                    |
      | cyanocobalamin | 1000 mcg | IM    | 21                    |
      | cyanocobalamin | 1000 mcg | IM    | 14                    |
      | cyanocobalamin | 1000 mcg | IM    | 7                     |
    And these lab results:
      | test        | value | unit | days before the order |
      | haemoglobin | 10.1  | g/dL | 36                    |
      | haemoglobin | 12.2  | g/dL | 14                    |
    Then the order is flagged B12-REVIEW-DUE-PREGNANCY
    And the order is not flagged B12-REVIEW-DUE

  @B12-REVIEW-DUE-PREGNANCY @B12-REVIEW-DUE
  Scenario: One month into the course of a patient who is not pregnant, no review is due yet
    Given the order is changed to:
      | frequency | weekly  |
      | duration  | 6 weeks |
    And the patient is not pregnant
    And these administrations:
      | drug           | dose     | route | days before the order |
      | cyanocobalamin | 1000 mcg | IM    | 35                    |
      | cyanocobalamin | 1000 mcg | IM    | 33                    |
      | cyanocobalamin | 1000 mcg | IM    | 31                    |
      | cyanocobalamin | 1000 mcg | IM    | 28                    |
      | cyanocobalamin | 1000 mcg | IM    | 21                    |
      | cyanocobalamin | 1000 mcg | IM    | 14                    |
      | cyanocobalamin | 1000 mcg | IM    | 7                     |
    And these lab results:
      | test        | value | unit | days before the order |
      | haemoglobin | 10.1  | g/dL | 36                    |
      | haemoglobin | 12.2  | g/dL | 14                    |
    Then the order is not flagged B12-REVIEW-DUE-PREGNANCY
    And the order is not flagged B12-REVIEW-DUE

  @B12-DUPLICATE-THERAPY
  Scenario: Oral B12 tablets are already ordered beside the injections
    Given the patient has another active order:
      | drug   | cyanocobalamin 1000 mcg tablet |
      | route  | oral                           |
      | status | active                         |
    Then the order is flagged B12-DUPLICATE-THERAPY as warning

  @B12-DUPLICATE-THERAPY
  Scenario: A second cyanocobalamin injection order, written on another ward
    Given the patient has another active order:
      | drug       | Cyanocobalamin Injection USP 1000 mcg/mL |
      | route      | IM                                       |
      | ordered_at | 2026-02-27T14:00:00Z                     |
    Then the order is flagged B12-DUPLICATE-THERAPY

  @B12-DUPLICATE-THERAPY
  Scenario: Hydroxocobalamin already ordered is B12 too
    Given the patient has another active order:
      | drug  | hydroxocobalamin |
      | route | IM               |
    Then the order is flagged B12-DUPLICATE-THERAPY

  @B12-DUPLICATE-THERAPY
  Scenario: The earlier B12 order was discontinued
    Given the patient has another order:
      | drug   | cyanocobalamin 1000 mcg/mL injection |
      | route  | IM                                   |
      | status | discontinued                         |
    Then the order is not flagged B12-DUPLICATE-THERAPY

  @B12-DUPLICATE-THERAPY
  Scenario: Another drug ordered beside B12 is not a duplicate
    Given the patient has another active order:
      | drug  | folic acid 5 mg tablet |
      | route | oral                   |
    Then the order is not flagged B12-DUPLICATE-THERAPY

  @B12-REASSESS
  Scenario: The reassessment from fields typed on the order still works beside the history
    Given the order is changed to:
      | administrations_given | 3                        |
      | red_flags             | no reticulocyte response |
    And no administrations are recorded
    Then the order is flagged B12-REASSESS
    And the order is not flagged B12-NO-RESPONSE
