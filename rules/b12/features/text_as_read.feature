Feature: An order's text is read as the nurse reads it
  A drug name with an invisible character, a full-width letter or a Cyrillic letter drawn like a Latin
  one looks like "cyanocobalamin" on the screen, and cyanocobalamin is what will be given. Compared
  character by character it is another drug, and an order for another drug is not dose-checked: a
  100 mg IV dose would pass. So every text field is read as it shows: compatibility forms folded
  (full-width letters, "㎎"), invisible characters removed (zero-width space, BOM, soft hyphen, bidi
  controls; the result says so in its warnings), every kind of space one space, look-alike letters of
  another script read as the Latin ones they show when they sit in a Latin word (with a warning). What
  cannot be read safely is refused: a control character (NUL: a corrupt or cut-off field), a
  superscript or fraction digit in a number ("10³" would read as 103), a drug name that still mixes
  scripts. The values below are JSON, so "\u200b" is one invisible character.

  Scenario Outline: A 100 mg IV dose of "<drug>" is checked as cyanocobalamin
    Given an order as JSON:
      """
      {"order_id": "O1", "patient_id": "P1", "drug": "<drug>", "dose": "100 mg", "volume": "0.1 mL",
       "concentration": "1000 mcg/mL", "product_concentration": "1000 mcg/mL", "route": "IV",
       "frequency": "daily", "duration": "7 days", "phase": "repletion"}
      """
    Then the order is flagged B12-DOSE-IMPLAUSIBLE as critical
    And the order is flagged B12-ROUTE as warning
    And the order is not flagged DOSEGUARD-DRUG-NOT-COVERED

    Examples:
      | drug                                   | written as                       |
      | cyano\u200bcobalamin                   | a zero-width space               |
      | \ufeffcyanocobalamin                   | a byte order mark                |
      | cyano\u00adcobalamin                   | a soft hyphen                    |
      | cyanocobalamin\u200d                   | a zero-width joiner at the end   |
      | \u202acyanocobalamin\u202c             | bidi embedding controls          |
      | \uff43\uff59\uff41\uff4e\uff4fcobalamin | full-width letters              |
      | \u0441yanocobalamin                    | a Cyrillic es                    |
      | cyan\u043ecobalamin                    | a Cyrillic o                     |
      | cyanoc\u03bfbalamin                    | a Greek omicron                  |
      | Vitamin\u00a0B12                       | a no-break space                 |
      | Vitamin B\u2081\u2082                  | subscript digits                 |
      | \u0421YANOCOBALAMIN                    | a capital Cyrillic es            |

  Scenario: A route written with Cyrillic letters is read as the route it shows
    Given an order as JSON:
      """
      {"order_id": "O1", "patient_id": "P1", "drug": "cyanocobalamin", "dose": "1000 mcg", "volume": "1 mL",
       "concentration": "1000 mcg/mL", "product_concentration": "1000 mcg/mL", "route": "\u0420\u041e",
       "frequency": "daily", "duration": "7 days", "phase": "repletion"}
      """
    Then the order is flagged B12-ROUTE as warning
    And the message of B12-ROUTE mentions "Route PO is not for this product"

  Scenario: Spaces of every kind in a correct order change nothing
    Given an order as JSON:
      """
      {"order_id": "O1", "patient_id": "P1", "drug": "cyanocobalamin", "dose": "1000\u202fmcg",
       "volume": "1\u00a0mL", "concentration": "1000 mcg/mL", "product_concentration": "1000 mcg/mL",
       "route": "IM\t", "site": "left\u2009deltoid", "frequency": "every\nday", "duration": "7\u3000days",
       "phase": "repletion"}
      """
    Then the order passes

  Scenario: Invisible characters in a correct order change no finding
    Given an order as JSON:
      """
      {"order_id": "O1", "patient_id": "P1", "drug": "cyanocobalamin", "dose": "1000\u200b mcg",
       "volume": "1 mL", "concentration": "1000 mcg/mL", "product_concentration": "1000 mcg/mL",
       "route": "I\u200bM", "site": "\ufeffdeltoid", "frequency": "daily", "duration": "7 days",
       "phase": "repletion"}
      """
    Then the order is not flagged B12-ROUTE
    And the order is not flagged B12-ORDER-INCOMPLETE
    And the order is not flagged B12-DOSE-VOLUME-MISMATCH

  Scenario: A cobalt allergy written with a Cyrillic o is still an allergy to cobalt
    Given an order as JSON:
      """
      {"order_id": "O1", "patient_id": "P1", "drug": "cyanocobalamin", "dose": "1000 mcg", "volume": "1 mL",
       "concentration": "1000 mcg/mL", "product_concentration": "1000 mcg/mL", "route": "IM",
       "site": "deltoid", "frequency": "daily", "duration": "7 days", "phase": "repletion",
       "allergies": ["c\u043ebalt"]}
      """
    Then the order is flagged B12-CONTRAINDICATION as critical

  Scenario Outline: Text that cannot be read safely is refused: <what>
    Given an order as JSON:
      """
      {"order_id": "O1", "patient_id": "P1", "drug": "<drug>", "dose": "<dose>", "volume": "1 mL",
       "route": "IM", "frequency": "daily", "duration": "7 days"}
      """
    Then the order is invalid because of its <field>
    And the error about its <field> mentions "<reason>"

    Examples:
      | what                                  | drug                     | dose              | field | reason                        |
      | a NUL at the end of the drug          | cyanocobalamin\u0000     | 1000 mcg          | drug  | U+0000 (NUL)                  |
      | a NUL inside the drug                 | cyano\u0000cobalamin     | 1000 mcg          | drug  | control character             |
      | a DEL in the dose                     | cyanocobalamin           | 1000\u007f mcg    | dose  | U+007F (DEL)                  |
      | a superscript digit in the dose       | cyanocobalamin           | 1000\u00b9 mcg    | dose  | cannot be read safely         |
      | a fraction in the dose                | cyanocobalamin           | \u00bd mg         | dose  | VULGAR FRACTION ONE HALF      |
      | a drug name of two scripts            | B\u0438tamin B12         | 1000 mcg          | drug  | mixes the letters of          |
      | a drug name of invisible text only    | \u200b\u200b             | 1000 mcg          | drug  | has no visible text           |

  Scenario: A blank route of invisible characters is not a stated route
    Given an order as JSON:
      """
      {"order_id": "O1", "patient_id": "P1", "drug": "cyanocobalamin", "dose": "1000 mcg", "volume": "1 mL",
       "concentration": "1000 mcg/mL", "product_concentration": "1000 mcg/mL", "route": "\u200b\u00a0",
       "site": "deltoid", "frequency": "daily", "duration": "7 days", "phase": "repletion"}
      """
    Then the order has exactly these findings:
      | B12-ORDER-INCOMPLETE | warning |
    And the message of B12-ORDER-INCOMPLETE mentions "does not state its route"

  Scenario Outline: Greek letters of clinical text are left as written: <condition>
    Given a standard cyanocobalamin order
    And the order's conditions are "<condition>"
    Then the order passes

    Examples:
      | condition             |
      | β-thalassaemia trait  |
      | κ light chain disease |
      | α-thalassaemia        |

  Scenario Outline: A misspelt drug name is neither taken for the drug nor passed over
    A near name may be another drug ("hydroxocobalamin" is one letter group from "cyanocobalamin"), so
    it is not checked as the drug; nor is it filed with the drugs no pack covers, where a wrong dose
    would go unseen: the order is invalid, and the error says which covered name it is close to.
    Given a standard cyanocobalamin order
    And the order's drug is "<drug>"
    Then the order is invalid because of its drug
    And the error about its drug mentions "did you mean 'cyanocobalamin'?"

    Examples:
      | drug             |
      | cyanocobalmin    |
      | Cyanocobalamine  |

  Scenario Outline: A product name that names the drug and a word no pack lists is still checked
    A maker, a vial size or a note beside the name does not make it another drug: an order that names
    cyanocobalamin and nothing else a pack knows is checked as cyanocobalamin (a wrong dose in it must
    not slip through as "not covered"), and the result's warnings name the words that were not read.
    Given a standard cyanocobalamin order
    And the order's drug is "<drug>"
    And the order's dose is "1000 mg"
    Then the order is flagged B12-DOSE-IMPLAUSIBLE as critical

    Examples:
      | drug                                                            |
      | Cyanocobalamin 1000 mcg/mL injection (Acme Pharma)              |
      | Cyanocobalamin 1000 mcg/mL injection, 30 mL multiple-dose vial |
      | Cyanocobalamin 1,000 mcg/mL Injection (Fresenius Kabi)          |
      | cyanocobalamin 1000 mcg/mL IM or SC                             |
      | Vit B12 inj                                                     |
      | B12 shot                                                        |
      | cyanocobalamin deep subcut injection                            |
      | cyanocobalamin 1000 mcg/mL (NON-FORMULARY)                      |
