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

  # --- negation: a contraindication recorded as absent is not one ---------------------------------
  # Allergies and conditions are read as NegEx reads them: "no", "denies", "negative for", "free of"
  # before, "excluded", "ruled out", "negative", "absent" after, within the clause (up to a ";", a ","
  # or "but", "however", "except"). A record that says the contraindication is absent raises no alert:
  # alert fatigue makes the real one easier to override. When the reach of a negation is in doubt the
  # contraindication counts as present.

  @B12-CONTRAINDICATION
  Scenario Outline: Leber's disease recorded as absent: "<condition>"
    Given the order's conditions are "<condition>"
    Then the order is not flagged B12-CONTRAINDICATION
    And the order passes

    Examples:
      | condition                                 |
      | no Leber's disease                        |
      | No LHON                                   |
      | Leber's disease excluded                  |
      | LHON ruled out                            |
      | negative for Leber hereditary optic neuropathy |
      | pernicious anaemia without Leber's disease |
      | Leber's: none                             |
      | no family history of Leber's disease      |

  @B12-CONTRAINDICATION
  Scenario Outline: A cobalt or B12 allergy recorded as absent: "<allergies>"
    Given the order's allergies are "<allergies>"
    Then the order is not flagged B12-CONTRAINDICATION
    And the order passes

    Examples:
      | allergies                       |
      | denies cobalt allergy           |
      | cobalt allergy ruled out        |
      | no cobalt allergy               |
      | No allergy to vitamin B12       |
      | cobalt patch test negative      |
      | penicillin; not allergic to B12 |
      | No known allergies              |
      | no known drug allergies         |

  @B12-CONTRAINDICATION
  Scenario Outline: Leber's disease stated beside a negation that does not reach it: "<condition>"
    Given the order's conditions are "<condition>"
    Then the order is flagged B12-CONTRAINDICATION as critical

    Examples:
      | condition                                      |
      | no diabetes; Leber's disease                   |
      | no optic neuritis but Leber's disease          |
      | denies headache, has LHON                      |
      | diabetes not present; Leber's disease          |
      | suspected Leber's disease                      |
      | ?LHON                                          |
      | Leber's disease not excluded                   |

  @B12-CONTRAINDICATION
  Scenario Outline: A cobalt or B12 allergy stated beside a negation that does not reach it: "<allergies>"
    Given the order's allergies are "<allergies>"
    Then the order is flagged B12-CONTRAINDICATION as critical

    Examples:
      | allergies                              |
      | no known drug allergies except cobalt  |
      | NKDA; cobalt                           |
      | no penicillin allergy, cobalt allergy  |
      | cobalt allergy, not anaphylaxis        |
      | allergy to B12 not confirmed           |

  # A family history of Leber's hereditary optic neuropathy (LHON): LHON is mitochondrial, passed on by
  # the mother, and most carriers of the mutation have not (yet) lost sight. Cyanocobalamin's cyanide is
  # the suspected trigger of its optic atrophy, so a possible carrier is reviewed as a patient with it
  # is (hydroxocobalamin is the alternative).
  @B12-CONTRAINDICATION
  Scenario: A family history of Leber's disease is reviewed as Leber's disease
    Given the order's conditions are "family history of Leber's disease"
    Then the order is flagged B12-CONTRAINDICATION as critical

  # Leber congenital amaurosis (LCA) is another disease named after Theodor Leber: a retinal dystrophy
  # of infancy, not the optic neuropathy of the label's warning. It is not a contraindication.
  @B12-CONTRAINDICATION
  Scenario Outline: Leber congenital amaurosis is not Leber's disease: "<condition>"
    Given the order's conditions are "<condition>"
    Then the order is not flagged B12-CONTRAINDICATION
    And the order passes

    Examples:
      | condition                           |
      | Leber congenital amaurosis          |
      | Leber's congenital amaurosis        |
      | LCA (Leber congenital amaurosis)    |
      | Lebers congenital amaurosis type 10 |

  @B12-CONTRAINDICATION
  Scenario Outline: Leber's hereditary optic neuropathy beside Leber congenital amaurosis: "<condition>"
    Given the order's conditions are "<condition>"
    Then the order is flagged B12-CONTRAINDICATION as critical

    Examples:
      | condition                                        |
      | Leber congenital amaurosis; Leber's disease      |
      | Leber's congenital amaurosis; LHON               |
      | Leber congenital amaurosis; hereditary optic atrophy |
