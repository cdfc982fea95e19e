"""The batch path: nothing lost, order kept, the same bytes whatever the number of workers."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from benchmarks.generate import realistic, write_jsonl

from doseguard.batch.chunks import ChunkReader
from doseguard.batch.runner import BatchOptions, WorkerStartError, run_batch
from doseguard.batch.worker import KILL_MID_RESULT, KILL_ON_ORDER
from doseguard.io.writers import make_sink
from doseguard.results import Summary
from doseguard.rules.source import RuleSource

DOSEGUARD = str(Path(sys.executable).with_name("doseguard"))
EXAMPLES = Path(__file__).parents[2] / "examples"


def check(
    *args: object, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [DOSEGUARD, "check", *map(str, args)], capture_output=True, timeout=timeout, check=False,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


@pytest.fixture(scope="module")
def orders(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("batch") / "orders.jsonl"
    write_jsonl(path, realistic(20_000))
    return path


@pytest.mark.parametrize("kind", ["jsonl", "json", "csv", "html"])
def test_output_is_byte_identical_whatever_the_number_of_workers(orders: Path, kind: str) -> None:
    digests = set()
    for jobs in (1, 2):
        done = check(orders, EXAMPLES / "orders.csv", "--format", kind, "--jobs", jobs, "--fail-on", "never")
        assert done.returncode == 0, done.stderr
        digests.add(hashlib.sha256(done.stdout).hexdigest())
    assert len(digests) == 1


def test_every_record_has_one_result_in_input_order(orders: Path) -> None:
    done = check(orders, "--format", "jsonl", "--jobs", 2, "--fail-on", "never")
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["record"] for line in lines] == list(range(1, 20_001))
    assert [line["source"] for line in lines[:3]] == [f"{orders}:1", f"{orders}:2", f"{orders}:3"]
    assert lines[0]["order_id"] == "ORD-00000000"


@pytest.mark.parametrize("fault", [KILL_ON_ORDER, KILL_MID_RESULT], ids=["before-its-result", "mid-result"])
def test_a_record_that_kills_its_worker_is_an_error_and_nothing_else_is_lost(
    orders: Path, fault: str
) -> None:
    """A segfault in the engine kills a worker: the run goes on, the chunk is checked again, and the
    one order that kills every worker it meets is reported as an error. A worker that dies half-way
    through sending its result (which hung ProcessPoolExecutor for good) is no different."""
    poison = "ORD-00012345"
    done = check(orders, "--format", "jsonl", "--jobs", 2, "--fail-on", "never", env={fault: poison})
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == 20_000
    assert [line["record"] for line in lines] == list(range(1, 20_001))
    errors = [line for line in lines if line["status"] == "error"]
    assert [line["order_id"] for line in errors] == [poison]
    assert "crashed" in errors[0]["errors"][0]["message"]
    assert errors[0]["rules_version"] == json.loads(done.stdout.splitlines()[0])["rules_version"]
    clean = check(orders, "--format", "jsonl", "--jobs", 1, "--fail-on", "never").stdout.splitlines()
    different = [i for i, (a, b) in enumerate(zip(clean, done.stdout.splitlines(), strict=True)) if a != b]
    assert different == [12345]


def test_a_worker_killed_from_outside_mid_run_loses_nothing(tmp_path: Path) -> None:
    """SIGKILL a worker once results are being written: the run notices, goes on, loses nothing."""
    path = tmp_path / "big.jsonl"
    write_jsonl(path, realistic(150_000))
    out, summary = tmp_path / "out.jsonl", tmp_path / "summary.json"
    run = subprocess.Popen([DOSEGUARD, "check", str(path), "--format", "jsonl", "--jobs", "2", "-o", str(out),
                            "--fail-on", "never", "--summary", str(summary)])  # fmt: skip
    partial = tmp_path / ".out.jsonl.partial"  # the output, until the run completes
    try:
        deadline = time.monotonic() + 120
        while not (partial.exists() and partial.stat().st_size) and time.monotonic() < deadline:
            time.sleep(0.02)
        children = Path(f"/proc/{run.pid}/task/{run.pid}/children").read_text().split()
        # multiprocessing's resource tracker is a child too
        workers = [p for p in children if b"resource_tracker" not in Path(f"/proc/{p}/cmdline").read_bytes()]
        assert workers, "no worker process"
        os.kill(int(workers[-1]), signal.SIGKILL)
        assert run.wait(timeout=600) == 0
    finally:
        if run.poll() is None:
            run.kill()
    lines = out.read_bytes().splitlines()
    assert len(lines) == 150_000
    assert all(json.loads(line)["status"] != "error" for line in lines[::997])
    assert json.loads(summary.read_text())["timings"]["worker_restarts"] == 1


def test_an_order_id_repeated_across_chunks_makes_the_later_record_invalid(tmp_path: Path) -> None:
    orders = list(realistic(5_000))
    orders[4_500]["order_id"] = orders[10]["order_id"]  # 4,490 records later, two chunks on
    orders[4_501]["order_id"] = orders[4_500]["order_id"]  # and once more, in the same chunk
    path = tmp_path / "repeats.jsonl"
    write_jsonl(path, orders)
    summary = tmp_path / "summary.json"
    outputs = []
    for jobs in (1, 2):
        done = check(path, "--format", "jsonl", "--jobs", jobs, "--fail-on", "never", "--summary", summary)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    lines = [json.loads(line) for line in outputs[0].splitlines()]
    assert len(lines) == 5_000
    repeats = [(line["record"], line["status"], line["errors"][0]["message"]) for line in lines[4_500:4_502]]
    assert repeats == [
        (4_501, "invalid", "duplicates the order_id of record 11"),
        (4_502, "invalid", "duplicates the order_id of record 11"),
    ]
    counts = json.loads(summary.read_text())["by_status"]
    assert {status: n for status, n in counts.items() if n} == Counter(line["status"] for line in lines)


def test_gzip_input_gives_the_same_results(tmp_path: Path, orders: Path) -> None:
    packed = tmp_path / "orders.jsonl.gz"
    packed.write_bytes(gzip.compress(orders.read_bytes()))
    plain = check(orders, "--format", "jsonl", "--fail-on", "never").stdout.splitlines()
    zipped = check(packed, "--format", "jsonl", "--fail-on", "never").stdout.splitlines()
    strip = [json.loads(line) | {"source": None} for line in plain]
    assert [json.loads(line) | {"source": None} for line in zipped] == strip


def test_fhir_examples_are_checked(tmp_path: Path) -> None:
    done = check(
        EXAMPLES / "fhir-bundle.json", EXAMPLES / "fhir-medicationrequests.ndjson", "--format", "jsonl"
    )
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == 10
    assert {line["status"] for line in lines} >= {"pass", "flagged", "invalid"}
    assert lines[0]["source"].endswith("fhir-bundle.json:entry[0]")


def test_summary_file_has_counts_and_timings(tmp_path: Path, orders: Path) -> None:
    summary = tmp_path / "summary.json"
    check(orders, "--format", "jsonl", "--summary", summary, "--fail-on", "never")
    data = json.loads(summary.read_text())
    assert data["orders"] == 20_000
    assert sum(data["by_status"].values()) == 20_000
    assert data["timings"]["orders_per_second"] > 0
    assert len(data["rules_version"]) == 12


def test_the_output_file_is_not_left_half_written(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text('{"order_id": "A", "patient_id": "P", "drug": "b12"}\n')
    bad = tmp_path / "bad.json"
    bad.write_text("42")
    out = tmp_path / "out.json"
    done = check(good, bad, "--format", "json", "-o", out)
    assert done.returncode == 2
    assert not out.exists()


def test_an_output_that_is_also_an_input_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "same.jsonl"
    path.write_text('{"order_id": "A", "patient_id": "P", "drug": "b12"}\n')
    done = check(path, "-o", path)
    assert done.returncode == 2
    assert b"is also an input" in done.stderr
    assert path.read_text().startswith('{"order_id"')


def test_chunks_split_keep_numbers_and_lines(tmp_path: Path) -> None:
    path = tmp_path / "o.jsonl"
    path.write_bytes(b'{"a": 1}\n\n{"a": 2}\n{"a": 3}\n')
    (chunk,) = ChunkReader([str(path)])
    left, right = chunk.split()
    assert (left.first_record, left.first_line, left.record_count) == (1, 1, 1)
    assert (right.first_record, right.first_line, right.record_count) == (2, 3, 2)


def test_workers_that_cannot_start_stop_the_run_with_a_clear_error(tmp_path: Path) -> None:
    """Not one 'crashed' result per order after endless restarts: a single error for the run."""
    path = tmp_path / "o.jsonl"
    path.write_text('{"order_id": "A", "patient_id": "P", "drug": "b12"}\n')
    options = BatchOptions(RuleSource((str(tmp_path / "no-such-rules"),)), output="jsonl", jobs=1)
    with pytest.raises(WorkerStartError, match="cannot start"):
        run_batch(ChunkReader([str(path)]), make_sink("jsonl", io.BytesIO()), options, Summary())
