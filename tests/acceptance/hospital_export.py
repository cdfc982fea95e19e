"""A whole-hospital medication order export, as an Epic-like reporting extract writes it: one row per
order, every drug the hospital gives (half or more of them no pack covers), dose value and unit in two
columns, and B12 orders among them with known errors planted.

Deterministic: the same ``count`` and ``seed`` give the same rows, so a failure can be reproduced with
``python -m tests.acceptance.hospital_export export.csv --count 1500 --seed 10`` and read in a spreadsheet.
Each row comes with what a pharmacist expects of it (its ``kind`` and, for a planted error, the rule that
must catch it); the column map for ``doseguard check --columns`` is ``examples/epic-columns.yaml``.
"""

from __future__ import annotations

import argparse
import csv
import random
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

COLUMNS = (
    "ORDER_MED_ID", "PAT_MRN_ID", "MEDICATION_NAME", "HV_DISCRETE_DOSE", "DOSE_UNIT", "ADMIN_VOLUME",
    "ADMIN_ROUTE", "ADMIN_SITE", "FREQ_NAME", "DURATION", "ORDER_STATUS", "ORDERING_DATE",
    "AUTHRZING_PROV_ID", "PHARMACY_CLASS",
)  # fmt: skip
"""The export's header: the order's columns, then columns the map does not read."""


class Kind(StrEnum):
    B12_CORRECT = "b12 correct"  # a correct B12 order: pass, no finding at all
    B12_PLANTED = "b12 planted error"  # a wrong B12 order: flagged by ``rule``
    B12_UNREADABLE = "b12 unreadable"  # truly ambiguous ("biweekly"): invalid, as a pharmacist would say
    B12_INACTIVE = "b12 inactive"  # a wrong B12 order that was cancelled or stopped: inactive
    NOT_COVERED = "not covered"  # another drug (or an oral B12 product): not_covered, never invalid


@dataclass(frozen=True)
class ExportOrder:
    row: dict[str, str]
    kind: Kind
    rule: str | None = None  # the rule a planted error must raise

    @property
    def order_id(self) -> str:
        return self.row["ORDER_MED_ID"]


B12_NAMES = (
    "cyanocobalamin (VITAMIN B-12) 1,000 mcg/mL injection",
    "CYANOCOBALAMIN 1000 MCG/ML IJ SOLN",
    "cyanocobalamin 1,000 mcg/mL injection solution",
    "Cyanocobalamin Injection USP 1000 mcg/mL",
)
# (dose, unit, volume, frequency, duration): the label's steps, common practice, the BNF's course.
B12_REGIMENS = (
    ("1,000", "mcg", "1 mL", "DAILY", "7 Days"),
    ("1000", "mcg", "1 mL", "EVERY OTHER DAY", "2 Weeks"),
    ("1", "mg", "1 mL", "3 TIMES WEEKLY", "2 Weeks"),
    ("1000", "mcg", "1 mL", "WEEKLY", "4 Weeks"),
    ("1000", "mcg", "1 mL", "WEEKLY", "8 Weeks"),
    ("1000", "mcg", "1 mL", "EVERY 30 DAYS", "Indefinite"),
    ("1,000", "mcg", "1 mL", "MONTHLY", "Indefinite"),
    ("1000", "mcg", "1 mL", "EVERY 4 WEEKS", "12 Months"),
    ("100", "mcg", "0.1 mL", "DAILY", "7 Days"),
    ("100", "mcg", "0.1 mL", "EVERY OTHER DAY", "7 Doses"),
    ("100", "mcg", "0.1 mL", "MONTHLY", "Indefinite"),
)
B12_IM_SITES = (
    "",
    "",
    "Left Deltoid",
    "Right Deltoid",
    "Deltoid",
    "Left Vastus Lateralis",
    "Right Ventrogluteal",
)
ACTIVE_STATUSES = ("Active", "Active", "Active", "Sent", "Verified", "Pending")
INACTIVE_STATUSES = ("Discontinued", "Canceled", "Completed")

