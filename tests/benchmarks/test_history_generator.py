"""The history benchmark's generator: the shape the issue asks for (3 administrations and 2 lab results
an order, 3 orders in 10 a patient), the same bytes for the same size, and files that ``--history DIR``
reads without a single bad row (a generator writing rows the store refuses would measure nothing).
Nothing here is timed."""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from datetime import datetime
from pathlib import Path

from doseguard.errors import HistoryProblem
from doseguard.io.history import HistorySources, read_history
from doseguard.orders.drugs import PackDrug
from doseguard.patients.model import Administration, LabResult

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import history  # benchmarks/ is not a package: found on its path

ORDERS = 2_000


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_files_have_the_sizes_and_columns_the_issue_asks_for(tmp_path: Path) -> None:
    files = history.write_history(tmp_path, ORDERS)
    orders = [json.loads(line) for line in files.orders.read_text(encoding="utf-8").splitlines()]
    with files.administrations.open(encoding="utf-8") as mar_file:
        mar = list(csv.DictReader(mar_file))
    with files.labs.open(encoding="utf-8") as lab_file:
        labs = list(csv.DictReader(lab_file))
    assert len(orders) == ORDERS
    assert len(mar) == 3 * ORDERS and len(labs) == 2 * ORDERS
    assert list(mar[0]) == ["patient_id", "drug", "dose", "route", "given_at", "status"]
    assert list(labs[0]) == ["patient_id", "test", "value", "unit", "taken_at"]
    assert len({order["patient_id"] for order in orders}) == files.patients == 600
    assert {row["test"] for row in labs} == {"haemoglobin", "mcv", "reticulocytes", "potassium"}
    assert {row["status"] for row in mar} == {"given", "missed", "refused"}
    assert sum(row["status"] == "given" for row in mar) > 0.9 * len(mar)
    assert all(order["drug"] == "cyanocobalamin" and "ordered_at" in order for order in orders)
    # the realistic mix: one order in ten has one of ten defects; five of them are counted here (5%)
    assert 0.03 < sum(order.get("volume") == "2 mL" or order.get("route") == "IV" or "allergies" in order
                      or order.get("dose") in ("1000 mg", "one thousand") for order in orders) / ORDERS < 0.07  # fmt: skip


def test_the_mar_is_before_each_order_and_the_labs_never_after_it(tmp_path: Path) -> None:
    files = history.write_history(tmp_path, 300)
    orders = [json.loads(line) for line in files.orders.read_text(encoding="utf-8").splitlines()]
    with files.administrations.open(encoding="utf-8") as mar_file:
        mar = list(csv.DictReader(mar_file))
    with files.labs.open(encoding="utf-8") as lab_file:
        labs = list(csv.DictReader(lab_file))
    for number, order in enumerate(orders):
        at = datetime.fromisoformat(order["ordered_at"])
        doses = mar[3 * number : 3 * number + 3]
        results = labs[2 * number : 2 * number + 2]
        assert all(row["patient_id"] == order["patient_id"] for row in doses + results)
        assert all(datetime.fromisoformat(row["given_at"]) < at for row in doses)
        assert all(datetime.fromisoformat(row["taken_at"]) <= at for row in results)


def test_the_same_size_gives_the_same_bytes_and_another_seed_other_bytes(tmp_path: Path) -> None:
    one = history.write_history(tmp_path / "one", ORDERS)
    two = history.write_history(tmp_path / "two", ORDERS)
    other = history.write_history(tmp_path / "other", ORDERS, seed=12)
    for name in ("orders", "administrations", "labs"):
        assert digest(getattr(one, name)) == digest(getattr(two, name)), name
    assert digest(one.administrations) != digest(other.administrations)


def test_every_row_is_read_by_the_history_reader_as_an_item(tmp_path: Path) -> None:
    files = history.write_history(tmp_path, 500)
    items = list(read_history(HistorySources(history=str(files.folder)), (PackDrug("cyanocobalamin"),)))
    problems = [item for item in items if isinstance(item, HistoryProblem)]
    assert problems == []
    assert sum(isinstance(item, tuple) and isinstance(item[1], Administration) for item in items) == 1_500
    assert sum(isinstance(item, tuple) and isinstance(item[1], LabResult) for item in items) == 1_000
