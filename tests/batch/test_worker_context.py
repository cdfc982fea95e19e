"""Workers give each record its patient's context from the run's history store, and the line cache
is off then; without a store nothing changes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from doseguard.batch.worker import ChunkChecker, open_store
from doseguard.io.chunks import Chunk
from doseguard.io.history_store import HistoryStore, write_store
from doseguard.patients.model import Administration, HistoryKind, PatientContext
from doseguard.rules.loader import load_rules
from tests.helpers.bundled import SeenChecker
from tests.helpers.orders import standard_order

GIVEN = Administration("cyanocobalamin", datetime(2026, 2, 1, tzinfo=UTC), source="mar.csv:2")
KINDS = frozenset({HistoryKind.PATIENT, HistoryKind.ADMINISTRATIONS})


def _store(tmp_path: Path) -> HistoryStore:
    path = tmp_path / "h.sqlite"
    write_store(path, KINDS, [("P1", {"allergies": "cobalt"}), ("P1", GIVEN)])
    return HistoryStore(path)


def _lines(*records: dict[str, object]) -> Chunk:
    return Chunk("lines", "o.jsonl", 1, [json.dumps(r).encode() for r in records])


def test_each_record_gets_its_own_patients_context(tmp_path: Path) -> None:
    checker = SeenChecker()
    chunk = _lines(standard_order("O1", "P1"), standard_order("O2", "P2"), standard_order("O3", "P1"))
    ChunkChecker(checker, "jsonl", history=_store(tmp_path)).process(chunk)
    contexts = [item.context for item in checker.seen]
    assert contexts[0] == contexts[2] == PatientContext("P1", KINDS, {"allergies": "cobalt"}, (GIVEN,))
    assert contexts[1] == PatientContext("P2", KINDS)


def test_the_line_cache_is_off_with_a_history_store(tmp_path: Path) -> None:
    checker = SeenChecker()
    same = [standard_order(f"O{n}", "P1") for n in range(4)]
    with_history = ChunkChecker(checker, "jsonl", history=_store(tmp_path))
    assert with_history.lines is None
    with_history.process(_lines(*same))
    with_history.process(_lines(*same))
    assert len(checker.seen) == 8 and all(item.context is not None for item in checker.seen)


def test_without_a_store_records_have_no_context_and_the_line_cache_is_on() -> None:
    checker = SeenChecker()
    plain = ChunkChecker(checker, "jsonl")
    assert plain.lines is not None
    plain.process(_lines(standard_order("O1", "P1"), {"order_id": "O2"}))
    assert [item.context for item in checker.seen] == [None, None]


def test_an_unreadable_record_gets_no_context(tmp_path: Path) -> None:
    checker = SeenChecker()
    chunk = Chunk("lines", "o.jsonl", 1, [b"not json", json.dumps({"order_id": "O"}).encode()])
    ChunkChecker(checker, "jsonl", history=_store(tmp_path)).process(chunk)
    assert [item.context for item in checker.seen] == [None, None]


def test_a_worker_reads_only_the_kinds_its_rules_aggregate(tmp_path: Path) -> None:
    """The bundled packs declare no aggregate of administrations: records get the patient's fields,
    no history, so their outcomes can be shared (the checker bypasses its cache for history)."""
    write_store(tmp_path / "h.sqlite", KINDS, [("P1", {"allergies": "cobalt"}), ("P1", GIVEN)])
    checker = SeenChecker()
    store = open_store(str(tmp_path / "h.sqlite"), checker.rules)
    ChunkChecker(checker, "jsonl", history=store).process(_lines(standard_order("O1", "P1")))
    (context,) = [item.context for item in checker.seen]
    needs = {a.kind for a in checker.rules.aggregates.values()}
    assert context is not None and context.fields == {"allergies": "cobalt"}
    assert context.administrations == ((GIVEN,) if HistoryKind.ADMINISTRATIONS in needs else ())
    assert context.kinds == KINDS & (needs | {HistoryKind.PATIENT})


def test_a_store_with_nothing_the_rules_read_is_not_opened_and_the_line_cache_stays_on(
    tmp_path: Path,
) -> None:
    """A run given only the MAR, whose rules aggregate none of it: records are checked as without a
    store (no patient has fields, no rule reads what it holds), the line cache answering repeats."""
    write_store(tmp_path / "h.sqlite", frozenset({HistoryKind.ADMINISTRATIONS}), [("P1", GIVEN)])
    rules = load_rules([Path(__file__).parents[2] / "rules" / "hydroxocobalamin"])
    assert not any(a.kind is HistoryKind.ADMINISTRATIONS for a in rules.aggregates.values())
    assert open_store(str(tmp_path / "h.sqlite"), rules) is None
    write_store(tmp_path / "p.sqlite", KINDS, [("P1", {"allergies": "cobalt"})])
    assert open_store(str(tmp_path / "p.sqlite"), rules) is not None
