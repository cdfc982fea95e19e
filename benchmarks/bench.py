"""Throughput and memory of ``doseguard check`` JSONL → JSONL, with two baselines measured in the same run.

For each workload (``realistic`` mix, ``worst`` case) the script generates the orders deterministically
(``generate.py``), then runs, each as a subprocess of its own:

* the **pipeline**: ``doseguard check IN --format jsonl --fail-on never -o OUT --jobs N`` (the real CLI,
  plus ``--summary`` for the status counts and the in-batch time), for every ``--jobs`` value;
* the **I/O floor**: read the same JSONL, ``orjson.loads`` each record, write one small JSON line per record
  (ids and a status), no checking;
* a **stock durable-rules loop**: ``durable.engine.Host`` (timer threads included) with one ruleset made
  of our compiled rules; normalise, ``assert_fact``, ``delete_state``, one order at a time, on a sample.

Memory is read from ``/proc``: a thread polls the process tree every 20 ms and keeps, per process, its
``VmHWM`` (the kernel's own peak resident set), and the largest sum of ``VmRSS`` over the tree. The exact
peak of the largest process of the tree is also taken from ``wait4()`` (``ru_maxrss``) as a cross-check.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench.py                 # 1,000,000 orders per workload
    .venv/bin/python benchmarks/bench.py --quick         # 100,000
    .venv/bin/python benchmarks/bench.py --orders 5000000   # the pipeline only (flat-memory check)

Results are printed and merged into ``benchmarks/results.json`` (one entry per input size).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import types
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_RESULTS = HERE / "results.json"
DEFAULT_ORDERS = 1_000_000
QUICK_ORDERS = 100_000
BASELINES_UP_TO = 1_000_000
"""Above this size only the pipeline runs (the larger sizes are there to show memory stays flat)."""
HOST_SAMPLE = 20_000
HOST_RULESET = "doseguard"
POLL_SECONDS = 0.02
TARGET_RATE = {"realistic": 150_000, "worst": 40_000}
TARGET_RSS_MB = 200.0
IO_FLOOR_ROLE = "_io-floor"
STOCK_HOST_ROLE = "_stock-host"
KB_PER_MB = 1024.0


# --------------------------------------------------------------------------------------------------
# Child roles: these run in their own process, started by the benchmark (``bench.py _io-floor ...``).
# They import only what they need, so that their memory is comparable with the CLI's.
# --------------------------------------------------------------------------------------------------


def io_floor(source: Path, target: Path) -> None:
    """Read, parse and write one line per record, without checking anything."""
    import orjson  # noqa: PLC0415 (the child imports only what it uses)

    started = time.perf_counter()
    records = 0
    with source.open("rb") as lines, target.open("wb") as out:
        write = out.write
        dumps = orjson.dumps
        for line in lines:
            if not line.strip():
                continue
            record = orjson.loads(line)
            records += 1
            ids = {"order_id": record.get("order_id"), "patient_id": record.get("patient_id")}
            write(dumps({"record": records, **ids, "status": "pass"}) + b"\n")
    print(json.dumps({"orders": records, "seconds": time.perf_counter() - started}), flush=True)


def stock_host(source: Path, sample: int) -> None:
    """The straightforward durable-rules loop over the first ``sample`` orders of ``source``.

    Prints ``progress N`` every 1000 orders (so a crash can be located) and a JSON summary at the end.
    """
    import orjson  # noqa: PLC0415
    from durable.engine import Host  # noqa: PLC0415

    from doseguard import InvalidOrderError, load_rules  # noqa: PLC0415
    from doseguard.engine.adapter import ruleset_json  # noqa: PLC0415
    from doseguard.engine.compiled import compile_rules  # noqa: PLC0415
    from doseguard.orders.normalise import OrderNormaliser  # noqa: PLC0415

    rules = load_rules()
    compiled = ruleset_json(compile_rules(rules).of(rules.rules))
    definition: dict[str, dict[str, Any]] = json.loads(compiled)
    # Host resolves each rule's "run" name with get_action(name). Each rule runs an action named after
    # itself, so that the action can record which rule fired (one shared name could not tell them apart).
    for rule_name, rule in definition.items():
        rule["run"] = rule_name
    fired: list[str] = []

    class RecordingHost(Host):  # type: ignore[misc]  # durable has no type information
        def get_action(self, action_name: str) -> Any:
            def action(c: Any) -> None:  # one positional parameter: Host runs it synchronously
                fired.append(action_name)

            return action

    # The one departure from stock: durable.engine writes its JSON with ensure_ascii=False and Python's
    # float notation, and the engine refuses raw UTF-8 in a ruleset and floats such as 1e+16 (error
    # 204, durable-rules.md). So the ruleset goes to the engine as doseguard compiled it (the Host has
    # taken the "run" names out, leaving exactly that), and facts ASCII-escaped, as the adapter does.
    import durable.engine  # noqa: PLC0415

    def dumps(value: Any, ensure_ascii: bool = True, **options: Any) -> str:
        return compiled if value is definition else json.dumps(value, **options)

    durable.engine.json = types.SimpleNamespace(dumps=dumps, loads=json.loads)
    normaliser = OrderNormaliser(rules.drug_names)
    host = RecordingHost({HOST_RULESET: definition})
    invalid = engine_errors = orders = 0
    started = time.perf_counter()
    with source.open("rb") as lines:
        for index, line in enumerate(lines):
            if index >= sample:
                break
            orders += 1
            try:
                order = normaliser.normalise(orjson.loads(line))
            except InvalidOrderError:
                invalid += 1
                continue
            sid = str(index % 500)
            try:
                host.assert_fact(HOST_RULESET, {**order.facts, "kind": "order", "sid": sid, "id": str(index)})
            except Exception:
                engine_errors += 1
            host.delete_state(HOST_RULESET, sid)
            if orders % 1000 == 0:
                print(f"progress {orders}", flush=True)
    seconds = time.perf_counter() - started
    checked = orders - invalid
    firings = sum(1 for name in fired if not name.startswith("$"))
    catch_all = len(fired) - firings
    summary = {
        "orders": orders,
        "invalid": invalid,
        "engine_errors": engine_errors,
        "catch_all_runs": catch_all,
        "rule_firings": firings,
        "missed_catch_all": checked - catch_all,
        "seconds": seconds,
    }
    print(json.dumps(summary), flush=True)
    os._exit(0)  # the Host's timer threads are still armed: leave without running them once more


# --------------------------------------------------------------------------------------------------
# Measuring a process tree
# --------------------------------------------------------------------------------------------------


@dataclass
class ProcessPeak:
    role: str  # main, worker or helper (multiprocessing's resource tracker)
    hwm_kb: int = 0


@dataclass
class Measurement:
    """One subprocess run: its wall time and the memory of its process tree."""

    command: list[str]
    seconds: float
    returncode: int
    main_peak_mb: float
    worker_peak_mb: float | None
    workers: int
    tree_peak_mb: float
    max_rss_mb: float
    stdout: str
    stderr: str

    @property
    def crashed(self) -> str | None:
        if self.returncode >= 0:
            return None
        try:
            return signal.Signals(-self.returncode).name
        except ValueError:
            return f"signal {-self.returncode}"

    def memory(self) -> dict[str, Any]:
        return {
            "main_peak_mb": round(self.main_peak_mb, 1),
            "worker_peak_mb": None if self.worker_peak_mb is None else round(self.worker_peak_mb, 1),
            "workers_seen": self.workers,
            "tree_peak_mb": round(self.tree_peak_mb, 1),
            "wait4_max_rss_mb": round(self.max_rss_mb, 1),
        }


def _proc_status(pid: int) -> dict[str, int]:
    """VmHWM and VmRSS of ``pid`` in kB (empty once the process is gone)."""
    values: dict[str, int] = {}
    try:
        with Path(f"/proc/{pid}/status").open(encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith(("VmHWM:", "VmRSS:")):
                    key, _, value = line.partition(":")
                    values[key] = int(value.split()[0])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return {}
    return values


def _parents() -> dict[int, int]:
    """pid → parent pid for every process visible in /proc."""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()  # the command name may hold spaces and parentheses
        if len(fields) > 1:
            parents[int(entry.name)] = int(fields[1])
    return parents


def _role(pid: int) -> str:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "worker"
    return "helper" if b"resource_tracker" in cmdline else "worker"


class TreeMonitor(threading.Thread):
    """Polls a process and its descendants; keeps each one's VmHWM and the largest sum of VmRSS."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.peaks: dict[int, ProcessPeak] = {root: ProcessPeak("main")}
        self.tree_peak_kb = 0
        self._finished = threading.Event()

    def run(self) -> None:
        while not self._finished.is_set():
            self.sample()
            self._finished.wait(POLL_SECONDS)

    def stop(self) -> None:
        self._finished.set()
        self.join()

    def sample(self) -> None:
        parents = _parents()
        tree = {self.root}
        frontier = [self.root]
        while frontier:
            parent = frontier.pop()
            children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
            tree.update(children)
            frontier.extend(children)
        total = 0
        for pid in tree:
            status = _proc_status(pid)
            if not status:
                continue
            peak = self.peaks.get(pid)
            if peak is None:
                peak = self.peaks[pid] = ProcessPeak(_role(pid))
            peak.hwm_kb = max(peak.hwm_kb, status.get("VmHWM", 0))
            total += status.get("VmRSS", 0)
        self.tree_peak_kb = max(self.tree_peak_kb, total)