# (changes to a correct order, the rule that must catch it)
PLANTED_ERRORS: tuple[tuple[dict[str, str], str], ...] = (
    ({"HV_DISCRETE_DOSE": "1000", "DOSE_UNIT": "mg", "ADMIN_VOLUME": "1 mL"}, "B12-DOSE-IMPLAUSIBLE"),
    ({"ADMIN_ROUTE": "Intravenous", "ADMIN_SITE": ""}, "B12-ROUTE"),
    ({"ADMIN_ROUTE": "IV Push", "ADMIN_SITE": ""}, "B12-ROUTE"),
    ({"FREQ_NAME": "2 TIMES DAILY", "DURATION": "7 Days"}, "B12-FREQUENCY-TOO-OFTEN"),
    ({"FREQ_NAME": "DAILY", "DURATION": "Indefinite"}, "B12-REPLETION-TOO-LONG"),
    ({"FREQ_NAME": "EVERY OTHER DAY", "DURATION": "6 Months"}, "B12-REPLETION-TOO-LONG"),
    ({"FREQ_NAME": "WEEKLY", "DURATION": "Indefinite"}, "B12-WEEKLY-TOO-LONG"),
    ({"HV_DISCRETE_DOSE": "1000", "DOSE_UNIT": "mcg", "ADMIN_VOLUME": "0.1 mL"}, "B12-DOSE-VOLUME-MISMATCH"),
    (
        {"HV_DISCRETE_DOSE": "2,000", "DOSE_UNIT": "mcg", "ADMIN_VOLUME": "2 mL", "ADMIN_SITE": ""},
        "B12-DOSE-HIGH",
    ),
)
UNREADABLE: tuple[dict[str, str], ...] = (
    {"FREQ_NAME": "BIWEEKLY"},
    {"FREQ_NAME": "BIMONTHLY"},
    {"FREQ_NAME": "AS DIRECTED"},
    {"ADMIN_VOLUME": "1,5 mL"},
)

