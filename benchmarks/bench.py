"""Throughput and memory of ``doseguard check`` JSONL → JSONL, with two baselines measured in the same run.

For each workload (``realistic`` mix, ``worst`` case) the script generates the orders deterministically
(``generate.py``), then runs, each as a subprocess of its own:

* the **pipeline**: ``doseguard check IN --format jsonl --fail-on never -o OUT --jobs N`` (the real CLI,
  plus ``--summary`` for the status counts and the in-batch time), for every ``--jobs`` value;
* the **I/O floors**: read the same JSONL, ``orjson.loads`` each record, write one small JSON line per
  record (ids and a status), no checking; and the same with the standard library's ``json``;
* the **DuckDB query** (``duckdb_baseline.py``): the core B12 checks as one SQL query over the same
  JSONL on 2 threads, what a data engineer would write instead (issue 13);
* a **stock durable-rules loop**: ``durable.engine.Host`` (timer threads included) with one ruleset made
  of our compiled rules; normalise, ``assert_fact``, ``delete_state``, one order at a time, on a sample.

The ``history`` workload (``history.py``, ``history_run.py``) runs ``doseguard check ... --history DIR
--jobs 2`` at a tenth of the size and at the size, against the same orders without history.

The ``spark`` workload (``spark_run.py``, asked for with ``--workloads spark``) runs ``doseguard check
--spark local[1]`` and ``local[2]`` on both mixes, with a small run for Spark's fixed cost, beside
``--jobs 2``.

The ``service`` workload (``service_load.py``) starts ``doseguard serve --workers 2 --insecure-dev`` on
loopback and drives 5-order ``order-sign`` requests at a fixed rate (200/s for 20 s): p50 / p99 latency,
requests/s, error responses; then the same with one worker killed half-way (no answer may be empty).

Memory is read from ``/proc`` while each process runs (``memory_monitor.py``). The parts, one job each:
``runner.py`` (a whole run: workloads, checks, the results file), ``baselines.py`` (the I/O floor and the
stock Host loop), ``memory_monitor.py``, ``report.py`` (what is printed), ``runs.py`` (what they share);
this script parses the options and starts the children's roles.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench.py                 # 1,000,000 orders per workload
    .venv/bin/python benchmarks/bench.py --quick         # 100,000
    .venv/bin/python benchmarks/bench.py --orders 5000000   # the pipeline only (flat-memory check)

Results are printed and merged into ``benchmarks/results.json`` (one entry per input size).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from baselines import IO_FLOOR_ROLE, STOCK_HOST_ROLE, io_floor, stock_host
from duckdb_baseline import DUCKDB_ROLE
from duckdb_baseline import child as duckdb_child
from history_run import bench_history
from report import report_sizes
from runner import bench_workload, machine, save, workdir
from runs import BenchmarkError, Options, say
from service_load import bench_service
from spark_run import bench_spark

HERE = Path(__file__).resolve().parent
DEFAULT_RESULTS = HERE / "results.json"
DEFAULT_ORDERS = 1_000_000
QUICK_ORDERS = 100_000
BASELINES_UP_TO = 1_000_000
"""Above this size only the pipeline runs (the larger sizes are there to show memory stays flat)."""
HOST_SAMPLE = 20_000


def parse_args(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--orders", type=int, default=DEFAULT_ORDERS, help="orders per workload (default 1,000,000)"
    )
    size.add_argument("--quick", action="store_true", help=f"{QUICK_ORDERS:,} orders per workload")
    parser.add_argument(
        "--workloads",
        nargs="+",
        choices=("realistic", "worst", "history", "service", "spark"),
        default=["realistic", "worst", "history", "service"],
        help="history: --history DIR at a tenth and the whole size, with --jobs 2; "
        "service: doseguard serve under a fixed load of order-sign requests; "
        "spark: doseguard check --spark local[1] and local[2] beside --jobs 2 (not in the default set)",
    )
    parser.add_argument(
        "--jobs", nargs="+", type=int, default=[1, 2], help="--jobs values to run (default 1 2)"
    )
    parser.add_argument("--host-sample", type=int, default=HOST_SAMPLE, help="orders for the stock Host loop")
    parser.add_argument(
        "--pipeline-only",
        action="store_true",
        help=f"skip the baselines (implied above {BASELINES_UP_TO:,} orders)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement; the fastest is kept")
    parser.add_argument("--workdir", type=Path, help="where generated files go (default: a temporary folder)")
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS, help="results file to merge into")
    args = parser.parse_args(argv)
    orders = QUICK_ORDERS if args.quick else args.orders
    if orders < 1 or args.repeat < 1 or args.host_sample < 1 or min(args.jobs) < 1:
        parser.error("--orders, --repeat, --host-sample and --jobs must be at least 1")
    cli = Path(sys.executable).with_name("doseguard")
    if not cli.exists():
        found = shutil.which("doseguard")
        if found is None:
            parser.error("the doseguard command was not found next to this Python or on PATH")
        cli = Path(found)
    return Options(
        orders=orders,
        workloads=list(dict.fromkeys(args.workloads)),
        jobs=list(dict.fromkeys(args.jobs)),
        host_sample=args.host_sample,
        baselines=not args.pipeline_only and orders <= BASELINES_UP_TO,
        repeat=args.repeat,
        requested_workdir=args.workdir,
        results=args.results,
        cli=cli,
    )


def main(argv: Sequence[str]) -> int:
    options = parse_args(argv)
    with workdir(options.requested_workdir) as folder:
        options.workdir = folder
        say(
            f"doseguard benchmark: {options.orders:,} orders per workload, jobs {options.jobs}, "
            f"{os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )
        say(f"cli: {options.cli}; generated files in {folder}")
        if not options.baselines:
            say("baselines skipped: the pipeline only")
        entry: dict[str, Any] = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "repeat": options.repeat,
            "workloads": {},
        }
        try:
            for kind in options.workloads:
                if kind == "history":
                    entry["workloads"][kind] = bench_history(options)
                elif kind == "service":
                    entry["workloads"][kind] = bench_service(options)
                elif kind == "spark":
                    entry["workloads"][kind] = bench_spark(options)
                else:
                    entry["workloads"][kind] = bench_workload(options, kind)
        except BenchmarkError as error:
            say(f"\nFAIL  {error}")
            return 1
    results = save(options.results, options.orders, entry)
    report_sizes(results)
    say(f"\nresults merged into {options.results}")
    failed = [
        name for record in entry["workloads"].values() for name, ok in record["checks"].items() if not ok
    ]
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == IO_FLOOR_ROLE:
        io_floor(Path(sys.argv[2]), Path(sys.argv[3]), *sys.argv[4:5])
    elif len(sys.argv) > 1 and sys.argv[1] == DUCKDB_ROLE:
        duckdb_child(Path(sys.argv[2]), Path(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == STOCK_HOST_ROLE:
        stock_host(Path(sys.argv[2]), int(sys.argv[3]))
    else:
        sys.exit(main(sys.argv[1:]))
