Feature: Error-prone notation
  Notation that is misread (ISMP list, Joint Commission "Do Not Use" list): "1.0 mL" is read as
  10 mL, ".5 mL" as 5 mL, "ug" and "µg" as mg (a 1000-fold error), "cc" as "u" or "00", "QD" and
  "QOD" as QID or as each other. These are information findings: the order itself may be right.

  Background:
    # The b12 pack's standard order, written here: the notation pack's scenarios run with it alone.
    Given an order:
      | drug                  | cyanocobalamin |
      | dose                  | 1000 mcg       |
      | volume                | 1 mL           |
      | concentration         | 1000 mcg/mL    |
      | product_concentration | 1000 mcg/mL    |
      | route                 | IM             |
      | site                  | deltoid        |
      | frequency             | daily          |
      | duration              | 7 days         |
      | phase                 | repletion      |

  @NOTATION-TRAILING-ZERO
  Scenario Outline: Trailing zero in the <field>: "<written>"
    Given the order's <field> is "<written>"
    Then the order is flagged NOTATION-TRAILING-ZERO as info
    And the message of NOTATION-TRAILING-ZERO mentions "Trailing zero in <written>"

    Examples:
      | field         | written         |
      | volume        | 1.0 mL          |
      | dose          | 1000.0 mcg      |
      | dose          | 1.0 mg          |
      | concentration | 1.0 mg/mL       |
      | concentration | 1000 mcg/1.0 mL |

  @NOTATION-TRAILING-ZERO
  Scenario Outline: No trailing zero: <dose> in <volume>
    Given the order is changed to:
      | dose   | <dose>   |
      | volume | <volume> |
    Then the order is not flagged NOTATION-TRAILING-ZERO

    Examples:
      | dose      | volume |
      | 1000 mcg  | 1 mL   |
      | 1500 mcg  | 1.5 mL |
      | 10000 mcg | 10 mL  |
      | 0.5 mg    | 0.5 mL |

  @NOTATION-LEADING-ZERO
  Scenario Outline: No leading zero: <dose> in <volume>
    Given the order is changed to:
      | dose   | <dose>   |
      | volume | <volume> |
    Then the order is flagged NOTATION-LEADING-ZERO as info
    And the message of NOTATION-LEADING-ZERO mentions "No leading zero in <written>"

    Examples:
      | dose    | volume | written |
      | 500 mcg | .5 mL  | .5 mL   |
      | .5 mg   | 0.5 mL | .5 mg   |

  @NOTATION-LEADING-ZERO
  Scenario: A leading zero is written
    Given the order is changed to:
      | dose   | 500 mcg |
      | volume | 0.5 mL  |
    Then the order is not flagged NOTATION-LEADING-ZERO
    And the order passes

  @NOTATION-ERROR-PRONE
  Scenario Outline: Error-prone "<token>" in the <field>: "<written>"
    Given the order's <field> is "<written>"
    Then the order is flagged NOTATION-ERROR-PRONE as info
    And the message of NOTATION-ERROR-PRONE mentions "Error-prone notation <token>"

    Examples:
      | field                 | written     | token |
      | dose                  | 1000 ug     | ug    |
      | dose                  | 1000 µg     | µg    |
      | dose                  | 1000 μg     | μg    |
      | volume                | 1 cc        | cc    |
      | product concentration | 1000 mcg/cc | cc    |
      | frequency             | QD          | qd    |
      | frequency             | q.d.        | q.d.  |
      | frequency             | OD          | od    |

  @NOTATION-ERROR-PRONE
  Scenario: Every other day written as QOD
    Given the order is changed to:
      | frequency | QOD     |
      | duration  | 2 weeks |
    Then the order has exactly these findings:
      | NOTATION-ERROR-PRONE | info |
    And the message of NOTATION-ERROR-PRONE mentions "qod"

  @NOTATION-ERROR-PRONE
  Scenario Outline: Error-prone frequency "<written>", understood and flagged
    Given the order's frequency is "<written>"
    Then the order is flagged NOTATION-ERROR-PRONE as info
    And the order has exactly these findings:
      | NOTATION-ERROR-PRONE | info |
    And the message of NOTATION-ERROR-PRONE mentions "Error-prone notation <token>"
    And the message of NOTATION-ERROR-PRONE mentions "<write>"

    Examples:
      | written | token  | write              |
      | TIW     | tiw    | three times a week |
      | t.i.w.  | t.i.w. | three times a week |
      | BIW     | biw    | twice a week       |
      | QOW     | qow    | every other week   |
      | q.o.w.  | q.o.w. | every other week   |
      | qhs     | qhs    | at bedtime         |
      | HS      | hs     | at bedtime         |
      | qn      | qn     | at bedtime         |
      | q1d     | q1d    | daily              |

  @NOTATION-ERROR-PRONE
  Scenario Outline: Frequencies written out safely: "<written>"
    Given the order's frequency is "<written>"
    Then the order is not flagged NOTATION-ERROR-PRONE
    And the order passes

    Examples:
      | written              |
      | three times a week   |
      | Mon/Wed/Fri          |
      | MWF                  |
      | twice a week         |
      | every other week     |
      | at bedtime           |
      | nightly              |

  # A period after the unit ("ug.", "cc.") must not hide the abbreviation from the rule.
  @NOTATION-ERROR-PRONE
  Scenario Outline: Error-prone unit followed by a period: "<written>"
    Given the order's <field> is "<written>"
    Then the order is flagged NOTATION-ERROR-PRONE as info

    Examples:
      | field  | written  |
      | dose   | 1000 ug. |
      | volume | 1 cc.    |

  @NOTATION-ERROR-PRONE
  Scenario Outline: Written out safely: the <field> as "<written>"
    Given the order's <field> is "<written>"
    Then the order is not flagged NOTATION-ERROR-PRONE
    And the order passes

    Examples:
      | field     | written         |
      | dose      | 1000 mcg        |
      | dose      | 1000 micrograms |
      | dose      | 1 mg            |
      | volume    | 1 mL            |
      | volume    | 1 millilitre    |
      | frequency | daily           |
      | frequency | once a day      |

  @DOSEGUARD-DRUG-NOT-COVERED
  Scenario: An order for a drug no other pack covers is not checked for notation either
    Not checked means not checked: its doses may be written in units no notation rule reads, and a
    notation finding on some such orders would make the others read as checked. Run with the notation
    pack alone, no drug is "not covered" and every order's notation is checked.
    Given the order is changed to:
      | drug | methotrexate |
      | dose | 25.0 mg      |
    Then the order is not checked because no rule pack covers its drug
    And the order has exactly these findings:
      | DOSEGUARD-DRUG-NOT-COVERED | info |