# (name, dose, unit, volume, route, frequency, duration, pharmacy class)
OTHER_DRUGS = (
    ("insulin glargine (LANTUS) injection 10 Units", "10", "Units", "", "Subcutaneous", "NIGHTLY", "", "INSULINS"),
    ("insulin lispro (HUMALOG) injection 0-10 Units", "", "Units", "", "Subcutaneous", "TID WITH MEALS", "", "INSULINS"),
    ("heparin (porcine) injection 5,000 Units", "5,000", "Units", "", "Subcutaneous", "EVERY 8 HOURS", "", "ANTICOAGULANTS"),
    ("heparin 25,000 units in dextrose 5% 250 mL infusion", "18", "Units/kg/hr", "", "Intravenous", "CONTINUOUS", "", "ANTICOAGULANTS"),
    # Enoxaparin has a pack of its own since issue 11: fondaparinux is the anticoagulant no pack covers.
    ("fondaparinux (ARIXTRA) injection 2.5 mg", "2.5", "mg", "0.5 mL", "Subcutaneous", "DAILY", "", "ANTICOAGULANTS"),
    ("cefTRIAXone (ROCEPHIN) 1 g in sodium chloride 0.9 % 50 mL IVPB", "1", "g", "50 mL", "Intravenous", "EVERY 24 HOURS", "7 Days", "CEPHALOSPORINS"),
    ("vancomycin (VANCOCIN) 1,250 mg in sodium chloride 0.9 % 250 mL IVPB", "1,250", "mg", "250 mL", "Intravenous", "EVERY 12 HOURS", "", "GLYCOPEPTIDES"),
    ("ondansetron (ZOFRAN) injection 4 mg", "4", "mg", "2 mL", "IV Push", "EVERY 6 HOURS PRN", "", "ANTIEMETICS"),
    ("acetaminophen (TYLENOL) tablet 650 mg", "650", "mg", "", "Oral", "EVERY 6 HOURS PRN", "", "ANALGESICS"),
    ("pantoprazole (PROTONIX) injection 40 mg", "40", "mg", "10 mL", "Intravenous", "DAILY BEFORE BREAKFAST", "", "PPIS"),
    ("potassium chloride (K-DUR,KLOR-CON) ER tablet 20 mEq", "20", "mEq", "", "Oral", "2 TIMES DAILY", "3 Days", "ELECTROLYTES"),
    ("furosemide (LASIX) injection 40 mg", "40", "mg", "4 mL", "IV Push", "2 TIMES DAILY", "", "DIURETICS"),
    ("metoprolol tartrate (LOPRESSOR) tablet 25 mg", "25", "mg", "", "Oral", "2 TIMES DAILY", "", "BETA BLOCKERS"),
    ("magnesium sulfate 2 g/50 mL IVPB", "2", "g", "50 mL", "Intravenous", "ONCE", "", "ELECTROLYTES"),
    ("sodium chloride 0.9 % infusion", "75", "mL/hr", "", "Intravenous", "CONTINUOUS", "", "IV FLUIDS"),
    ("morphine injection 2 mg", "2", "mg", "1 mL", "Intravenous", "EVERY 2 HOURS PRN", "", "OPIOIDS"),
    ("vancomycin 15 mg/kg IVPB", "15", "mg/kg", "", "Intravenous", "EVERY 12 HOURS", "", "GLYCOPEPTIDES"),
    ("ascorbic acid (VITAMIN C) tablet 500 mg", "500", "mg", "", "Oral", "DAILY", "", "VITAMINS"),
    ("thiamine (VITAMIN B-1) injection 100 mg", "100", "mg", "1 mL", "Intravenous", "DAILY", "3 Days", "VITAMINS"),
    ("pyridoxine (VITAMIN B-6) tablet 50 mg", "50", "mg", "", "Oral", "DAILY", "", "VITAMINS"),
    ("cholecalciferol (VITAMIN D3) capsule 50,000 Units", "50,000", "Units", "", "Oral", "WEEKLY", "8 Weeks", "VITAMINS"),
    ("multivitamin with minerals (THERAGRAN-M) tablet", "1", "tablet", "", "Oral", "DAILY", "", "VITAMINS"),
    ("cyanocobalamin (VITAMIN B-12) tablet 1,000 mcg", "1,000", "mcg", "", "Oral", "DAILY", "", "VITAMINS"),
    ("methylcobalamin tablet 1,000 mcg", "1,000", "mcg", "", "Oral", "DAILY", "", "VITAMINS"),
    ("albuterol (PROVENTIL) nebulizer solution 2.5 mg", "2.5", "mg", "3 mL", "Nebulization", "EVERY 4 HOURS PRN", "", "BRONCHODILATORS"),
    ("lorazepam (ATIVAN) injection 1 mg", "1", "mg", "0.5 mL", "IV Push", "EVERY 6 HOURS PRN", "", "BENZODIAZEPINES"),
    ("piperacillin-tazobactam (ZOSYN) 4.5 g IVPB", "4.5", "g", "100 mL", "Intravenous", "EVERY 6 HOURS", "7 Days", "PENICILLINS"),
    ("dexamethasone (DECADRON) injection 4 mg", "4", "mg", "1 mL", "Intravenous", "EVERY 6 HOURS", "", "CORTICOSTEROIDS"),
    ("ketorolac (TORADOL) injection 15 mg", "15", "mg", "1 mL", "Intramuscular", "ONCE", "", "NSAIDS"),
    ("medroxyprogesterone (DEPO-PROVERA) injection 150 mg", "150", "mg", "1 mL", "Intramuscular", "EVERY 3 MONTHS", "", "CONTRACEPTIVES"),
)  # fmt: skip


