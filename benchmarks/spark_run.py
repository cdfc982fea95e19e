"""The ``spark`` workload: ``doseguard check --spark local[N]`` at 1 and 2 executor cores, beside one machine.

For the realistic mix, the worst case and the history workload (``history.py``: the MAR and labs
read with ``--history``, stored on the driver and shipped to the executors), each run is the real
command (``doseguard check --spark local[N] IN -o OUT.jsonl``, its own JVM), which says on stderr
how long its session took to start, how long the history took to read and ship, and how long
reading, checking and writing took after that: the last is what a cluster multiplies (the Python
workers' pools starting is in it, once per core). A difference of two whole runs of different sizes
is no measure on a shared machine: the JVM's start varied by a minute between runs here.
Checks: one result line per order, in record order, and the same bytes as
``doseguard check --jobs 2`` on the same file.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from generate import realistic, worst, write_jsonl
from history import write_history
from memory_monitor import measure
from runs import BenchmarkError, Options, file_facts, say

CORES = (1, 2)


def bench_spark(options: Options, size: int | None = None) -> dict[str, Any]:
    """Both workloads at ``size`` (default: the run's, at most 200,000: a JVM per run is slow here)."""
    orders = size or min(options.orders, 200_000)
    record: dict[str, Any] = {
        "load_average_before": os.getloadavg(),
        "orders": orders,
        "runs": {},
        "checks": {},
    }
    for kind in ("realistic", "worst", "history"):
        say(f"\n== spark, {kind}: {orders:,} orders, local[1] and local[2]")
        extra: list[str] = []
        if kind == "history":  # 3 administrations and 2 lab results an order (history.py)
            files = write_history(options.workdir / f"spark-history-{orders}", orders)
            path, extra = files.orders, ["--history", str(files.folder)]
        else:
            path = options.workdir / f"spark-{kind}-{orders}.jsonl"
            write_jsonl(path, realistic(orders) if kind == "realistic" else worst(orders))
        single = options.workdir / f"spark-{kind}-single.jsonl"
        command = [str(options.cli), "check", str(path), *extra, "--fail-on", "never", "-j", "2", "-o",
                   str(single)]  # fmt: skip
        one = measure(command, options.workdir)
        if one.returncode != 0:
            raise BenchmarkError(f"doseguard check exited {one.returncode}")
        alone = {"wall_seconds": round(one.seconds, 3), "orders_per_second": round(orders / one.seconds)}
        runs: dict[str, Any] = {"single_machine_jobs_2": alone}
        same = True
        for cores in CORES:
            full = _spark_run(options, path, cores, extra)
            inner = full["inner_seconds"]
            runs[f"local_{cores}"] = {
                "wall_seconds": full["wall_seconds"],
                "session_start_seconds": full["session_seconds"],
                "inner_seconds": inner,
                "orders_per_second_whole_run": round(orders / full["wall_seconds"]),
                "orders_per_second_after_start": round(orders / inner) if inner else None,
                "load_average": full["load_average"],
                "history_seconds": full["history_seconds"],
            }
            same = same and file_facts(full["output"]).sha256 == file_facts(single).sha256
            lines = file_facts(full["output"]).lines
            record["checks"][f"{kind} local[{cores}]: one line per order"] = lines == orders
            rate = orders / inner if inner else 0
            say(f"   local[{cores}]: {full['wall_seconds']:.1f} s, session {full['session_seconds']} s, "
                f"then {inner} s: {rate:,.0f} orders/s")  # fmt: skip
        say(f"   one machine, --jobs 2: {one.seconds:.1f} s")
        record["checks"][f"{kind}: the same bytes as doseguard check --jobs 2"] = same
        record["runs"][kind] = runs
    return record


def _spark_run(options: Options, path: Path, cores: int, extra: list[str]) -> dict[str, Any]:
    output = options.workdir / f"{path.parent.name}-{path.stem}-local{cores}.jsonl"
    output.unlink(missing_ok=True)
    command = [str(options.cli), "check", "--spark", f"local[{cores}]", str(path), *extra, "--fail-on",
               "never", "-o", str(output)]  # fmt: skip
    measured = measure(command, options.workdir)
    if measured.returncode != 0:
        stderr = (options.workdir / "child.stderr").read_text(errors="replace")[-2000:]
        raise BenchmarkError(f"doseguard check --spark exited {measured.returncode}: {stderr}")
    said = (options.workdir / "child.stderr").read_text(errors="replace")
    inner = re.search(r"read, checked and written on Spark in ([0-9.]+) s", said)
    start = re.search(r"Spark session at \S+ started in ([0-9.]+) s", said)
    history = re.search(r"history read and shipped in ([0-9.]+) s", said)
    return {"wall_seconds": round(measured.seconds, 3), "output": output, "load_average": os.getloadavg(),
            "inner_seconds": float(inner.group(1)) if inner else None,
            "session_seconds": float(start.group(1)) if start else None,
            "history_seconds": float(history.group(1)) if history else None}  # fmt: skip


def main() -> None:  # pragma: no cover - by hand: python benchmarks/spark_run.py ORDERS WORKDIR
    import sys  # noqa: PLC0415
    import tempfile  # noqa: PLC0415

    orders = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    folder = (
        Path(sys.argv[2]) if len(sys.argv) > 2 else Path(tempfile.mkdtemp(prefix="doseguard-spark-bench-"))
    )
    cli = Path(sys.executable).with_name("doseguard")
    options = Options(orders, ["spark"], [2], 1, False, 1, folder / "results.json", cli, folder, folder)
    print(json.dumps(bench_spark(options), indent=2))


if __name__ == "__main__":
    main()
