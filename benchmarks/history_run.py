"""The history workload in ``make bench``: ``doseguard check ORDERS --history DIR --jobs 2`` at two input
sizes (a tenth and the whole), each against the same orders checked without ``--history`` in the same
run (the ratio is what survives a shared, noisy machine), with peak RSS of the main process and of each
worker (``VmHWM`` polled from ``/proc``, ``memory_monitor.py``)."""

from __future__ import annotations

import json
import os
import shutil
import time
from typing import Any

from history import HistoryFiles, patient_count, write_history
from memory_monitor import measure
from runs import BenchmarkError, Options, Run, fail_message, file_facts, say

TARGET_RATE = 50_000
TARGET_RSS_MB = 300.0
JOBS = 2
COLUMNS = (("run", 24), ("orders/s", 10), ("inner/s", 10), ("wall s", 8), ("main MB", 9),
           ("workers MB", 12), ("tree MB", 9))  # fmt: skip
HEADER = "   " + "".join(
    f"{name:<{width}}" if name == "run" else f"{name:>{width}}" for name, width in COLUMNS
)


def history_sizes(orders: int) -> list[int]:
    """A tenth and the whole (one size when a tenth would be under 1,000 orders)."""
    return [orders] if orders < 10_000 else [orders // 10, orders]


def _check(options: Options, files: HistoryFiles, orders: int, with_history: bool) -> Run:
    tag = "history" if with_history else "plain"
    target = options.workdir / f"history-{orders}.out-{tag}.jsonl"
    summary_path = options.workdir / f"history-{orders}.summary-{tag}.json"
    command = [
        str(options.cli), "check", str(files.orders), "--format", "jsonl", "--fail-on", "never",
        "-o", str(target), "--jobs", str(JOBS), "--summary", str(summary_path),
        *(["--history", str(files.folder)] if with_history else []),
    ]  # fmt: skip
    measurement = measure(command, options.workdir)
    if measurement.returncode != 0:
        raise BenchmarkError(fail_message(f"doseguard check ({tag}, {orders:,} orders)", measurement))
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    facts = file_facts(target)
    target.unlink()
    return Run(
        f"{'--history DIR' if with_history else 'no history'} --jobs {JOBS}",
        orders,
        measurement,
        inner_seconds=summary["timings"]["seconds"],
        extra={
            "output_lines": facts.lines,
            "by_status": summary["by_status"],
            "notes": summary.get("notes", []),
            "worker_restarts": summary["timings"].get("worker_restarts"),
        },
    )


def _row(run: Run) -> str:
    m = run.measurement
    workers = "/".join(f"{peak:,.0f}" for peak in m.worker_peaks_mb) or "—"
    inner = run.inner_rate
    return (
        f"   {run.name:<24}{run.rate:>10,.0f}{inner or 0:>10,.0f}{m.seconds:>8.1f}"
        f"{m.main_peak_mb:>9,.0f}{workers:>12}{m.tree_peak_mb:>9,.0f}"
    )


def bench_history(options: Options) -> dict[str, Any]:
    """Both sizes; a dict for the results file (per size: the two runs, the ratio, targets, checks)."""
    record: dict[str, Any] = {"load_average_before": os.getloadavg(), "sizes": {}}
    for orders in history_sizes(options.orders):
        folder = options.workdir / f"history-{orders}"
        say(f"\n== history: generating {orders:,} orders, {3 * orders:,} administrations, "
            f"{2 * orders:,} lab results, {patient_count(orders):,} patients ...")  # fmt: skip
        started = time.perf_counter()
        files = write_history(folder, orders)
        sizes = {name: file_facts(getattr(files, name)) for name in ("orders", "administrations", "labs")}
        megabytes = sum(f.bytes for f in sizes.values()) / 1e6
        say(f"   {megabytes:,.1f} MB in {time.perf_counter() - started:.1f} s")
        say(f"   pipeline --history --jobs {JOBS} ...")
        with_history = _check(options, files, orders, with_history=True)
        say(f"   pipeline without history --jobs {JOBS} (the same orders) ...")
        plain = _check(options, files, orders, with_history=False)
        if options.requested_workdir is None:
            shutil.rmtree(folder)
        peak = max(with_history.measurement.main_peak_mb, *with_history.measurement.worker_peaks_mb, 0.0)
        checks = {
            "one output line per order (history)": with_history.extra["output_lines"] == orders,
            "one output line per order (no history)": plain.extra["output_lines"] == orders,
            "no order has status error (history)": with_history.extra["by_status"].get("error", 0) == 0,
            # the pool may start fewer workers for a small input, never more
            f"1 to {JOBS} workers seen": 1 <= with_history.measurement.workers <= JOBS,
        }
        say(f"\nhistory — {orders:,} orders")
        say(HEADER)
        say(_row(with_history))
        say(_row(plain))
        ratio = with_history.rate / plain.rate
        say(f"   history ÷ no history (same run): {ratio:.2f}; "
            f"≥{TARGET_RATE:,}/s {'PASS' if with_history.rate >= TARGET_RATE else 'FAIL'}, "
            f"≤{TARGET_RSS_MB:.0f} MB a process {'PASS' if peak <= TARGET_RSS_MB else 'FAIL'}")  # fmt: skip
        for note in with_history.extra["notes"]:
            say(f"   note: {note}")
        for name, ok in checks.items():
            say(f"   {'PASS' if ok else 'FAIL'}  {name}")
        record["sizes"][str(orders)] = {
            "input": {name: {"bytes": f.bytes, "sha256": f.sha256} for name, f in sizes.items()},
            "patients": files.patients,
            "history": with_history.as_dict(),
            "no_history": plain.as_dict(),
            "history_over_no_history": round(ratio, 3),
            "target_orders_per_second": TARGET_RATE,
            "meets_rate_target": with_history.rate >= TARGET_RATE,
            "target_peak_rss_mb": TARGET_RSS_MB,
            "meets_rss_target": peak <= TARGET_RSS_MB,
        }
        record.setdefault("checks", {}).update({f"{orders:,}: {name}": ok for name, ok in checks.items()})
    record["load_average_after"] = os.getloadavg()
    _report_flatness(record)
    return record


def _report_flatness(record: dict[str, Any]) -> None:
    sizes = sorted(record["sizes"], key=int)
    if len(sizes) < 2:
        return
    say("\n   peak RSS with --history by input size (MB): main, each worker")
    for size in sizes:
        run = record["sizes"][size]["history"]
        workers = ", ".join(f"{peak:,.0f}" for peak in run["worker_peaks_mb"])
        say(f"   {int(size):>12,}  main {run['main_peak_mb']:,.0f}, workers {workers}")
