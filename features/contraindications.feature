Feature: Contraindications on the label
  Cyanocobalamin is contraindicated with sensitivity to cobalt or vitamin B12. In Leber's disease
  (hereditary optic nerve atrophy) it can cause severe, rapid optic atrophy. Allergies and conditions
  are lists: in a table cell, separate them with ";".

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
      | Vitamin B12        | vitamin b12      |
      | hydroxocobalamin   | hydroxocobalamin |
      | penicillin; cobalt | cobalt           |

  @B12-CONTRAINDICATION
  Scenario Outline: Leber's disease written as "<condition>"
    Given the order's conditions are "<condition>"
    Then the order is flagged B12-CONTRAINDICATION as critical
    And the message of B12-CONTRAINDICATION mentions "allergies: none; conditions: <named>"

    Examples:
      | condition                           | named                             |
      | Leber's disease                     | leber's disease                   |
      | Leber’s disease                     | leber's disease                   |
      | LHON                                | lhon                              |
      | Leber hereditary optic neuropathy   | leber hereditary optic neuropathy |
      | pernicious anaemia; Leber's disease | leber's disease                   |
      | hereditary optic nerve atrophy      | hereditary optic nerve atrophy    |

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

  @B12-CONTRAINDICATION
  Scenario: Other allergies and conditions are not contraindications
    Given the order is changed to:
      | allergies  | penicillin; latex                                   |
      | conditions | pernicious anaemia; type 2 diabetes; optic neuritis |
    Then the order is not flagged B12-CONTRAINDICATION
    And the order passes

