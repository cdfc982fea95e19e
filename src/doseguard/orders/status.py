"""An order's own status (a ``status`` column or key, FHIR ``MedicationRequest.status``): is the order
still one to give the drug?

An order that was cancelled, entered in error, completed or stopped is not alerted on (a pharmacist
does not review a cancelled order's dose). Every other status is checked: one that is or may become
active (draft, on hold, pending, ...) as any order, and one doseguard does not know with a warning,
because reading a misspelt "active" as inactive would let a wrong order through unseen (fail closed:
a misspelt "cancelled" costs one alert at most). "D/C" and "DC" are refused as inactive: ISMP lists
them as error-prone, read as "discontinue" when "discharge" was meant. The reasons and the spellings
of each export: docs/outputs.md ("Order status").
"""

from __future__ import annotations

import re
from enum import Enum
from functools import lru_cache
from typing import NamedTuple

from doseguard.suggestions import closest, did_you_mean

INACTIVE_STATUSES: dict[str, str] = {
    "cancelled": "cancelled", "canceled": "cancelled", "voided": "cancelled",
    "entered in error": "entered-in-error",
    "completed": "completed", "complete": "completed", "ended": "completed", "expired": "completed",
    "stopped": "stopped", "discontinued": "stopped",
}  # fmt: skip
"""Spellings (lower case, words apart) of a status that ends an order, by the FHIR status they mean."""

CHECKED_STATUSES = frozenset({
    "active", "draft", "on hold", "held", "suspended", "pending", "ordered", "sent", "verified", "signed",
    "unverified", "new", "future", "unknown",
})  # fmt: skip
"""Spellings of a status under which the drug is, or may yet be, given (FHIR "unknown" included)."""

AMBIGUOUS_STATUSES = frozenset({"d/c", "dc", "dc'd", "dcd", "d/c'd", "d/cd"})
"""Discontinued or discharged (ISMP error-prone abbreviations): checked, never taken for stopped."""

_SEPARATORS = re.compile(r"[\s_-]+")


class Activity(Enum):
    CHECKED = "checked"
    INACTIVE = "inactive"


class StatusReading(NamedTuple):
    activity: Activity
    note: str | None  # the result's warning: why an order is not checked, or why a status was not taken


_CHECKED = StatusReading(Activity.CHECKED, None)


@lru_cache(maxsize=1024)
def order_activity(text: str) -> StatusReading:
    """Whether an order with this status is checked, and what its result says about it."""
    key = _SEPARATORS.sub(" ", text.strip().lower())
    if key in CHECKED_STATUSES:
        return _CHECKED
    meaning = INACTIVE_STATUSES.get(key)
    if meaning is not None:
        return StatusReading(
            Activity.INACTIVE,
            f"status: {text!r} ({meaning}): the order is no longer to be given, so it was not checked",
        )
    if key in AMBIGUOUS_STATUSES:
        return StatusReading(
            Activity.CHECKED,
            f"status: {text!r} may mean discharge or discontinue (an error-prone abbreviation), so the "
            "order was checked as if active; write 'discontinued' for an order that was stopped",
        )
    known = [*CHECKED_STATUSES, *INACTIVE_STATUSES]
    meant = closest(key, known, cutoff=0.75)
    return StatusReading(
        Activity.CHECKED,
        f"status: {text!r} is not a status doseguard knows, so the order was checked as if active"
        f"{did_you_mean(meant)} (not checked: {', '.join(sorted(set(INACTIVE_STATUSES.values())))})",
    )
