"""The mixed inputs the Spark tests check: good and defective orders, malformed lines, a blank line, a
repeated order id, a CSV with a short row, and one poison order (its worker is killed as a segfault
of the engine would kill it: ``tests.batch.faults.KillOn``)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.generate import realistic

from doseguard.batch.runner import BatchOptions, run_batch
from doseguard.batch.worker import BeforeSend
from doseguard.io.chunk_reader import ChunkReader
from doseguard.io.writers import make_sink
from doseguard.results import Summary
from doseguard.rules.source import RuleSource

ROOT = Path(__file__).resolve().parents[2]
POISON = "ORD-00000123"
ORDERS = 300


def mixed_jsonl(path: Path) -> Path:
    lines = [json.dumps(order) for order in realistic(ORDERS)]
    lines[10] = '{"order_id": "ORD-BROKEN", "patient_id": "PT-1", "drug": '  # cut short
    lines[20] = "not json at all"
    lines[30] = ""  # blank: no record, but its line is counted
    lines[31] = " \t "  # blank too
    lines[40] = (
        '{"order_id": "ORD-DUPKEY", "patient_id": "PT-2", "drug": "cyanocobalamin", "dose": "1 mg", "dose": "1000 mcg"}'
    )
    lines[50] = lines[5]  # the same order id again: the later one is invalid
    lines[60] = "[1, 2]"
    lines[70] = "@LATIN1@"  # a µ in Latin-1: not UTF-8
    latin1 = (
        b'{"order_id": "ORD-LATIN", "patient_id": "PT-3", "drug": "cyanocobalamin", "dose": "1000 \xb5g"}'
    )
    body = "\n".join(lines).encode("utf-8").replace(b"@LATIN1@", latin1)
    path.write_bytes(body + b"\n")
    return path


def mixed_csv(path: Path) -> Path:
    rows = [
        "order_id,patient_id,drug,dose,volume,concentration,product_concentration,route,frequency,duration,phase",
        "CSV-1,PT-9001,cyanocobalamin,1000 mcg,1 mL,1000 mcg/mL,1000 mcg/mL,IM,daily,7 days,repletion",
        "CSV-2,PT-9002,cyanocobalamin,1000 mcg,2 mL,1000 mcg/mL,1000 mcg/mL,IM,daily,7 days,repletion",
        "CSV-3,PT-9003,cyanocobalamin,1000 mcg",  # too few cells
        'CSV-4,PT-9004,"cyanocobalamin",1 mg,1 mL,1000 mcg/mL,,IV,weekly,4 weeks,',
        "ORD-00000007,PT-9005,cyanocobalamin,1000 mcg,1 mL,1000 mcg/mL,1000 mcg/mL,IM,weekly,4 weeks,",
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def single_machine(
    paths: list[Path], version: str, before_send: BeforeSend | None = None, cwd: Path | None = None
) -> list[dict[str, Any]]:
    """The JSON Lines results of ``doseguard check`` on one machine (its batch runner, one worker);
    relative ``paths`` are read from ``cwd``."""
    if cwd is not None:
        with contextlib.chdir(cwd):
            return single_machine(paths, version, before_send)
    stream = io.BytesIO()
    options = BatchOptions(
        RuleSource(), output="jsonl", jobs=1, rules_version=version, before_send=before_send
    )
    run_batch(
        ChunkReader([str(p) for p in paths], chunk_records=16),
        make_sink("jsonl", stream),
        options,
        Summary(version),
    )
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def doseguard(*args: object, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-m", "doseguard", "check", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, env=env, timeout=600, check=False,
    )  # fmt: skip
