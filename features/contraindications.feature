Feature: Contraindications on the label
  Cyanocobalamin is contraindicated with sensitivity to cobalt or vitamin B12. In Leber's disease
  (hereditary optic nerve atrophy) it can cause severe, rapid optic atrophy. Allergies and conditions
  are lists: in a table cell, separate them with ";". They are written many ways ("Allergic to
  cobalt", "B12 allergy", "Leber's hereditary optic atrophy"), so the rule looks for words and phrases
  anywhere in each entry: for a critical contraindication, an extra alert is better than a missed one.

  Background:
    Given a standard cyanocobalamin order

  @B12-CONTRAINDICATION
  Scenario Outline: Allergy to <allergies>
    Given the order's allergies are "<allergies>"
    Then the order is flagged B12-CONTRAINDICATION as critical
    And the message of B12-CONTRAINDICATION mentions "allergies: <named>; conditions: none"

    Examples:
      | allergies          | named            |
      | cobalt             | cobalt           |
      | Cobalt             | cobalt           |
      | cyanocobalamin     | cyanocobalamin   |
      | Vitamin B12        | b12, vitamin b12 |
      | hydroxocobalamin   | hydroxocobalamin |
      | penicillin; cobalt | cobalt           |

  @B12-CONTRAINDICATION
  Scenario Outline: Allergy written as "<allergies>"
    Given the order's allergies are "<allergies>"
    Then the order has exactly these findings:
      | B12-CONTRAINDICATION | critical |
    And the message of B12-CONTRAINDICATION mentions "allergies: <named>; conditions: none"

    Examples:
      | allergies                  | named                |
      | cobalt allergy             | cobalt               |
      | Allergic to cobalt         | cobalt               |
      | B12 allergy                | b12                  |
      | vitamin B12 injection      | b12, vitamin b12     |
      | Cyanocobalamin Inj         | cyanocobalamin       |
      | cobalt chloride            | cobalt               |
      | COBALT (contact dermatitis) | cobalt              |
      | Vit. B-12 - rash           | b12                  |
      | latex, cobalt              | cobalt               |
      | "cobalt"                   | cobalt               |
      | hydroxycobalamin           | hydroxycobalamin     |
      | methylcobalamin            | methylcobalamin      |

  @B12-CONTRAINDICATION
  Scenario Outline: Leber's disease written as "<condition>"
    Given the order's conditions are "<condition>"
    Then the order is flagged B12-CONTRAINDICATION as critical
    And the message of B12-CONTRAINDICATION mentions "allergies: none; conditions: <named>"

    Examples:
      | condition                           | named                    |
      | Leber's disease                     | leber's                  |
      | Leber’s disease                     | leber's                  |
      | LHON                                | lhon                     |
      | Leber hereditary optic neuropathy   | leber, hereditary optic  |
      | pernicious anaemia; Leber's disease | leber's                  |
      | hereditary optic nerve atrophy      | hereditary optic         |
      | Leber optic atrophy                 | leber                    |
      | Leber's hereditary optic atrophy    | leber's, hereditary optic |
      | Lebers disease                      | lebers                   |
      | LHON (mitochondrial)                | lhon                     |

  # Allergy lists are written many ways: a reaction in brackets, "B-12" for "B12", a plural.
  @B12-CONTRAINDICATION
  Scenario Outline: Allergy recorded as "<allergies>"
    Given the order's allergies are "<allergies>"
    Then the order is flagged B12-CONTRAINDICATION as critical

    Examples:
      | allergies                   |
      | vitamin B-12                |
      | Vitamin B12 (anaphylaxis)   |
      | cobalamins                  |
      | cyanocobalamin injection    |
      | B 12                        |

  @B12-CONTRAINDICATION
  Scenario: Leber's disease recorded with its abbreviation in brackets
    Given the order's conditions are "Leber hereditary optic neuropathy (LHON)"
    Then the order is flagged B12-CONTRAINDICATION as critical
    And the message of B12-CONTRAINDICATION mentions "conditions: leber, lhon, hereditary optic"

  @B12-CONTRAINDICATION
  Scenario: A cobalt allergy and Leber's disease together
    Given the order is changed to:
      | allergies  | penicillin; Allergic to cobalt |
      | conditions | Leber's disease                |
    Then the order has exactly these findings:
      | B12-CONTRAINDICATION | critical |
    And the message of B12-CONTRAINDICATION mentions "allergies: cobalt; conditions: leber's"

  @B12-CONTRAINDICATION
  Scenario: Other allergies and conditions are not contraindications
    Given the order is changed to:
      | allergies  | penicillin; latex                                   |
      | conditions | pernicious anaemia; type 2 diabetes; optic neuritis |
    Then the order is not flagged B12-CONTRAINDICATION
    And the order passes

  @B12-CONTRAINDICATION
  Scenario Outline: Not a contraindication: allergy "<allergies>", condition "<conditions>"
    Given the order is changed to:
      | allergies  | <allergies>  |
      | conditions | <conditions> |
    Then the order is not flagged B12-CONTRAINDICATION
    And the order passes

    Examples:
      | allergies                | conditions                           |
      | Penicillin               | Pernicious anaemia                   |
      | latex gloves             | Optic neuritis                       |
      | vitamin B6               | Type 2 diabetes                      |
      | Vitamin D; vitamin B1    | hereditary haemochromatosis          |
      | nickel                   | atrophic gastritis                   |
      | iron dextran             | B12 deficiency                       |
      | sulfa drugs (rash)       | folate deficiency; optic disc oedema |
      | NKDA                     | none                                 |
      | None                     | N/A                                  |
