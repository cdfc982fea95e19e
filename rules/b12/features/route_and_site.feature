Feature: Route and injection site
  Cyanocobalamin injection is for intramuscular or deep subcutaneous use. Given IV, almost all of the
  dose is lost in urine; oral B12 is a different product. Each muscle takes a limited volume in one
  intramuscular injection: deltoid 2 mL; vastus lateralis, ventrogluteal and dorsogluteal 3 mL.

  Background:
    Given a standard cyanocobalamin order

  @B12-ROUTE
  Scenario Outline: Cyanocobalamin injection is not given <route>
    Given the order's route is "<route>"
    And the order has no site
    Then the order is flagged B12-ROUTE as warning
    And the message of B12-ROUTE mentions "Route <code> is not for this product"

    Examples:
      | route        | code |
      | IV           | IV   |
      | intravenous  | IV   |
      | PO           | PO   |
      | by mouth     | PO   |
      | sublingual   | SL   |
      | intrathecal  | IT   |

  @B12-ROUTE
  Scenario Outline: Intramuscular or deep subcutaneous, however it is written: <route>
    Given the order's route is "<route>"
    Then the order is not flagged B12-ROUTE
    And the order passes

    Examples:
      | route             |
      | IM                |
      | intramuscular     |
      | i.m.              |
      | SC                |
      | deep SC           |
      | deep subcutaneous |

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
