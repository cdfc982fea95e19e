"""What the benchmark prints: a table per workload (rates, memory, targets, ratios to the baselines,
checks) and the peak memory by input size from the results file."""

from __future__ import annotations

from typing import Any

from runs import Baselines, Run, say

TARGET_RATE = {"realistic": 150_000, "worst": 40_000}
TARGET_RSS_MB = 200.0


def targets(kind: str, run: Run) -> dict[str, Any]:
    peak = max(run.measurement.main_peak_mb, run.measurement.worker_peak_mb or 0.0)
    return {
        "target_orders_per_second": TARGET_RATE[kind],
        "meets_rate_target": run.rate >= TARGET_RATE[kind],
        "target_peak_rss_mb": TARGET_RSS_MB,
        "meets_rss_target": peak <= TARGET_RSS_MB,
    }


def ratios(run: Run, baselines: Baselines) -> dict[str, float | None]:
    """Pipeline speed as a multiple of each baseline's (wall rates; the Host loop's without start-up)."""
    host = baselines.stock_host
    host_rate = host.inner_rate if isinstance(host, Run) else None
    floor, stdlib, duckdb = baselines.io_floor, baselines.stdlib_floor, baselines.duckdb
    return {
        "pipeline_over_io_floor": round(run.rate / floor.rate, 3) if floor else None,
        "pipeline_over_stdlib_json_floor": round(run.rate / stdlib.rate, 3) if stdlib else None,
        "pipeline_over_duckdb": round(run.rate / duckdb.rate, 3) if duckdb else None,
        "pipeline_over_stock_host": round(run.rate / host_rate, 2) if host_rate else None,
    }


def _times(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}×"


def _mb(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def report_workload(
    kind: str,
    orders: int,
    pipeline: list[Run],
    baselines: Baselines,
    checks: dict[str, bool],
) -> None:
    header = (
        f"   {'run':<28}{'orders/s':>10}{'inner/s':>10}{'wall s':>8}"
        f"{'main MB':>9}{'worker MB':>10}{'tree MB':>9}  targets"
    )
    say(f"\n{kind} — {orders:,} orders")
    say(header)
    say("   " + "-" * (len(header) - 3))
    host = baselines.stock_host
    rows: list[Run] = [*pipeline, *baselines.runs()]
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
        found = ratios(run, baselines)
        statuses = ", ".join(f"{name} {count:,}" for name, count in run.extra["by_status"].items())
        say(
            f"   {run.name}: {_times(found['pipeline_over_io_floor'])} the I/O floor (orjson), "
            f"{_times(found['pipeline_over_stdlib_json_floor'])} the stdlib-json floor, "
            f"{_times(found['pipeline_over_duckdb'], 3)} the DuckDB query, "
            f"{_times(found['pipeline_over_stock_host'], 1)} the stock Host loop; {statuses}"
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
            pipeline = record.get("pipeline", {})  # the history workload reports its own sizes
            seen.extend((kind, jobs) for jobs in pipeline if (kind, jobs) not in seen)
    for kind, jobs in seen:
        cells = []
        for size in sizes:
            row = results["runs"][size]["workloads"].get(kind, {}).get("pipeline", {}).get(jobs)
            peak = None if row is None else max(row["main_peak_mb"], row["worker_peak_mb"] or 0.0)
            cells.append(f"{_mb(peak):>12}")
        say(f"   {kind:<12}{jobs:>5}" + "".join(cells))
