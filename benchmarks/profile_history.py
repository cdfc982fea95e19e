"""The workers' part of a history run, in one process: each record given its patient's context from
the store, then ``Checker.check_many``, timed or profiled (issue 11's speed work).

The store is built once as ``check --history DIR`` builds it (the history files, then the orders as
each other's history), into ``--workdir``; the orders are read into records beforehand, so only what a
worker does per record is measured. Prints µs an order (best of ``--repeat``), or a cProfile listing.

Usage: ``PYTHONPATH=src .venv/bin/python benchmarks/profile_history.py ORDERS HISTORY_DIR
[--orders N] [--repeat R] [--profile] [--once] [--workdir DIR]``.

``--once`` runs the workers' part once and prints nothing: for an instruction count that a shared
machine's load does not move, ``valgrind --tool=callgrind`` it at two ``--orders`` (the store built
beforehand in ``--workdir``) and divide the difference by the orders between them.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import pstats
import tempfile
import time
from pathlib import Path

from doseguard.batch.context import with_context
from doseguard.batch.other_orders import OtherOrderReader, other_order_items
from doseguard.batch.worker import open_store
from doseguard.checker import Checker
from doseguard.cli.history_problems import HistoryProblems, load_history
from doseguard.engine.compiled import compile_loaded
from doseguard.io.chunk_reader import ChunkReader
from doseguard.io.history import HistorySources
from doseguard.io.history_store import STORE_NAME
from doseguard.io.readers import read_input
from doseguard.records import InputRecord
from doseguard.rules.source import RuleSource

CHUNK = 500


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("orders")
    parser.add_argument("history")
    parser.add_argument("--orders", dest="count", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--once", action="store_true")
    parser.add_argument("--workdir", default=None)
    arguments = parser.parse_args()
    workdir = Path(arguments.workdir or tempfile.mkdtemp(prefix="profile-history-"))
    workdir.mkdir(parents=True, exist_ok=True)
    store_path = workdir / STORE_NAME
    source = RuleSource()
    rule_set = compile_loaded(source.read_all()).rule_set
    if not store_path.exists():
        orders = ChunkReader([arguments.orders], drugs=rule_set.drugs, on_history_problem=lambda p: None)
        others = other_order_items(orders, OtherOrderReader(rule_set.drugs, rule_set.aggregates.values()))
        sources = HistorySources(history=arguments.history)
        load_history(sources, rule_set, store_path, HistoryProblems(), others)
    records = list(itertools.islice(read_input(arguments.orders), arguments.count))
    if arguments.once:
        _run(Checker(rule_set), records, store_path)
        return
    if arguments.profile:
        checker = Checker(rule_set)  # a new one each run: its outcome cache empty
        profile = cProfile.Profile()
        profile.enable()
        _run(checker, records, store_path)
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)
        return
    runs = [_timed(Checker(rule_set), records, store_path) for _ in range(arguments.repeat)]
    wall, cpu = (min(run[index] for run in runs) / len(records) * 1e6 for index in (0, 1))
    print(f"{len(records)} orders: {wall:.1f} µs an order, {cpu:.1f} µs of CPU (best of {arguments.repeat})")


def _timed(checker: Checker, records: list[InputRecord], store_path: Path) -> tuple[float, float]:
    """Wall and CPU seconds (on a shared machine the CPU time is the steadier)."""
    start, cpu = time.perf_counter(), time.process_time()
    _run(checker, records, store_path)
    return time.perf_counter() - start, time.process_time() - cpu


def _run(checker: Checker, records: list[InputRecord], store_path: Path) -> None:
    """What a worker does: a fresh store (its context cache empty), chunks given context and checked."""
    store = open_store(str(store_path), checker.rules)
    assert store is not None
    try:
        for start in range(0, len(records), CHUNK):
            chunk = records[start : start + CHUNK]
            checker.check_many(with_context(chunk, store), start + 1)
    finally:
        store.close()


if __name__ == "__main__":
    main()
