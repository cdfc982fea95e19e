"""The batch path: nothing lost, order kept, the same bytes whatever the number of workers."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from benchmarks.generate import realistic, write_jsonl

from doseguard.batch import runner
from doseguard.batch.pool import WorkerPool
from doseguard.batch.runner import BatchOptions, run_batch
from doseguard.batch.worker import WorkerSetup
from doseguard.errors import WorkerStartError
from doseguard.io.chunk_reader import ChunkReader
from doseguard.io.writers import make_sink
from doseguard.results import Summary
from doseguard.rules.source import RuleSource
from tests.batch.faults import HangOn, KillMidResult, KillOn
from tests.helpers.bundled import bundled_rules
from tests.helpers.cli import DOSEGUARD

EXAMPLES = Path(__file__).parents[2] / "examples"


def check(
    *args: object, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [DOSEGUARD, "check", *map(str, args)], capture_output=True, timeout=timeout, check=False,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def results_alike_at_one_and_two_jobs(path: Path, summary: Path) -> list[dict[str, Any]]:
    """The JSON Lines results of ``path``, checked the same with one worker as with two."""
    outputs = []
    for jobs in (1, 2):
        done = check(path, "--format", "jsonl", "--jobs", jobs, "--fail-on", "never", "--summary", summary)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    return [json.loads(line) for line in outputs[0].splitlines()]


@pytest.fixture(scope="module")
def orders(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("batch") / "orders.jsonl"
    write_jsonl(path, realistic(20_000))
    return path


@pytest.mark.parametrize("kind", ["jsonl", "json", "csv", "html"])
def test_output_is_byte_identical_whatever_the_number_of_workers(orders: Path, kind: str) -> None:
    digests = set()
    for jobs in (1, 2):
        done = check(
            orders, EXAMPLES / "orders.csv", "--format", kind, "--jobs", jobs, "--fail-on", "never",
            env={"SOURCE_DATE_EPOCH": "1764644101"},  # the HTML report's time made: fixed
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        digests.add(hashlib.sha256(done.stdout).hexdigest())
    assert len(digests) == 1


def test_every_record_has_one_result_in_input_order(orders: Path) -> None:
    done = check(orders, "--format", "jsonl", "--jobs", 2, "--fail-on", "never")
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["record"] for line in lines] == list(range(1, 20_001))
    assert [line["source"] for line in lines[:3]] == [f"{orders}:1", f"{orders}:2", f"{orders}:3"]
    assert lines[0]["order_id"] == "ORD-00000000"


def run_in_process(
    path: Path, *, jobs: int = 2, chunk_records: int = 2000, **options: Any
) -> tuple[bytes, Summary]:
    stream = io.BytesIO()
    summary = Summary()
    batch = BatchOptions(
        RuleSource(), output="jsonl", jobs=jobs, rules_version=bundled_rules().version, **options
    )
    reader = ChunkReader([str(path)], chunk_records=chunk_records)
    run_batch(reader, make_sink("jsonl", stream), batch, summary)
    return stream.getvalue(), summary


@pytest.mark.parametrize("fault", [KillOn, KillMidResult], ids=["before-its-result", "mid-result"])
def test_a_record_that_kills_its_worker_is_an_error_and_nothing_else_is_lost(
    orders: Path, fault: type[KillOn] | type[KillMidResult]
) -> None:
    """A segfault in the engine kills a worker: the run goes on, the chunk is checked again, and the
    one order that kills every worker it meets is reported as an error. A worker that dies half-way
    through sending its result (which hung ProcessPoolExecutor for good) is no different."""
    poison = "ORD-00012345"
    notices: list[str] = []
    output, _ = run_in_process(orders, before_send=fault(poison), notify=notices.append)
    lines = [json.loads(line) for line in output.splitlines()]
    assert len(lines) == 20_000
    assert [line["record"] for line in lines] == list(range(1, 20_001))
    errors = [line for line in lines if line["status"] == "error"]
    assert [line["order_id"] for line in errors] == [poison]
    assert "crashed" in errors[0]["errors"][0]["message"]
    assert errors[0]["rules_version"] == lines[0]["rules_version"]
    clean, _ = run_in_process(orders, jobs=1)
    different = [
        i for i, (a, b) in enumerate(zip(clean.splitlines(), output.splitlines(), strict=True)) if a != b
    ]
    assert different == [12345]
    died = "a worker died (killed by SIGKILL) while checking records "
    assert any(notice.startswith(died) and f"({orders}:" in notice for notice in notices), notices
    assert any(f"{orders}:12346" in notice and "reported as an error" in notice for notice in notices), (
        notices
    )


def test_a_hung_worker_is_said_on_stderr_and_its_record_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "orders.jsonl"
    write_jsonl(path, realistic(120))
    notices: list[str] = []
    hang = HangOn("ORD-00000077")
    output, _ = run_in_process(
        path, before_send=hang, notify=notices.append, chunk_timeout=3, chunk_records=40
    )
    lines = [json.loads(line) for line in output.splitlines()]
    assert len(lines) == 120
    assert [line["order_id"] for line in lines if line["status"] == "error"] == ["ORD-00000077"]
    assert "hung" in next(line for line in lines if line["status"] == "error")["errors"][0]["message"]
    hung = "a worker hung for 3 s while checking records "
    assert any(notice.startswith(hung) and f"({path}:" in notice for notice in notices), notices
    assert any(f"record 78 ({path}:78) hung every worker" in notice for notice in notices), notices


def test_no_environment_variable_can_make_a_worker_fail(
    orders: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old fault-injection variables are read by nothing any more."""
    for name in ("DOSEGUARD_TEST_KILL_WORKER_ON_ORDER", "DOSEGUARD_TEST_KILL_WORKER_MID_RESULT"):
        monkeypatch.setenv(name, "ORD-00000001")
    output, summary = run_in_process(orders, jobs=1)
    assert summary.worker_restarts == 0
    assert b'"status":"error"' not in output


