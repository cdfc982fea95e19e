Feature: Route and injection site
  Cyanocobalamin injection is for intramuscular or deep subcutaneous use. Given IV, almost all of the
  dose is lost in urine; oral B12 is a different product. Each muscle takes a limited volume in one
  intramuscular injection: deltoid 2 mL; vastus lateralis, ventrogluteal and dorsogluteal 3 mL.
  A site written without its muscle is read as a nurse reads it for an IM injection: the upper arm
  is the deltoid, the thigh the vastus lateralis, the buttock the dorsogluteal site. The abdomen and
  the back of the arm take subcutaneous injections only; the gluteal muscles take IM injections only
  (docs/decisions/injection-sites.md).

  Background:
    Given a standard cyanocobalamin order

  @B12-ROUTE
  Scenario Outline: Cyanocobalamin injection is not given <route>
    Given the order's route is "<route>"
    And the order has no site
    Then the order is flagged B12-ROUTE as warning
    And the message of B12-ROUTE mentions "Route <code> is not for this product"

    Examples:
      | route           | code |
      | IV              | IV   |
      | intravenous     | IV   |
      | PO              | PO   |
      | by mouth        | PO   |
      | sublingual      | SL   |
      | intrathecal     | IT   |
      | IV push         | IV   |
      | IVP             | IV   |
      | IV bolus        | IV   |
      | IV piggyback    | IV   |
      | IVPB            | IV   |
      | IV infusion     | IV   |
      | Intravenous use | IV   |
      | 47625008        | IV   |
      | Oral use        | PO   |

  @B12-ROUTE
  Scenario Outline: Intramuscular or deep subcutaneous, however it is written: <route>
    Given the order's route is "<route>"
    Then the order is not flagged B12-ROUTE
    And the order passes

    Examples:
      | route               |
      | IM                  |
      | intramuscular       |
      | i.m.                |
      | I.M.                |
      | intramuscularly     |
      | Intramuscular route |
      | IM injection        |
      | Intramuscular use   |
      | 78421000            |
      | SC                  |
      | deep SC             |
      | deep subcutaneous   |
      | Subcutaneous use    |
      | 34206005            |

  @B12-SITE-VOLUME
  Scenario Outline: <volume> is more than the <site> takes in one injection
    Given the order is changed to:
      | dose   | <dose>   |
      | volume | <volume> |
      | site   | <site>   |
    Then the order is flagged B12-SITE-VOLUME as warning
    And the message of B12-SITE-VOLUME mentions "<volume> is more than the <site> takes in one IM injection (<max>)"

    Examples:
      | dose     | volume | site             | max  |
      | 2500 mcg | 2.5 mL | deltoid          | 2 mL |
      | 3000 mcg | 3 mL   | deltoid          | 2 mL |
      | 3500 mcg | 3.5 mL | dorsogluteal     | 3 mL |
      | 4000 mcg | 4 mL   | ventrogluteal    | 3 mL |

  @B12-SITE-VOLUME
  Scenario: The side of the body does not change the site
    Given the order is changed to:
      | dose   | 2500 mcg      |
      | volume | 2.5 mL        |
      | site   | right deltoid |
    Then the order is flagged B12-SITE-VOLUME as warning

  @B12-SITE-VOLUME
  Scenario Outline: <volume> fits in the <site>
    Given the order is changed to:
      | dose   | <dose>   |
      | volume | <volume> |
      | site   | <site>   |
    Then the order is not flagged B12-SITE-VOLUME

    Examples:
      | dose     | volume | site             |
      | 1000 mcg | 1 mL   | deltoid          |
      | 2000 mcg | 2 mL   | deltoid          |
      | 2500 mcg | 2.5 mL | vastus lateralis |
      | 3000 mcg | 3 mL   | ventrogluteal    |
      | 3000 mcg | 3 mL   | dorsogluteal     |

  @B12-SITE-VOLUME
  Scenario: The muscle's maximum is for intramuscular injections only
    Given the order is changed to:
      | route  | deep SC  |
      | dose   | 3000 mcg |
      | volume | 3 mL     |
    Then the order is not flagged B12-SITE-VOLUME

  @B12-SITE-VOLUME
  Scenario Outline: <volume> is more than the <site> takes, read as the muscle a nurse would use
    Given the order is changed to:
      | dose   | <dose>   |
      | volume | <volume> |
      | site   | <site>   |
    Then the order is flagged B12-SITE-VOLUME as warning
    And the message of B12-SITE-VOLUME mentions "(<max>)"

    Examples:
      | dose     | volume | site      | max  |
      | 2500 mcg | 2.5 mL | right arm | 2 mL |
      | 2500 mcg | 2.5 mL | upper arm | 2 mL |
      | 2500 mcg | 2.5 mL | LUA       | 2 mL |
      | 3500 mcg | 3.5 mL | thigh     | 3 mL |
      | 3500 mcg | 3.5 mL | buttock   | 3 mL |
      | 3500 mcg | 3.5 mL | gluteal   | 3 mL |

  @B12-SITE-VOLUME
  Scenario Outline: <volume> fits in the <site>, read as the muscle a nurse would use
    Given the order is changed to:
      | dose   | <dose>   |
      | volume | <volume> |
      | site   | <site>   |
    Then the order is not flagged B12-SITE-VOLUME

    Examples:
      | dose     | volume | site                |
      | 2000 mcg | 2 mL   | right arm           |
      | 3000 mcg | 3 mL   | L thigh             |
      | 3000 mcg | 3 mL   | anterolateral thigh |
      | 3000 mcg | 3 mL   | buttock             |

  @B12-SITE-VOLUME @B12-SITE-ROUTE
  Scenario: A site with no muscle to take an intramuscular injection is not judged by volume
    Given the order is changed to:
      | dose   | 1000 mcg |
      | volume | 1 mL     |
      | site   | abdomen  |
    Then the order is not flagged B12-SITE-VOLUME
    And the order is flagged B12-SITE-ROUTE as warning

  @B12-SITE-ROUTE
  Scenario Outline: An intramuscular injection is not given into the <site>
    Given the order's route is "IM"
    And the order's site is "<site>"
    Then the order is flagged B12-SITE-ROUTE as warning
    And the message of B12-SITE-ROUTE mentions "The <code> is not a site for IM injections"

    Examples:
      | site              | code        |
      | abdomen           | abdomen     |
      | LLQ               | abdomen     |
      | RLAQ              | abdomen     |
      | abdominal wall    | abdomen     |
      | back of arm       | back of arm |
      | back of upper arm | back of arm |

  @B12-SITE-ROUTE
  Scenario Outline: A deep subcutaneous injection is not given into the <site>
    Given the order's route is "deep SC"
    And the order's site is "<site>"
    Then the order is flagged B12-SITE-ROUTE as warning
    And the message of B12-SITE-ROUTE mentions "The <code> is not a site for SC injections"

    Examples:
      | site          | code          |
      | ventrogluteal | ventrogluteal |
      | LVG           | ventrogluteal |
      | dorsogluteal  | dorsogluteal  |
      | gluteal       | dorsogluteal  |
      | RG            | dorsogluteal  |

  @B12-SITE-ROUTE
  Scenario Outline: An intramuscular injection into the <site>
    Given the order's route is "IM"
    And the order's site is "<site>"
    Then the order is not flagged B12-SITE-ROUTE
    And the order passes

    Examples:
      | site                |
      | deltoid             |
      | deltoid muscle      |
      | R deltoid           |
      | LD                  |
      | right arm           |
      | left upper arm      |
      | RUA                 |
      | thigh               |
      | L thigh             |
      | anterolateral thigh |
      | RVL                 |
      | LT                  |
      | gluteal             |
      | buttock             |
      | BU                  |
      | LVG                 |
      | ventrogluteal       |

  @B12-SITE-ROUTE
  Scenario Outline: A deep subcutaneous injection into the <site>
    Given the order's route is "deep SC"
    And the order's site is "<site>"
    Then the order is not flagged B12-SITE-ROUTE
    And the order passes

    Examples:
      | site        |
      | abdomen     |
      | LLQ         |
      | LUAQ        |
      | thigh       |
      | upper arm   |
      | back of arm |
      | buttock     |
      | deltoid     |
      | L thigh     |

  @B12-SITE-ROUTE
  Scenario: A route the product is not for is the route rule's, whatever the site
    Given the order's route is "IV push"
    And the order's site is "abdomen"
    Then the order is flagged B12-ROUTE as warning
    And the order is not flagged B12-SITE-ROUTE
