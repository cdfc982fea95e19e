"""The two baselines, each measured in a process of its own: the I/O floor and a stock durable-rules loop.

The child side (``io_floor``, ``stock_host``) runs as ``bench.py _io-floor ...`` or ``bench.py
_stock-host ...`` and imports only what it needs, so that its memory is comparable with the CLI's; the
parent side (``run_io_floor``, ``run_stock_host``) starts it under the memory monitor.
"""

from __future__ import annotations

import json
import os
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from memory_monitor import measure
from runs import BenchmarkError, Options, Run, fail_message, file_facts

HERE = Path(__file__).resolve().parent
BENCH = HERE / "bench.py"
"""The script the children run (``bench.py ROLE ...``), as before the benchmark was split."""
HOST_RULESET = "doseguard"
IO_FLOOR_ROLE = "_io-floor"
STOCK_HOST_ROLE = "_stock-host"


IO_FLOOR_LIBRARIES = ("orjson", "json")
"""The I/O floor with orjson (what doseguard reads with) and with the standard library's ``json``
(the floor issue 13 sets the realistic mix against: what a plain Python program reads at)."""


def io_floor(source: Path, target: Path, library: str = "orjson") -> None:
    """Read, parse and write one line per record, without checking anything, with ``library``."""
    loads: Callable[[bytes], Any]
    dumps: Callable[[Any], bytes]
    if library == "orjson":
        import orjson  # noqa: PLC0415 (the child imports only what it uses)

        loads, dumps = orjson.loads, orjson.dumps
    elif library == "json":
        loads = json.loads
        dumps = _json_dumps
    else:
        raise ValueError(f"no I/O floor for {library!r}: one of {', '.join(IO_FLOOR_LIBRARIES)}")
    started = time.perf_counter()
    records = 0
    with source.open("rb") as lines, target.open("wb") as out:
        write = out.write
        for line in lines:
            if not line.strip():
                continue
            record = loads(line)
            records += 1
            ids = {"order_id": record.get("order_id"), "patient_id": record.get("patient_id")}
            write(dumps({"record": records, **ids, "status": "pass"}) + b"\n")
    print(json.dumps({"orders": records, "seconds": time.perf_counter() - started}), flush=True)


def _json_dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


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


def run_io_floor(options: Options, source: Path, library: str = "orjson") -> Run:
    target = options.workdir / f"{source.stem}.floor-{library}.jsonl"
    command = [sys.executable, str(BENCH), IO_FLOOR_ROLE, str(source), str(target), library]
    measurement = measure(command, options.workdir)
    if measurement.returncode != 0:
        raise BenchmarkError(fail_message(f"the I/O floor ({library})", measurement))
    result = json.loads(measurement.stdout.strip().splitlines()[-1])
    lines = file_facts(target).lines
    if options.requested_workdir is None:
        target.unlink()
    return Run(
        f"I/O floor ({library})", result["orders"], measurement, result["seconds"], {"output_lines": lines}
    )


def run_stock_host(options: Options, source: Path, available: int) -> Run | str:
    """The stock Host loop, or why it has no figure (a crash is a result, not a failure of the run)."""
    sample = min(options.host_sample, available)
    command = [sys.executable, str(BENCH), STOCK_HOST_ROLE, str(source), str(sample)]
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