def hospital_export(count: int = 1200, seed: int = 10, other_share: float = 0.55) -> list[ExportOrder]:
    """``count`` orders, ``other_share`` of them for drugs no pack covers, the rest B12 orders: 70%
    correct, 18% with a planted error, 6% cancelled or stopped, 6% truly ambiguous."""
    rng = random.Random(seed)
    orders = []
    for number in range(1, count + 1):
        if rng.random() < other_share:
            order = _other(rng)
        else:
            draw = rng.random()
            if draw < 0.70:
                order = ExportOrder(_b12(rng), Kind.B12_CORRECT)
            elif draw < 0.88:
                changes, rule = rng.choice(PLANTED_ERRORS)
                order = ExportOrder({**_b12(rng, intramuscular=True), **changes}, Kind.B12_PLANTED, rule)
            elif draw < 0.94:
                changes = {"FREQ_NAME": "DAILY", "DURATION": "Indefinite"}  # wrong, but no longer to be given
                row = {**_b12(rng), **changes, "ORDER_STATUS": rng.choice(INACTIVE_STATUSES)}
                order = ExportOrder(row, Kind.B12_INACTIVE)
            else:
                order = ExportOrder({**_b12(rng), **rng.choice(UNREADABLE)}, Kind.B12_UNREADABLE)
        row = {
            **order.row,
            "ORDER_MED_ID": str(400_000_000 + number * 7),
            "PAT_MRN_ID": f"E{rng.randrange(1_000_000, 9_999_999)}",
            "ORDERING_DATE": f"11/{rng.randint(1, 30):02d}/2026 {rng.randint(0, 23):02d}:{rng.choice(('00', '15', '30', '45'))}",
            "AUTHRZING_PROV_ID": f"E{rng.randint(1000, 9999)}",
        }
        orders.append(
            ExportOrder({column: row.get(column, "") for column in COLUMNS}, order.kind, order.rule)
        )
    return orders


def _b12(rng: random.Random, *, intramuscular: bool = False) -> dict[str, str]:
    dose, unit, volume, frequency, duration = rng.choice(B12_REGIMENS)
    route = "Intramuscular" if intramuscular or rng.random() < 0.85 else "Subcutaneous"
    site = rng.choice(B12_IM_SITES) if route == "Intramuscular" else rng.choice(("", "Abdomen"))
    return {
        "MEDICATION_NAME": rng.choice(B12_NAMES), "HV_DISCRETE_DOSE": dose, "DOSE_UNIT": unit,
        "ADMIN_VOLUME": volume, "ADMIN_ROUTE": route, "ADMIN_SITE": site, "FREQ_NAME": frequency,
        "DURATION": duration, "ORDER_STATUS": rng.choice(ACTIVE_STATUSES), "PHARMACY_CLASS": "VITAMINS",
    }  # fmt: skip


def _other(rng: random.Random) -> ExportOrder:
    name, dose, unit, volume, route, frequency, duration, pharmacy_class = rng.choice(OTHER_DRUGS)
    status = rng.choice(ACTIVE_STATUSES)  # an inactive order of another drug would be two things at once
    row = {
        "MEDICATION_NAME": name, "HV_DISCRETE_DOSE": dose, "DOSE_UNIT": unit, "ADMIN_VOLUME": volume,
        "ADMIN_ROUTE": route, "FREQ_NAME": frequency, "DURATION": duration, "ORDER_STATUS": status,
        "PHARMACY_CLASS": pharmacy_class,
    }  # fmt: skip
    return ExportOrder(row, Kind.NOT_COVERED)


def write_export(path: Path, orders: Sequence[ExportOrder]) -> Path:
    """The export as a CSV file (CRLF line ends, as reporting tools write them)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(order.row for order in orders)
    return path


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write an Epic-like whole-hospital order export.")
    parser.add_argument("output", type=Path)
    parser.add_argument("--count", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=10)
    arguments = parser.parse_args(argv)
    write_export(arguments.output, hospital_export(arguments.count, arguments.seed))


if __name__ == "__main__":  # pragma: no cover - a tool for a person
    main()
