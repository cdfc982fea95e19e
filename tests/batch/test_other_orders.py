"""The batch's own orders as history: the pre-pass reads each order as an other order of its patient,
workers attach them (kind ORDERS), an order never counts itself, and one worker or two agree."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from doseguard.batch.other_orders import (
    OtherOrderReader,
    needs_other_orders,
    other_order_items,
    spool_streams,
)
from doseguard.batch.runner import BatchOptions, run_batch
from doseguard.batch.worker import ChunkChecker
from doseguard.checker import Checker
from doseguard.io.chunk_reader import ChunkReader
from doseguard.io.chunks import Chunk
from doseguard.io.history_store import HistoryStore, write_store
from doseguard.io.writers import make_sink
from doseguard.orders.model import Order
from doseguard.patients.aggregates import AggregateComputer
from doseguard.patients.model import HistoryKind, OtherOrder
from doseguard.results import Summary
from doseguard.rules.loader import load_rules
from doseguard.rules.source import RuleSource
from tests.helpers import history_pack
from tests.helpers.bundled import SeenChecker, bundled_checker
from tests.helpers.history_pack import pack
from tests.helpers.orders import standard_order
from tests.helpers.orders_pack import ORDERS_PACK, ORDERS_RULES

AT = "2026-03-01T09:00:00Z"
KINDS = frozenset({HistoryKind.ORDERS})


def _orders_pack(tmp_path: Path) -> Path:
    return pack(tmp_path / "b12", ORDERS_PACK, ORDERS_RULES)


def _reader() -> OtherOrderReader:
    return OtherOrderReader(bundled_checker().rules.drugs)


def _lines(*records: dict[str, Any] | str, first: int = 1) -> Chunk:
    raw = [r.encode() if isinstance(r, str) else json.dumps(r).encode() for r in records]
    return Chunk("lines", "o.jsonl", first, raw)


def _store(tmp_path: Path, *chunks: Chunk) -> HistoryStore:
    path = tmp_path / "h.sqlite"
    write_store(path, KINDS, other_order_items(chunks, _reader()))
    return HistoryStore(path)


def test_the_pre_pass_runs_only_for_rules_that_count_other_orders(tmp_path: Path) -> None:
    assert needs_other_orders(load_rules([_orders_pack(tmp_path)]).aggregates.values())
    assert not needs_other_orders(load_rules([history_pack.pack(tmp_path / "labs")]).aggregates.values())


def test_an_order_is_read_as_the_normaliser_names_its_drug_route_and_status() -> None:
    read = _reader().read
    assert read(standard_order("O1", "P1", drug="Vitamin B12 injection", ordered_at=AT), 7) == (
        "P1",
        OtherOrder("cyanocobalamin", "IM", "injection", True, 7, datetime(2026, 3, 1, 9, tzinfo=UTC)),
    )
    stopped = read(standard_order("O2", "P1", status="discontinued", route="by mouth"), 8)
    assert stopped == ("P1", OtherOrder("cyanocobalamin", "PO", None, False, 8, None))


@pytest.mark.parametrize(
    "record",
    [
        standard_order("O1", "P1", ordered_at="last tuesday"),
        standard_order("O1", "P1", route="up the nose sideways"),
        standard_order("O1", "P1", drug=42),
        standard_order("O1", "P1", drug=["cyanocobalamin"]),  # no text (and no key to remember it by)
        {"order_id": "O1", "drug": "cyanocobalamin"},  # no patient
        ["not", "a", "record"],
    ],
)
def test_a_record_that_cannot_be_read_for_this_is_not_an_other_order(record: Any) -> None:
    assert _reader().read(record, 1) is None


def test_an_otherwise_invalid_order_of_the_drug_still_counts() -> None:
    found = _reader().read(standard_order("O1", "P1", dose="lots"), 3)
    assert found is not None and found[1].record == 3


def test_orders_of_drugs_no_orders_aggregate_names_are_not_stored(tmp_path: Path) -> None:
    rules = load_rules([_orders_pack(tmp_path)])
    reader = OtherOrderReader(rules.drugs, rules.aggregates.values())
    assert reader.wanted == frozenset({"cyanocobalamin"})
    assert reader.read(standard_order("O1", "P1", drug="paracetamol"), 1) is None
    assert reader.read(standard_order("O2", "P1"), 2) is not None


def test_records_are_numbered_as_the_checker_numbers_them_blank_and_bad_lines_included() -> None:
    chunk = _lines(standard_order("O1", "P1"), "", "not json", standard_order("O2", "P1"), first=11)
    items = list(other_order_items([chunk], _reader()))
    # the blank line is no record; "not json" is record 12 (invalid): O2 is record 13
    assert [(patient, order.record) for patient, order in items] == [("P1", 11), ("P1", 13)]  # type: ignore[union-attr]


def test_each_order_sees_the_other_never_itself_and_another_patient_sees_neither(tmp_path: Path) -> None:
    chunk = _lines(
        standard_order("O1", "P1", ordered_at="2026-03-01T08:00:00Z"),
        standard_order("O2", "P2", ordered_at="2026-03-01T08:30:00Z"),
        standard_order("O3", "P1", route="PO", ordered_at="2026-03-01T09:00:00Z"),
    )
    checker = SeenChecker()
    ChunkChecker(checker, "jsonl", history=_store(tmp_path, chunk)).process(chunk)
    contexts = [item.context for item in checker.seen]
    assert all(c is not None and HistoryKind.ORDERS in c.kinds for c in contexts)
    first, second, third = contexts
    assert first is not None and second is not None and third is not None
    assert first == third
    assert [(o.record, o.route) for o in first.orders] == [(1, "IM"), (3, "PO")]  # in input order
    assert [o.record for o in second.orders] == [2]
    count = AggregateComputer(load_rules([_orders_pack(tmp_path)]).aggregates.values())
    counted = [
        count(Order(f"O{n}", "P", {}, ordered_at=datetime(2026, 3, 1, 10, tzinfo=UTC)), context, n)
        for n, context in enumerate(contexts, start=1)
    ]
    assert counted == [
        {"other_active_orders": 1.0},
        {"other_active_orders": 0.0},
        {"other_active_orders": 1.0},
    ]


def test_the_store_keeps_the_orders_in_input_order_across_chunks(tmp_path: Path) -> None:
    chunks = [_lines(standard_order(f"O{n}", "P1"), first=n) for n in (1, 2, 3)]
    store = _store(tmp_path, *chunks)
    assert [o.record for o in store.context("P1").orders] == [1, 2, 3]


def _run(tmp_path: Path, jobs: int, orders: Path, rules: Path) -> bytes:
    source = RuleSource((str(rules),))
    rule_set = source.load()
    store = tmp_path / f"h-{jobs}.sqlite"
    reader = OtherOrderReader(rule_set.drugs, rule_set.aggregates.values())
    write_store(store, KINDS, other_order_items(ChunkReader([str(orders)], chunk_records=1), reader))
    out = io.BytesIO()
    options = BatchOptions(source, "jsonl", jobs=jobs, rules_version=rule_set.version, history=str(store))
    run_batch(ChunkReader([str(orders)], chunk_records=1), make_sink("jsonl", out), options, Summary())
    return out.getvalue()


def test_one_worker_and_two_give_the_same_bytes(tmp_path: Path) -> None:
    orders = tmp_path / "orders.jsonl"
    records = [standard_order(f"O{n}", f"P{n % 3}", ordered_at=f"2026-03-0{1 + n % 5}T09:00:00Z")
               for n in range(12)]  # fmt: skip
    orders.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    rules = _orders_pack(tmp_path)
    one, two = _run(tmp_path, 1, orders, rules), _run(tmp_path, 2, orders, rules)
    assert one == two
    assert len(one.splitlines()) == 12


def test_stdin_is_spooled_into_the_run_folder_and_files_are_read_where_they_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class _Stdin:
        buffer = io.BytesIO(b'{"order_id": "O1"}\n')

    monkeypatch.setattr("sys.stdin", _Stdin())
    named = tmp_path / "orders.jsonl"
    named.write_text("{}\n", encoding="utf-8")
    spooled = spool_streams(["-", str(named)], tmp_path)
    assert list(spooled) == ["-"]
    assert spooled["-"].parent == tmp_path
    assert spooled["-"].read_bytes() == b'{"order_id": "O1"}\n'
    chunks = list(ChunkReader(["-"], spooled=spooled))
    assert [c.name for c in chunks] == ["<stdin>"]


def test_a_spooled_input_is_read_twice_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class _Stdin:
        buffer = io.BytesIO(json.dumps(standard_order("O1", "P1")).encode() + b"\n")

    monkeypatch.setattr("sys.stdin", _Stdin())
    spooled = spool_streams(["-"], tmp_path)
    first = [c.items for c in ChunkReader(["-"], spooled=spooled)]
    second = [c.items for c in ChunkReader(["-"], spooled=spooled)]
    assert first == second and first


def test_a_sentence_is_read_once_and_each_record_keeps_its_own_number_and_time() -> None:
    reader = _reader()
    first = reader.read(standard_order("O1", "P1", ordered_at="2026-03-01"), 1)
    again = reader.read(standard_order("O2", "P2", ordered_at="2026-03-02"), 2)
    assert len(reader._known) == 1
    assert first is not None and again is not None
    assert (again[0], again[1].record, again[1].ordered_at) == ("P2", 2, datetime(2026, 3, 2, tzinfo=UTC))
    assert reader.read(standard_order("O3", "P2", ordered_at="never"), 3) is None


def test_records_not_consecutive_are_numbered_each_by_its_own_and_never_count_themselves(
    tmp_path: Path,
) -> None:
    """A Spark task's records, after the shuffle by patient: records 5 and 9 of the run, together."""
    orders = [standard_order("O5", "P1", ordered_at=AT), standard_order("O9", "P1", ordered_at=AT)]
    store = tmp_path / "h.sqlite"
    reader = OtherOrderReader(bundled_checker().rules.drugs)
    write_store(store, KINDS, [reader.read(order, n) for order, n in zip(orders, (5, 9), strict=True)])  # type: ignore[misc]
    rule_set = load_rules([_orders_pack(tmp_path)])

    items = [(f"o.jsonl:{n}", json.dumps(order).encode()) for order, n in zip(orders, (5, 9), strict=True)]
    chunk = Chunk("objects", "o.jsonl", 1, items, format="json", numbers=(5, 9))
    done = ChunkChecker(Checker(rule_set), "jsonl", history=HistoryStore(store)).process(chunk)
    lines = [json.loads(line) for line in done.outputs()]
    assert [line["record"] for line in lines] == [5, 9]
    assert [[f["message"] for f in line["findings"]] for line in lines] == [
        ["1 other active B12 orders"],
        ["1 other active B12 orders"],
    ]


def test_an_order_whose_rxnorm_is_a_number_counts_as_an_other_order(tmp_path: Path) -> None:
    """A Parquet column of RxNorm codes is an integer column: the order reads ``309594`` as its
    code, and so must the pre-pass, or a duplicate passes unseen."""
    second = {**standard_order("O2", "P1", ordered_at=AT), "rxnorm": 309594}
    chunk = _lines(standard_order("O1", "P1", ordered_at=AT), second)
    done = ChunkChecker(Checker(load_rules([_orders_pack(tmp_path)])), "jsonl",
                        history=_store(tmp_path, chunk)).process(chunk)  # fmt: skip
    assert [json.loads(line)["status"] for line in done.outputs()] == ["flagged", "flagged"]
