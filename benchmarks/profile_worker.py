"""What one worker costs an order, measured where a shared machine cannot blur it: instructions.

A worker's part of ``doseguard check IN --format jsonl`` in one process: the rules loaded as a worker
loads them, a :class:`ChunkChecker` over the first ``--orders`` lines of ``ORDERS`` in chunks of 2,000
lines (the CLI's), each result pickled as a worker sends it. Three ways to look at it:

* ``--callgrind``: the script runs itself under ``valgrind --tool=callgrind`` twice, over ``--base``
  orders and over ``--orders``, and prints the instructions per order of the difference (start-up,
  imports and rule compiling cancel out). Instruction counts do not change with the machine's load
  (wall time on 2 cores shared by four sessions does, by 2× and more); ``PYTHONHASHSEED=0`` keeps
  them the same from run to run.
* ``--profile``: a cProfile listing (where the time goes, by function; cProfile inflates small calls).
* neither: CPU µs an order, best of ``--repeat`` (a new checker each run: its caches empty).

Usage: ``PYTHONPATH=src .venv/bin/python benchmarks/profile_worker.py ORDERS [--orders N]
[--callgrind [--base N]] [--profile] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import os
import pickle
import pstats
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from doseguard.batch.worker import ChunkChecker, settle_collector
from doseguard.checker import Checker
from doseguard.io.chunk_reader import CHUNK_RECORDS
from doseguard.io.chunks import Chunk, ChunkKind
from doseguard.rules.model import RuleSet
from doseguard.rules.source import RuleSource

_TOTAL = re.compile(rb"^(?:summary|totals):\s*(\d+)", re.MULTILINE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("orders", type=Path)
    parser.add_argument("--orders", dest="count", type=int, default=4000)
    parser.add_argument("--base", type=int, default=0, help="--callgrind: the orders of the first run")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--callgrind", action="store_true", help="instructions per order, under valgrind")
    parser.add_argument("--profile", action="store_true", help="a cProfile listing")
    parser.add_argument("--once", action="store_true", help=argparse.SUPPRESS)  # the run valgrind runs
    arguments = parser.parse_args()
    if arguments.callgrind:
        if arguments.base >= arguments.count:
            parser.error("--base must be below --orders")
        low, high = (_instructions(arguments.orders, n) for n in (arguments.base, arguments.count))
        per_order = (high - low) / (arguments.count - arguments.base)
        print(
            f"{arguments.orders.name}: {per_order:,.0f} instructions an order "
            f"(callgrind: {low:,} at {arguments.base:,} orders, {high:,} at {arguments.count:,})"
        )
        return
    lines = _lines(arguments.orders, arguments.count)
    rule_set = RuleSource().load()
    if arguments.once:
        _run(rule_set, lines)
        return
    if arguments.profile:
        profile = cProfile.Profile()
        profile.enable()
        _run(rule_set, lines)
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(50)
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)
        return
    runs = [_timed(rule_set, lines) for _ in range(arguments.repeat)]
    wall, cpu = (min(run[index] for run in runs) / len(lines) * 1e6 for index in (0, 1))
    print(f"{len(lines)} orders: {wall:.1f} µs an order, {cpu:.1f} µs of CPU (best of {arguments.repeat})")


def _lines(path: Path, count: int) -> list[bytes]:
    with path.open("rb") as source:
        return [line.rstrip(b"\n") for line in itertools.islice(source, count)]


def _run(rule_set: RuleSet, lines: list[bytes]) -> None:
    """What a worker does with the chunks of a JSON Lines file: check each, pickle its result."""
    checker = ChunkChecker(Checker(rule_set), "jsonl")  # a new one each run: its caches empty
    settle_collector()  # as a worker does once its checker is built
    for start in range(0, len(lines), CHUNK_RECORDS):
        text = b"\n".join(lines[start : start + CHUNK_RECORDS])
        chunk = Chunk(ChunkKind.TEXT, "orders.jsonl", start + 1, [text], first_line=start + 1)
        pickle.dumps(checker.process(chunk), protocol=pickle.HIGHEST_PROTOCOL)


def _timed(rule_set: RuleSet, lines: list[bytes]) -> tuple[float, float]:
    """Wall and CPU seconds (on a shared machine the CPU time is the steadier)."""
    start, cpu = time.perf_counter(), time.process_time()
    _run(rule_set, lines)
    return time.perf_counter() - start, time.process_time() - cpu


def _instructions(path: Path, count: int) -> int:
    """Instructions of a whole run of this script over ``count`` orders, counted by callgrind."""
    with tempfile.TemporaryDirectory(prefix="profile-worker-") as folder:
        out = Path(folder) / "callgrind.out"
        command = [
            "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
            sys.executable, __file__, str(path), "--orders", str(count), "--once",
        ]  # fmt: skip
        environment = {**os.environ, "PYTHONHASHSEED": "0"}
        done = subprocess.run(command, env=environment, capture_output=True, check=False)
        if done.returncode != 0:
            sys.exit(f"valgrind failed ({done.returncode}): {done.stderr.decode(errors='replace')[-2000:]}")
        found = _TOTAL.search(out.read_bytes())
        if found is None:
            sys.exit(f"no instruction total in {out}")
        return int(found.group(1))


if __name__ == "__main__":
    main()
