"""The ``spark`` workload: ``doseguard check --spark local[N]`` at 1 and 2 executor cores, beside one machine.

For the realistic mix and the worst case, at the run's size and at a small size, each run is the real
command (``doseguard check --spark local[N] IN -o OUT.jsonl``, its own JVM): the small run is Spark's
fixed cost (the JVM, the session, the Python workers and their worker pools starting), so
``(wall at size - wall at small) / (size - small)`` is what an order costs once Spark runs, the figure
a cluster multiplies. Checks: one result line per order, in record order, and the same bytes as
``doseguard check --jobs 2`` on the same file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from generate import realistic, worst, write_jsonl
from memory_monitor import measure
from runs import BenchmarkError, Options, file_facts, say

SMALL = 1_000
"""Orders of the run that measures Spark's fixed cost."""
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
    for kind, make in (("realistic", realistic), ("worst", worst)):
        say(
            f"\n== spark, {kind}: {orders:,} orders, local[1] and local[2] (and {SMALL:,} for the fixed cost)"
        )
        path = options.workdir / f"spark-{kind}-{orders}.jsonl"
        small = options.workdir / f"spark-{kind}-{SMALL}.jsonl"
        write_jsonl(path, make(orders))
        write_jsonl(small, make(SMALL))
        single = options.workdir / f"spark-{kind}-single.jsonl"
        command = [str(options.cli), "check", str(path), "--fail-on", "never", "-j", "2", "-o", str(single)]
        one = measure(command, options.workdir)
        if one.returncode != 0:
            raise BenchmarkError(f"doseguard check exited {one.returncode}")
        alone = {"wall_seconds": round(one.seconds, 3), "orders_per_second": round(orders / one.seconds)}
        runs: dict[str, Any] = {"single_machine_jobs_2": alone}
        same = True
        for cores in CORES:
            fixed = _spark_run(options, small, cores)
            full = _spark_run(options, path, cores)
            marginal = (full["wall_seconds"] - fixed["wall_seconds"]) / (orders - SMALL)
            runs[f"local_{cores}"] = {
                "fixed_seconds": fixed["wall_seconds"],
                "wall_seconds": full["wall_seconds"],
                "orders_per_second_whole_run": round(orders / full["wall_seconds"]),
                "marginal_us_per_order": round(marginal * 1e6, 1),
                "marginal_orders_per_second": round(1 / marginal) if marginal > 0 else None,
                "load_average": full["load_average"],
            }
            same = same and file_facts(full["output"]).sha256 == file_facts(single).sha256
            lines = file_facts(full["output"]).lines
            record["checks"][f"{kind} local[{cores}]: one line per order"] = lines == orders
            whole, start = full["wall_seconds"], fixed["wall_seconds"]
            say(f"   local[{cores}]: {whole:.1f} s whole ({start:.1f} fixed), {marginal * 1e6:.1f} µs/order")
        say(f"   one machine, --jobs 2: {one.seconds:.1f} s")
        record["checks"][f"{kind}: the same bytes as doseguard check --jobs 2"] = same
        record["runs"][kind] = runs
    return record


def _spark_run(options: Options, path: Path, cores: int) -> dict[str, Any]:
    output = options.workdir / f"{path.stem}-local{cores}.jsonl"
    output.unlink(missing_ok=True)
    command = [str(options.cli), "check", "--spark", f"local[{cores}]", str(path), "--fail-on", "never",
               "-o", str(output)]  # fmt: skip
    measured = measure(command, options.workdir)
    if measured.returncode != 0:
        stderr = (options.workdir / "child.stderr").read_text(errors="replace")[-2000:]
        raise BenchmarkError(f"doseguard check --spark exited {measured.returncode}: {stderr}")
    return {"wall_seconds": round(measured.seconds, 3), "output": output, "load_average": os.getloadavg()}


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
