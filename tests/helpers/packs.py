"""A small rule pack and its scenarios, written into a folder, for the tests of ``rules test`` and of
the pytest plugin: two stable rules, each with a scenario that fires it and a near miss."""

from __future__ import annotations

from pathlib import Path

# The scenarios start from "a standard cyanocobalamin order": the pack names it (as the bundled b12
# pack does), the step library knows none of its own.
PACK = """\
name: demo
title: Demo pack
drugs:
  - name: cyanocobalamin
standard_orders:
  cyanocobalamin:
    drug: cyanocobalamin
    dose: 1000 mcg
    volume: 1 mL
    concentration: 1000 mcg/mL
    product_concentration: 1000 mcg/mL
    route: IM
    site: deltoid
    frequency: daily
    duration: 7 days
    phase: repletion
"""

RULES = """\
rules:
  - id: DEMO-ROUTE
    title: Not intramuscular
    severity: warning
    status: stable
    description: This demo pack accepts intramuscular injection only.
    references: ["doseguard tests"]
    when: route != "IM"
    message: "Route {route} is not IM."
  - id: DEMO-DOSE-HIGH
    title: Dose above 1000 mcg
    severity: critical
    status: stable
    description: More than 1000 mcg in one injection.
    references: ["doseguard tests"]
    when: dose_mcg > 1000
    message: "{dose_mcg} mcg is more than 1000 mcg."
"""

ROUTE_FEATURE = """\
Feature: Route
  Background:
    Given a standard cyanocobalamin order

  @DEMO-ROUTE
  Scenario Outline: Not intramuscular: <route>
    Given the order's route is "<route>"
    Then the order is flagged DEMO-ROUTE as warning
    And the message of DEMO-ROUTE mentions "Route <route> is not IM"

    Examples:
      | route |
      | IV    |
      | SC    |

  @DEMO-ROUTE
  Scenario: Intramuscular is the near miss
    Then the order is not flagged DEMO-ROUTE
"""

DOSE_FEATURE = """\
Feature: Dose
  Background:
    Given a standard cyanocobalamin order

  Scenario: 2000 mcg is too much
    Given the order's dose is "2000 mcg"
    And the order's volume is "2 mL"
    Then the order has exactly these findings:
      | rule id        | severity |
      | DEMO-DOSE-HIGH | critical |

  Scenario: 1000 mcg is the usual dose
    Then the order is not flagged DEMO-DOSE-HIGH
"""

FAILING_SCENARIO = """
  Scenario: The usual order is wrongly expected to be flagged
    Then the order is flagged DEMO-ROUTE
"""

NEAR_MISS = """
  Scenario: 1000 mcg is the usual dose
    Then the order is not flagged DEMO-DOSE-HIGH
"""


def write_pack(root: Path, rules: str = RULES) -> Path:
    """``root/rules/demo/`` with pack.yaml and rules.yaml; returns ``root/rules``."""
    pack = root / "rules" / "demo"
    pack.mkdir(parents=True)
    (pack / "pack.yaml").write_text(PACK, encoding="utf-8")
    (pack / "rules.yaml").write_text(rules, encoding="utf-8")
    return root / "rules"


def write_features(root: Path, route: str = ROUTE_FEATURE, dose: str = DOSE_FEATURE) -> Path:
    """``root/features/`` with the dose feature in a sub-folder (features are searched recursively)."""
    features = root / "features"
    (features / "dose").mkdir(parents=True)
    (features / "route.feature").write_text(route, encoding="utf-8")
    (features / "dose" / "dose.feature").write_text(dose, encoding="utf-8")
    return features