def test_jobs_are_capped_by_the_cores_and_by_the_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--jobs 1000 started 1,000 workers (about 27 GB) for a 3-order file."""
    started: list[int] = []
    real = runner.WorkerPool

    def counting(setup: WorkerSetup, jobs: int, **kw: Any) -> WorkerPool:
        started.append(jobs)
        return real(setup, jobs, **kw)

    monkeypatch.setattr(runner, "WorkerPool", counting)
    small = tmp_path / "small.jsonl"
    write_jsonl(small, realistic(3))
    run_in_process(small, jobs=1000)
    big = tmp_path / "big.jsonl"
    write_jsonl(big, realistic(5 * 2000))
    run_in_process(big, jobs=1000)
    assert started == [1, min(5, runner.usable_cores())]


def test_a_worker_killed_from_outside_mid_run_loses_nothing(tmp_path: Path) -> None:
    """SIGKILL a worker once results are being written: the run notices, goes on, loses nothing."""
    path = tmp_path / "big.jsonl"
    write_jsonl(path, realistic(150_000))
    out, summary = tmp_path / "out.jsonl", tmp_path / "summary.json"
    run = subprocess.Popen([DOSEGUARD, "check", str(path), "--format", "jsonl", "--jobs", "2", "-o", str(out),
                            "--fail-on", "never", "--summary", str(summary)])  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # until the output's temporary file is being written
            if [p for p in tmp_path.iterdir() if p.name.startswith(".out.jsonl") and p.stat().st_size]:
                break
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
    lines = results_alike_at_one_and_two_jobs(path, summary)
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


def test_not_covered_and_inactive_orders_come_back_alike_from_the_workers(tmp_path: Path) -> None:
    """Workers encode and count the new statuses as the single process does, and a not-covered
    order's id is claimed like any other: its repeat, chunks later, is invalid."""
    orders = list(realistic(5_000))
    for index in range(0, 5_000, 3):
        orders[index] |= {"drug": "insulin aspart", "dose": "6 units", "route": "SC", "site": "abdomen"}
    for index in range(1, 5_000, 7):
        orders[index] |= {"status": "Discontinued", "dose": "10 mg"}
    orders[4_500]["order_id"] = orders[9]["order_id"]  # record 10 is not covered
    path = tmp_path / "hospital.jsonl"
    write_jsonl(path, orders)
    summary = tmp_path / "summary.json"
    lines = results_alike_at_one_and_two_jobs(path, summary)
    assert lines[9]["status"] == "not_covered" and lines[1]["status"] == "inactive"
    assert (lines[4_500]["status"], lines[4_500]["errors"][0]["message"]) == (
        "invalid", "duplicates the order_id of record 10"
    )  # fmt: skip
    counts = json.loads(summary.read_text())["by_status"]
    assert {status: n for status, n in counts.items() if n} == Counter(line["status"] for line in lines)
    assert counts["not_covered"] > 1_400 and counts["inactive"] > 700


def _write_as(path: Path, orders: list[dict[str, Any]]) -> None:
    """The orders in the format ``path``'s suffix names (JSON Lines with a blank line first)."""
    if path.suffix == ".csv":
        import csv  # noqa: PLC0415

        columns = sorted({key for order in orders for key in order})
        with path.open("w", newline="") as stream:
            writer = csv.DictWriter(stream, columns)
            writer.writeheader()
            writer.writerows(orders)
    elif path.suffix == ".json":
        path.write_text(json.dumps(orders, indent=1))
    else:
        path.write_text("\n" + "".join(json.dumps(order) + "\n" for order in orders))


@pytest.mark.parametrize("name", ["orders.csv", "orders.json", "orders.jsonl"])
def test_the_record_that_kills_every_worker_is_named_where_its_result_says_it_is(
    tmp_path: Path, name: str
) -> None:
    """The notice named ``file:1`` for a record of a CSV or a JSON array, whatever its line (only a
    JSON Lines chunk knew its first line), and a JSON Lines record after a blank line by the line
    before it: it names the record's source, as its result does."""
    path = tmp_path / name
    _write_as(path, list(realistic(120)))
    notices: list[str] = []
    output, _ = run_in_process(path, before_send=KillOn("ORD-00000077"), notify=notices.append,
                               chunk_records=40)  # fmt: skip
    lines = [json.loads(line) for line in output.splitlines()]
    assert [line["record"] for line in lines] == list(range(1, 121))
    (error,) = [line for line in lines if line["status"] == "error"]
    assert error["record"] == 78
    assert error["source"] != f"{path}:1"
    assert any(f"record 78 ({error['source']}) crashed every worker" in notice for notice in notices), notices
    died = re.compile(r"a worker died \(killed by SIGKILL\) while checking records (\d+)-\d+ \((.+)\.\.\.\);")
    (first, where), *_ = [found.groups() for notice in notices if (found := died.match(notice))]
    assert where == lines[int(first) - 1]["source"]