def measure(command: Sequence[str], workdir: Path) -> Measurement:
    """Run ``command``, watching its process tree; its stdout and stderr go to files."""
    out_path, err_path = workdir / "child.stdout", workdir / "child.stderr"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        monitor = TreeMonitor(process.pid)
        monitor.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        monitor.stop()
    process.returncode = os.waitstatus_to_exitcode(status)
    workers = [p.hwm_kb for p in monitor.peaks.values() if p.role == "worker"]
    return Measurement(
        command=list(command),
        seconds=seconds,
        returncode=process.returncode,
        main_peak_mb=monitor.peaks[process.pid].hwm_kb / KB_PER_MB,
        worker_peak_mb=max(workers) / KB_PER_MB if workers else None,
        workers=len(workers),
        tree_peak_mb=monitor.tree_peak_kb / KB_PER_MB,
        max_rss_mb=usage.ru_maxrss / KB_PER_MB,  # kB on Linux
        stdout=out_path.read_text(encoding="utf-8", errors="replace"),
        stderr=err_path.read_text(encoding="utf-8", errors="replace"),
    )


# --------------------------------------------------------------------------------------------------
# The benchmark
# --------------------------------------------------------------------------------------------------


@dataclass
class FileFacts:
    sha256: str
    lines: int
    bytes: int


