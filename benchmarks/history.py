"""A deterministic history workload: orders with ``ordered_at``, the MAR around them and lab results.

For ``n`` orders it writes, into one folder the way ``doseguard check --history DIR`` reads it:

* ``orders.jsonl``: ``n`` B12 orders of the realistic mix (``generate.realistic``: standard sentences,
  about 10% defective), for ``3n/10`` patients, each with an ``ordered_at`` in 2026;
* ``administrations.csv`` (``patient_id,drug,dose,route,given_at,status``): 3 doses per order, given
  before it at the order's own interval (about 3% missed, 1% refused), so ``3n`` rows;
* ``labs.csv`` (``patient_id,test,value,unit,taken_at``): 2 results per order, from haemoglobin, MCV,
  reticulocytes and potassium, in the days around the first of those doses, so ``2n`` rows.

At ``n = 1,000,000``: 300,000 patients, 3,000,000 administrations, 2,000,000 lab results. The same ``n``
gives the same bytes (a fixed seed); rows are in order of the orders, so a patient's rows are spread
over the files (the store groups them).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from generate import realistic

ADMINISTRATIONS_PER_ORDER = 3
LABS_PER_ORDER = 2
PATIENTS_PER_ORDER = 0.3
START = datetime(2026, 1, 1, tzinfo=UTC)
INTERVAL_DAYS = {
    "daily": 1,
    "every other day": 2,
    "three times a week": 2,
    "weekly": 7,
    "monthly": 30,
    "every 3 months": 90,
}
LAB_TESTS = (
    # test, unit, low, high (a spread that gives both normal and abnormal results)
    ("haemoglobin", "g/dL", 6.5, 15.5),
    ("mcv", "fL", 78.0, 125.0),
    ("reticulocytes", "%", 0.3, 4.5),
    ("potassium", "mmol/L", 2.9, 5.6),
)
ADMINISTRATION_HEADER = "patient_id,drug,dose,route,given_at,status\n"
LAB_HEADER = "patient_id,test,value,unit,taken_at\n"


@dataclass(frozen=True)
class HistoryFiles:
    folder: Path
    orders: Path
    administrations: Path
    labs: Path
    patients: int


def patient_count(orders: int) -> int:
    return max(1, round(orders * PATIENTS_PER_ORDER))


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_history(folder: Path, orders: int, seed: int = 11) -> HistoryFiles:
    """Write the three files for ``orders`` orders into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    patients = patient_count(orders)
    files = HistoryFiles(
        folder, folder / "orders.jsonl", folder / "administrations.csv", folder / "labs.csv", patients
    )
    with (
        files.orders.open("w", encoding="utf-8") as order_out,
        files.administrations.open("w", encoding="utf-8") as mar,
        files.labs.open("w", encoding="utf-8") as labs,
    ):
        mar.write(ADMINISTRATION_HEADER)
        labs.write(LAB_HEADER)
        for index, order in enumerate(realistic(orders)):
            patient = f"PT-{index % patients:07d}"
            order["patient_id"] = patient
            at = START + timedelta(days=rng.randrange(300), minutes=rng.randrange(24 * 60))
            order["ordered_at"] = _stamp(at)
            order_out.write(json.dumps(order, separators=(",", ":")) + "\n")
            interval = INTERVAL_DAYS.get(str(order.get("frequency")), 7)
            dose = "1000 mcg" if rng.random() < 0.9 else "100 mcg"
            first = at
            for number in range(ADMINISTRATIONS_PER_ORDER, 0, -1):
                given = at - timedelta(days=number * interval, hours=rng.randrange(6))
                first = min(first, given)
                roll = rng.random()
                status = "missed" if roll < 0.03 else "refused" if roll < 0.04 else "given"
                mar.write(f"{patient},cyanocobalamin,{dose},IM,{_stamp(given)},{status}\n")
            for _ in range(LABS_PER_ORDER):
                test, unit, low, high = rng.choice(LAB_TESTS)
                taken = first + timedelta(days=rng.randrange(-3, 12), hours=rng.randrange(24))
                labs.write(f"{patient},{test},{rng.uniform(low, high):.1f},{unit},{_stamp(min(taken, at))}\n")
    return files


if __name__ == "__main__":
    import sys

    made = write_history(Path(sys.argv[2]), int(sys.argv[1]))
    print(made)
