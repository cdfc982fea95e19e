"""``doseguard check`` with rules that count the patient's other orders: the batch's own orders are
history (duplicate therapy) with --other-orders (by default when the run is given history files), read
from a file or from stdin (spooled: it cannot be read twice).

These need the checker to compute aggregates (issue 11's checker integration)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers.cli import invoke, jsonl, results
from tests.helpers.history_pack import pack
from tests.helpers.orders import standard_order
from tests.helpers.orders_pack import ORDERS_PACK, ORDERS_RULES

AT = "2026-03-01T09:00:00Z"


def _orders(tmp_path: Path) -> Path:
    return jsonl(
        tmp_path,
        standard_order("O1", "PT-1", ordered_at=AT),
        standard_order("O2", "PT-2", ordered_at=AT),
        standard_order("O3", "PT-1", route="PO", ordered_at=AT),
    )


def _flagged(stdout: str) -> dict[str, list[str]]:
    return {r["order_id"]: [f["rule_id"] for f in r["findings"]] for r in results(stdout)}


def test_two_orders_of_one_patient_each_see_the_other_and_another_patient_neither(tmp_path: Path) -> None:
    rules = pack(tmp_path / "b12", ORDERS_PACK, ORDERS_RULES)
    done = invoke(
        "check",
        _orders(tmp_path),
        "--rules",
        rules,
        "--other-orders",
        "--format",
        "jsonl",
        "--fail-on",
        "never",
    )
    assert done.exit_code == 0, done.stderr
    flagged = _flagged(done.stdout)
    assert list(flagged) == ["O1", "O2", "O3"]
    assert "B12-DUPLICATE" in flagged["O1"] and "B12-DUPLICATE" in flagged["O3"]
    assert "B12-DUPLICATE" not in flagged["O2"]


def test_orders_from_stdin_are_read_twice_from_a_copy(tmp_path: Path) -> None:
    rules = pack(tmp_path / "b12", ORDERS_PACK, ORDERS_RULES)
    piped = _orders(tmp_path).read_bytes()
    done = invoke(
        "check",
        "-",
        "--rules",
        rules,
        "--other-orders",
        "--format",
        "jsonl",
        "--fail-on",
        "never",
        stdin=piped,
    )
    assert done.exit_code == 0, done.stderr
    assert [r["source"] for r in results(done.stdout)] == ["<stdin>:1", "<stdin>:2", "<stdin>:3"]
    assert "B12-DUPLICATE" in _flagged(done.stdout)["O1"]


def test_one_job_and_two_agree(tmp_path: Path) -> None:
    rules = pack(tmp_path / "b12", ORDERS_PACK, ORDERS_RULES)
    orders = _orders(tmp_path)
    outputs = [
        invoke(
            "check",
            orders,
            "--rules",
            rules,
            "--other-orders",
            "--format",
            "jsonl",
            "--fail-on",
            "never",
            "--jobs",
            jobs,
        )
        for jobs in ("1", "2")
    ]
    assert outputs[0].stdout == outputs[1].stdout
    assert json.loads(outputs[0].stdout.splitlines()[0])["order_id"] == "O1"


def test_without_history_or_other_orders_the_batch_is_read_once_and_the_rule_is_listed(
    tmp_path: Path,
) -> None:
    rules = pack(tmp_path / "b12", ORDERS_PACK, ORDERS_RULES)
    done = invoke("check", _orders(tmp_path), "--rules", rules, "--format", "jsonl", "--fail-on", "never")
    assert done.exit_code == 0, done.stderr
    lines = results(done.stdout)
    assert [line.get("not_evaluated") for line in lines] == [["B12-DUPLICATE"]] * 3
    assert "B12-DUPLICATE (3 orders)" in done.stderr and "--other-orders" in done.stderr


def test_a_run_given_history_files_reads_the_batchs_other_orders_too(tmp_path: Path) -> None:
    rules = pack(tmp_path / "b12", ORDERS_PACK, ORDERS_RULES)
    labs = tmp_path / "labs.csv"
    labs.write_text("patient_id,test,value,unit,taken_at\n", encoding="utf-8")
    done = invoke("check", _orders(tmp_path), "--rules", rules, "--labs", labs, "--fail-on", "never")
    assert done.exit_code == 0, done.stderr
    assert "B12-DUPLICATE" in _flagged(done.stdout)["O1"]
    off = invoke("check", _orders(tmp_path), "--rules", rules, "--labs", labs, "--no-other-orders")
    assert "B12-DUPLICATE" not in _flagged(off.stdout)["O1"]


def test_b12_tablets_beside_the_injections_in_one_batch_are_duplicate_therapy(tmp_path: Path) -> None:
    """The oral tablet is no form the bundled packs cover (its own result is not_covered), yet it is
    cyanocobalamin: as another order it is that drug, in the form its name says."""
    injection = standard_order("X1", "D1", ordered_at=AT)
    tablet = {"order_id": "X2", "patient_id": "D1", "drug": "cyanocobalamin 1000 mcg tablet", "route": "oral",
              "dose": "1000 mcg", "frequency": "daily", "status": "active", "ordered_at": "2026-02-20T09:00:00Z"}  # fmt: skip
    done = invoke("check", jsonl(tmp_path, injection, tablet), "--other-orders", "--fail-on", "never")
    assert done.exit_code == 0, done.stderr
    assert "B12-DUPLICATE-THERAPY" in _flagged(done.stdout)["X1"]