def file_facts(path: Path) -> FileFacts:
    digest = hashlib.sha256()
    lines = size = 0
    with path.open("rb") as data:
        while block := data.read(1 << 20):
            digest.update(block)
            lines += block.count(b"\n")
            size += len(block)
    return FileFacts(digest.hexdigest(), lines, size)


@dataclass
class Run:
    """The best of ``--repeat`` runs of one thing, as a row of the report."""

    name: str
    orders: int
    measurement: Measurement
    inner_seconds: float | None = None  # time inside the process (without start-up), when it says
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """Orders per second over the wall time of the whole process, start-up included."""
        return self.orders / self.measurement.seconds

    @property
    def inner_rate(self) -> float | None:
        return self.orders / self.inner_seconds if self.inner_seconds else None

    def as_dict(self) -> dict[str, Any]:
        m = self.measurement
        return {
            "orders": self.orders,
            "wall_seconds": round(m.seconds, 3),
            "orders_per_second": round(self.rate),
            "inner_seconds": None if self.inner_seconds is None else round(self.inner_seconds, 3),
            "inner_orders_per_second": None if self.inner_rate is None else round(self.inner_rate),
            **m.memory(),
            **self.extra,
        }


@dataclass
class Options:
    orders: int
    workloads: list[str]
    jobs: list[int]
    host_sample: int
    baselines: bool
    repeat: int
    results: Path
    cli: Path
    requested_workdir: Path | None
    workdir: Path = Path()  # set once the folder exists


def say(text: str = "") -> None:
    print(text, flush=True)


def generate(kind: str, count: int, path: Path) -> None:
    sys.path.insert(0, str(HERE))
    import generate as generators  # noqa: PLC0415 (benchmarks/ is not a package)

    make = {"realistic": generators.realistic, "worst": generators.worst}[kind]
    generators.write_jsonl(path, make(count))


def best_of(repeat: int, attempt: Callable[[], Run]) -> Run:
    """Run ``attempt()`` ``repeat`` times; keep the fastest (the machine may be shared and busy)."""
    runs = [attempt() for _ in range(repeat)]
    return min(runs, key=lambda run: run.measurement.seconds)


