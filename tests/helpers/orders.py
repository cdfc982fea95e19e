"""The standard cyanocobalamin order, and an order of each outcome as the command tests write them."""

from __future__ import annotations

from typing import Any

STANDARD_SENTENCE: dict[str, Any] = {
    "drug": "cyanocobalamin", "dose": "1000 mcg", "volume": "1 mL", "concentration": "1000 mcg/mL",
    "product_concentration": "1000 mcg/mL", "route": "IM", "site": "deltoid", "frequency": "daily",
    "duration": "7 days", "phase": "repletion",
}  # fmt: skip
"""The fields of a correct repletion order for the 1000 mcg/mL vial, without its ids: no finding."""


def standard_order(order_id: str = "O1", patient_id: str = "P1", **changes: Any) -> dict[str, Any]:
    """A fresh standard order with these ids, and ``changes`` over its fields."""
    return {"order_id": order_id, "patient_id": patient_id, **STANDARD_SENTENCE, **changes}


STANDARD_ORDER = standard_order()


def order(order_id: str, **changes: Any) -> dict[str, Any]:
    """A standard order of patient PT-1, as the command tests write them into files."""
    return standard_order(order_id, "PT-1", **changes)


PASSING = order("PASS")
WARNING = order("WARN", route="IV")  # B12-ROUTE (warning) only
INFO = order("INFO", volume="1.0 mL")  # NOTATION-TRAILING-ZERO (info) only
CRITICAL = order("CRIT", dose="500 mcg")  # B12-DOSE-VOLUME-MISMATCH (critical)
INVALID = order("BAD", dose="one thousand")
OTHER_DRUG = order(
    "OTHER", drug="insulin aspart", dose="6 units", route="SC", site="abdomen", frequency="before meals"
)
"""An order for a drug no bundled pack covers: not_covered, with the info notice."""
CANCELLED = order("CANC", dose="10 mg", status="cancelled")  # inactive: its wrong dose is not alerted on
