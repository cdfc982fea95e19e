"""One benchmark run: generate each workload, measure the pipeline at each ``--jobs`` and the baselines,
check the outputs, and merge the figures into the results file."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from baselines import run_io_floor, run_stock_host
from duckdb_baseline import run_duckdb
from memory_monitor import measure
from report import ratios, report_workload, targets
from runs import Baselines, BenchmarkError, FileFacts, Options, Run, fail_message, file_facts, say

HERE = Path(__file__).resolve().parent


def generate(kind: str, count: int, path: Path) -> None:
    sys.path.insert(0, str(HERE))
    import generate as generators  # noqa: PLC0415 (benchmarks/ is not a package)

    make = {"realistic": generators.realistic, "worst": generators.worst}[kind]
    generators.write_jsonl(path, make(count))


def best_of(repeat: int, attempt: Callable[[], Run]) -> Run:
    """Run ``attempt()`` ``repeat`` times; keep the fastest (the machine may be shared and busy)."""
    runs = [attempt() for _ in range(repeat)]
    return min(runs, key=lambda run: run.measurement.seconds)


def run_pipeline(options: Options, source: Path, jobs: int, expected: int) -> tuple[Run, FileFacts]:
    target = options.workdir / f"{source.stem}.out-j{jobs}.jsonl"
    summary_path = options.workdir / f"{source.stem}.summary-j{jobs}.json"
    command = [
        str(options.cli), "check", str(source), "--format", "jsonl", "--fail-on", "never",
        "-o", str(target), "--jobs", str(jobs), "--summary", str(summary_path),
    ]  # fmt: skip
    measurement = measure(command, options.workdir)
    if measurement.returncode != 0:
        raise BenchmarkError(fail_message(f"doseguard check --jobs {jobs}", measurement))
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    facts = file_facts(target)
    if options.requested_workdir is None:
        target.unlink()
    run = Run(
        f"pipeline --jobs {jobs}",
        expected,
        measurement,
        inner_seconds=summary["timings"]["seconds"],
        extra={
            "jobs": jobs,
            "output_sha256": facts.sha256,
            "output_lines": facts.lines,
            "by_status": summary["by_status"],
            "worker_restarts": summary["timings"].get("worker_restarts"),
        },
    )
    return run, facts


def bench_workload(options: Options, kind: str) -> dict[str, Any]:
    source = options.workdir / f"{kind}-{options.orders}.jsonl"
    say(f"\n== {kind}: generating {options.orders:,} orders ...")
    started = time.perf_counter()
    generate(kind, options.orders, source)
    facts = file_facts(source)
    took = time.perf_counter() - started
    say(f"   {facts.bytes / 1e6:,.1f} MB, sha256 {facts.sha256[:16]}…, in {took:.1f} s")
    if facts.lines != options.orders:
        raise BenchmarkError(f"the generator wrote {facts.lines} lines for {options.orders} orders")
    record: dict[str, Any] = {
        "input": {"orders": options.orders, "bytes": facts.bytes, "sha256": facts.sha256},
        "load_average_before": os.getloadavg(),
    }

    pipeline: dict[int, tuple[Run, list[FileFacts]]] = {}
    for jobs in options.jobs:
        say(f"   pipeline --jobs {jobs} ...")
        outputs: list[FileFacts] = []

        def attempt(jobs: int = jobs, outputs: list[FileFacts] = outputs) -> Run:
            run, out = run_pipeline(options, source, jobs, options.orders)
            outputs.append(out)
            return run

        pipeline[jobs] = (best_of(options.repeat, attempt), outputs)

    baselines = Baselines()
    if options.baselines:
        say("   I/O floor ...")
        baselines.io_floor = best_of(options.repeat, lambda: run_io_floor(options, source))
        say("   I/O floor, stdlib json ...")
        baselines.stdlib_floor = best_of(options.repeat, lambda: run_io_floor(options, source, "json"))
        say("   DuckDB query ...")
        baselines.duckdb = best_of(options.repeat, lambda: run_duckdb(options, source))
        say(f"   stock Host loop on {min(options.host_sample, options.orders):,} orders ...")
        baselines.stock_host = run_stock_host(options, source, options.orders)
    record["load_average_after"] = os.getloadavg()
    if options.requested_workdir is None:
        source.unlink()  # a temporary folder: free the disk now (5M orders are 1.5 GB a file)

    checks = verify(kind, options.orders, pipeline, baselines)
    rows = [run for run, _ in pipeline.values()]
    report_workload(kind, options.orders, rows, baselines, checks)
    record["pipeline"] = {
        str(jobs): run.as_dict() | targets(kind, run) for jobs, (run, _) in pipeline.items()
    }
    host = baselines.stock_host
    record["io_floor"] = baselines.io_floor.as_dict() if baselines.io_floor else None
    record["stdlib_json_floor"] = baselines.stdlib_floor.as_dict() if baselines.stdlib_floor else None
    record["duckdb"] = baselines.duckdb.as_dict() if baselines.duckdb else None
    record["stock_host"] = host.as_dict() if isinstance(host, Run) else host
    record["ratios"] = {str(jobs): ratios(run, baselines) for jobs, (run, _) in pipeline.items()}
    record["checks"] = checks
    return record


def verify(
    kind: str, expected: int, pipeline: dict[int, tuple[Run, list[FileFacts]]], baselines: Baselines
) -> dict[str, bool]:
    checks: dict[str, bool] = {}
    hashes = {facts.sha256 for _, outputs in pipeline.values() for facts in outputs}
    if len(pipeline) > 1 or any(len(outputs) > 1 for _, outputs in pipeline.values()):
        names = " = ".join(f"--jobs {jobs}" for jobs in pipeline)
        checks[f"outputs byte-identical ({names}, sha256)"] = len(hashes) == 1
    for jobs, (run, outputs) in pipeline.items():
        checks[f"--jobs {jobs}: output lines = input orders"] = all(o.lines == expected for o in outputs)
        by_status = run.extra["by_status"]
        checks[f"--jobs {jobs}: no order has status error"] = by_status.get("error", 0) == 0
        if kind == "worst":  # otherwise it is not the worst case: invalid orders never reach the engine
            checks[f"--jobs {jobs}: every order valid"] = by_status.get("invalid", 0) == 0
    for baseline in (baselines.io_floor, baselines.stdlib_floor, baselines.duckdb):
        if baseline is not None:
            lines = baseline.extra["output_lines"]
            checks[f"{baseline.name}: output lines = input orders"] = lines == expected
    return checks


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
    }


def save(path: Path, orders: int, entry: dict[str, Any]) -> dict[str, Any]:
    """Merge this run into the results file (one entry per input size) and return the whole file."""
    results: dict[str, Any] = {"runs": {}}
    if path.exists():
        try:
            results = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            say(f"warning: {path} was not JSON; starting it afresh")
    results.setdefault("runs", {})[str(orders)] = entry
    results["runs"] = dict(sorted(results["runs"].items(), key=lambda item: int(item[0])))
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return results


@contextlib.contextmanager
def workdir(requested: Path | None) -> Iterator[Path]:
    """``--workdir`` as given (its files are kept), or a temporary folder removed at the end."""
    if requested is not None:
        requested.mkdir(parents=True, exist_ok=True)
        yield requested
        return
    with tempfile.TemporaryDirectory(prefix="doseguard-bench-") as folder:
        yield Path(folder)