def fail_message(what: str, measurement: Measurement) -> str:
    crash = measurement.crashed
    why = f"crashed ({crash})" if crash else f"exit status {measurement.returncode}"
    tail = measurement.stderr.strip().splitlines()[-5:]
    return f"{what}: {why}" + ("\n    " + "\n    ".join(tail) if tail else "")


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


def run_io_floor(options: Options, source: Path) -> Run:
    target = options.workdir / f"{source.stem}.floor.jsonl"
    command = [sys.executable, str(Path(__file__).resolve()), IO_FLOOR_ROLE, str(source), str(target)]
    measurement = measure(command, options.workdir)
    if measurement.returncode != 0:
        raise BenchmarkError(fail_message("the I/O floor", measurement))
    result = json.loads(measurement.stdout.strip().splitlines()[-1])
    lines = file_facts(target).lines
    if options.requested_workdir is None:
        target.unlink()
    return Run(
        "I/O floor (orjson)", result["orders"], measurement, result["seconds"], {"output_lines": lines}
    )


def run_stock_host(options: Options, source: Path, available: int) -> Run | str:
    """The stock Host loop, or why it has no figure (a crash is a result, not a failure of the run)."""
    sample = min(options.host_sample, available)
    command = [sys.executable, str(Path(__file__).resolve()), STOCK_HOST_ROLE, str(source), str(sample)]
    measurement = measure(command, options.workdir)
    lines = measurement.stdout.strip().splitlines()
    if measurement.returncode != 0 or not lines or not lines[-1].startswith("{"):
        done = [int(line.split()[1]) for line in lines if line.startswith("progress ")]
        where = f" after about {done[-1]:,} orders" if done else ""
        return fail_message(f"stock Host loop{where}", measurement)
    result = json.loads(lines[-1])
    return Run(
        f"stock Host loop ({sample:,})",
        result["orders"],
        measurement,
        result["seconds"],
        {key: value for key, value in result.items() if key not in ("orders", "seconds")},
    )


class BenchmarkError(Exception):
    pass


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

    floor: Run | None = None
    host: Run | str | None = None
    if options.baselines:
        say("   I/O floor ...")
        floor = best_of(options.repeat, lambda: run_io_floor(options, source))
        say(f"   stock Host loop on {min(options.host_sample, options.orders):,} orders ...")
        host = run_stock_host(options, source, options.orders)
    record["load_average_after"] = os.getloadavg()
    if options.requested_workdir is None:
        source.unlink()  # a temporary folder: free the disk now (5M orders are 1.5 GB a file)

    checks = verify(kind, options.orders, pipeline, floor)
    rows = [run for run, _ in pipeline.values()]
    report_workload(kind, options.orders, rows, floor, host, checks)
    record["pipeline"] = {
        str(jobs): run.as_dict() | targets(kind, run) for jobs, (run, _) in pipeline.items()
    }
    record["io_floor"] = floor.as_dict() if floor else None
    record["stock_host"] = host.as_dict() if isinstance(host, Run) else host
    record["ratios"] = {str(jobs): ratios(run, floor, host) for jobs, (run, _) in pipeline.items()}
    record["checks"] = checks
    return record


def verify(
    kind: str, expected: int, pipeline: dict[int, tuple[Run, list[FileFacts]]], floor: Run | None
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
    if floor is not None:
        checks["I/O floor: output lines = input orders"] = floor.extra["output_lines"] == expected
    return checks


def targets(kind: str, run: Run) -> dict[str, Any]:
    peak = max(run.measurement.main_peak_mb, run.measurement.worker_peak_mb or 0.0)
    return {
        "target_orders_per_second": TARGET_RATE[kind],
        "meets_rate_target": run.rate >= TARGET_RATE[kind],
        "target_peak_rss_mb": TARGET_RSS_MB,
        "meets_rss_target": peak <= TARGET_RSS_MB,
    }


def ratios(run: Run, floor: Run | None, host: Run | str | None) -> dict[str, float | None]:
    """Pipeline speed as a multiple of each baseline's (wall rates; the Host loop's without start-up)."""
    host_rate = host.inner_rate if isinstance(host, Run) else None
    return {
        "pipeline_over_io_floor": round(run.rate / floor.rate, 3) if floor else None,
        "pipeline_over_stock_host": round(run.rate / host_rate, 2) if host_rate else None,
    }


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------


def _mb(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def report_workload(
    kind: str,
    orders: int,
    pipeline: list[Run],
    floor: Run | None,
    host: Run | str | None,
    checks: dict[str, bool],
) -> None:
    header = (
        f"   {'run':<28}{'orders/s':>10}{'inner/s':>10}{'wall s':>8}"
        f"{'main MB':>9}{'worker MB':>10}{'tree MB':>9}  targets"
    )
    say(f"\n{kind} — {orders:,} orders")
    say(header)
    say("   " + "-" * (len(header) - 3))
    rows: list[Run] = [*pipeline, *([floor] if floor else []), *([host] if isinstance(host, Run) else [])]
    for run in rows:
        m = run.measurement
        verdict = ""
        if run in pipeline:
            goal = targets(kind, run)
            rate_ok = "PASS" if goal["meets_rate_target"] else "FAIL"
            rss_ok = "PASS" if goal["meets_rss_target"] else "FAIL"
            verdict = f"≥{TARGET_RATE[kind]:,}/s {rate_ok}, ≤{TARGET_RSS_MB:.0f} MB {rss_ok}"
        say(
            f"   {run.name:<28}{_rate(run.rate):>10}{_rate(run.inner_rate):>10}{m.seconds:>8.2f}"
            f"{_mb(m.main_peak_mb):>9}{_mb(m.worker_peak_mb):>10}{_mb(m.tree_peak_mb):>9}  {verdict}"
        )
    if isinstance(host, str):
        say(f"   stock Host loop: no figure: {host}")
    elif isinstance(host, Run) and (host.extra.get("engine_errors") or host.extra.get("missed_catch_all")):
        errors, missed = host.extra["engine_errors"], host.extra["missed_catch_all"]
        say(f"   stock Host loop: {errors} engine errors; the catch-all did not run for {missed} orders")
    for run in pipeline:
        found = ratios(run, floor, host)
        over_floor, over_host = found["pipeline_over_io_floor"], found["pipeline_over_stock_host"]
        statuses = ", ".join(f"{name} {count:,}" for name, count in run.extra["by_status"].items())
        say(
            f"   {run.name}: {'—' if over_floor is None else f'{over_floor:.2f}×'} the I/O floor, "
            f"{'—' if over_host is None else f'{over_host:.1f}×'} the stock Host loop; {statuses}"
        )
    for name, ok in checks.items():
        say(f"   {'PASS' if ok else 'FAIL'}  {name}")


def report_sizes(results: dict[str, Any]) -> None:
    """Peak RSS of the pipeline at each input size stored in the results file (the flat-memory claim)."""
    sizes = sorted(results.get("runs", {}), key=int)
    if len(sizes) < 2:
        return
    say("\npeak RSS (MB, largest of main and workers) by input size, from the results file")
    say(f"   {'workload':<12}{'jobs':>5}" + "".join(f"{int(size):>12,}" for size in sizes))
    seen: list[tuple[str, str]] = []
    for size in sizes:
        for kind, record in results["runs"][size]["workloads"].items():
            seen.extend((kind, jobs) for jobs in record["pipeline"] if (kind, jobs) not in seen)
    for kind, jobs in seen:
        cells = []
        for size in sizes:
            row = results["runs"][size]["workloads"].get(kind, {}).get("pipeline", {}).get(jobs)
            peak = None if row is None else max(row["main_peak_mb"], row["worker_peak_mb"] or 0.0)
            cells.append(f"{_mb(peak):>12}")
        say(f"   {kind:<12}{jobs:>5}" + "".join(cells))


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


def parse_args(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--orders", type=int, default=DEFAULT_ORDERS, help="orders per workload (default 1,000,000)"
    )
    size.add_argument("--quick", action="store_true", help=f"{QUICK_ORDERS:,} orders per workload")
    parser.add_argument(
        "--workloads", nargs="+", choices=("realistic", "worst"), default=["realistic", "worst"]
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
        io_floor(Path(sys.argv[2]), Path(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == STOCK_HOST_ROLE:
        stock_host(Path(sys.argv[2]), int(sys.argv[3]))
    else:
        sys.exit(main(sys.argv[1:]))
