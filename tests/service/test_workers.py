"""The supervised evaluator: worker processes that answer as the in-process checker does, and a crash,
a hang, a reload or a shutdown that never leaves a request without its own results."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from doseguard.records import InputRecord
from doseguard.results import OrderResult, ResultStatus
from doseguard.rules.source import RuleSource
from doseguard.service.workers import ProcessEvaluator
from tests.helpers.bundled import bundled_checker
from tests.service import faults


def in_process(records: list[InputRecord]) -> list[OrderResult]:
    return bundled_checker().check_many(records, 1)


def marked(record: InputRecord, order_id: str, **extra: object) -> InputRecord:
    return dataclasses.replace(record, data={**record.data, "order_id": order_id, **extra})


def assert_not_checked(results: list[OrderResult], records: list[InputRecord], why: str) -> None:
    assert len(results) == len(records)
    for result, record in zip(results, records, strict=True):
        assert result.status is ResultStatus.ERROR
        assert result.source == record.source
        assert result.findings == ()
        (error,) = result.errors
        assert error.message.startswith("not checked: ") and why in error.message, error.message


def wait_for(path: Path) -> None:
    """Until the worker says it holds the request (no time is asserted: the test's own timeout bounds it)."""
    while not path.exists():
        time.sleep(0.01)


StartEvaluator = Callable[..., ProcessEvaluator]


@pytest.fixture
def lone() -> Iterator[StartEvaluator]:
    """One worker with the fault hook and a short deadline, closed after the test."""
    evaluators: list[ProcessEvaluator] = []

    def start(deadline: float = 30.0, workers: int = 1, source: RuleSource | None = None) -> ProcessEvaluator:
        started = ProcessEvaluator(
            source, workers=workers, deadline=deadline, before_check=faults.wait_on_flag
        )
        evaluators.append(started)
        assert started.wait_ready()
        return started

    yield start
    for started in evaluators:
        asyncio.run(started.close())


def test_results_equal_the_in_process_checkers_on_the_bundled_examples(
    evaluator: ProcessEvaluator, example_records: list[InputRecord]
) -> None:
    results = asyncio.run(evaluator.check(example_records))
    expected = in_process(example_records)
    assert results == expected
    assert {r.status for r in results} >= {ResultStatus.FLAGGED, ResultStatus.PASS, ResultStatus.INVALID}
    assert all(r.rules_version == evaluator.rules_version for r in results)


def test_no_records_is_no_results_and_ready_says_a_worker_is_up(evaluator: ProcessEvaluator) -> None:
    assert asyncio.run(evaluator.check([])) == []
    assert evaluator.ready()
    assert len(evaluator.worker_pids()) == 2


def test_twenty_concurrent_requests_each_get_their_own_results_in_order(
    evaluator: ProcessEvaluator, example_records: list[InputRecord]
) -> None:
    requests = [example_records[i % len(example_records) :][: 1 + i % 5] for i in range(20)]

    async def all_at_once() -> list[list[OrderResult]]:
        return await asyncio.gather(*(evaluator.check(request) for request in requests))

    answers = asyncio.run(all_at_once())
    assert answers == [in_process(request) for request in requests]


@pytest.mark.parametrize(
    ("mark", "why"),
    [
        (faults.SEGFAULT, "died (killed by SIGSEGV)"),
        (faults.KILLED, "died (killed by SIGKILL)"),
        (faults.EXITS, "died (exit status 3)"),
    ],
)
def test_a_worker_that_dies_makes_that_request_not_checked_and_is_replaced(
    lone: StartEvaluator, example_records: list[InputRecord], mark: str, why: str
) -> None:
    evaluator = lone()
    first_pid = evaluator.worker_pids()
    request = [example_records[0], marked(example_records[1], mark)]
    assert_not_checked(asyncio.run(evaluator.check(request)), request, why)
    assert evaluator.restarts == 1
    after = example_records[:4]
    assert asyncio.run(evaluator.check(after)) == in_process(after)
    assert evaluator.worker_pids() != first_pid and evaluator.ready()


def test_a_hung_worker_is_killed_after_the_deadline_and_replaced(
    lone: StartEvaluator, example_records: list[InputRecord]
) -> None:
    evaluator = lone(deadline=1.0)
    request = [marked(example_records[0], faults.HANGS)]
    assert_not_checked(
        asyncio.run(evaluator.check(request)), request, "hung for 1 s while checking this request"
    )
    assert evaluator.restarts == 1
    assert asyncio.run(evaluator.check(example_records[:3])) == in_process(example_records[:3])


def test_a_worker_killed_from_outside_while_busy_costs_only_its_request(
    lone: StartEvaluator, example_records: list[InputRecord], tmp_path: Path
) -> None:
    evaluator = lone(workers=2)
    flag = tmp_path / "busy"
    doomed = [marked(example_records[0], "ORD-DOOMED", busy_flag=str(flag))]
    others = [example_records[i : i + 3] for i in range(0, 12, 3)]

    async def scenario() -> tuple[list[OrderResult], list[list[OrderResult]]]:
        held = asyncio.create_task(evaluator.check(doomed))
        await asyncio.to_thread(wait_for, flag)
        pid = int(flag.read_text())
        assert pid in evaluator.worker_pids()
        answered = await asyncio.gather(*(evaluator.check(request) for request in others))
        os.kill(pid, signal.SIGKILL)
        return await held, answered

    lost, answered = asyncio.run(scenario())
    assert_not_checked(lost, doomed, "killed by SIGKILL")
    assert answered == [in_process(request) for request in others]
    assert evaluator.restarts == 1


OVERRIDES = """\
site: test
overrides:
  - rule: NOTATION-ERROR-PRONE
    reason: "a test"
    severity: {severity}
"""


def test_reload_with_new_rules_changes_the_version_and_the_answers_and_a_broken_pack_keeps_the_old(
    lone: StartEvaluator, example_records: list[InputRecord], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text(OVERRIDES.format(severity="info"), encoding="utf-8")
    evaluator = lone(workers=2, source=RuleSource(overrides=str(overrides)))
    before_version = evaluator.rules_version
    before = asyncio.run(evaluator.check(example_records))

    def severities(results: list[OrderResult]) -> set[str]:
        return {f.severity.value for r in results for f in r.findings if f.rule_id == "NOTATION-ERROR-PRONE"}

    assert severities(before) == {"info"}
    overrides.write_text(OVERRIDES.format(severity="critical"), encoding="utf-8")
    evaluator.reload()
    assert evaluator.rules_version != before_version
    after = asyncio.run(evaluator.check(example_records))
    assert severities(after) == {"critical"}
    assert {r.rules_version for r in after} == {evaluator.rules_version}
    assert evaluator.ready() and evaluator.restarts == 0

    reloaded_version = evaluator.rules_version
    overrides.write_text("overrides: [\n", encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="doseguard.service.workers"):
        evaluator.reload()
    assert evaluator.rules_version == reloaded_version
    assert asyncio.run(evaluator.check(example_records)) == after
    assert any("not reloaded" in record.getMessage() for record in caplog.records)


def test_a_reload_lets_the_request_the_old_workers_hold_finish_on_the_old_rules(
    lone: StartEvaluator, example_records: list[InputRecord], tmp_path: Path
) -> None:
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text(OVERRIDES.format(severity="info"), encoding="utf-8")
    evaluator = lone(workers=1, source=RuleSource(overrides=str(overrides)))
    old_version = evaluator.rules_version
    flag = tmp_path / "busy"
    held_records = [marked(example_records[0], "ORD-HELD", busy_flag=str(flag))]

    async def scenario() -> tuple[list[OrderResult], list[OrderResult]]:
        held = asyncio.create_task(evaluator.check(held_records))
        await asyncio.to_thread(wait_for, flag)
        overrides.write_text(OVERRIDES.format(severity="critical"), encoding="utf-8")
        reloading = asyncio.create_task(asyncio.to_thread(evaluator.reload))
        while evaluator.rules_version == old_version:  # the new generation is ready
            await asyncio.sleep(0.01)
        new = await evaluator.check(example_records[:2])
        flag.unlink()
        await reloading
        return await held, new

    held, new = asyncio.run(scenario())
    assert [r.status for r in held] != [ResultStatus.ERROR] and held[0].rules_version == old_version
    assert {r.rules_version for r in new} == {evaluator.rules_version} != {old_version}


def test_close_waits_for_the_request_in_flight_then_stops_the_workers(
    lone: StartEvaluator, example_records: list[InputRecord], tmp_path: Path
) -> None:
    evaluator = lone()
    pids = evaluator.worker_pids()
    flag = tmp_path / "busy"
    request = [marked(example_records[0], "ORD-1001", busy_flag=str(flag)), *example_records[1:3]]

    async def scenario() -> tuple[list[OrderResult], list[OrderResult]]:
        held = asyncio.create_task(evaluator.check(request))
        await asyncio.to_thread(wait_for, flag)
        closing = asyncio.create_task(evaluator.close())
        await asyncio.sleep(0)
        late = await evaluator.check(example_records[:1])
        flag.unlink()
        await closing
        return await held, late

    held, late = asyncio.run(scenario())
    assert held == in_process(request)
    assert_not_checked(late, example_records[:1], "the service is shutting down")
    assert not evaluator.ready()
    assert all(not Path(f"/proc/{pid}").exists() or _zombie(pid) for pid in pids)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except OSError:
        return True


def test_a_worker_killed_while_idle_is_replaced_and_no_request_pays_for_it(
    lone: StartEvaluator, example_records: list[InputRecord]
) -> None:
    evaluator = lone(workers=2)
    victim = evaluator.worker_pids()[0]
    os.kill(victim, signal.SIGKILL)
    while Path(f"/proc/{victim}").exists() and not _zombie(victim):  # dead before any request is sent
        time.sleep(0.01)
    requests = [example_records[i : i + 2] for i in range(0, 16, 2)]

    async def all_at_once() -> list[list[OrderResult]]:
        return await asyncio.gather(*(evaluator.check(request) for request in requests))

    assert asyncio.run(all_at_once()) == [in_process(request) for request in requests]
    while evaluator.restarts == 0 or len(evaluator.worker_pids()) < 2:  # noticed idle, or by a request
        time.sleep(0.05)
    assert evaluator.restarts == 1 and victim not in evaluator.worker_pids()


def test_a_worker_process_that_cannot_be_created_makes_requests_not_checked_never_unanswered(
    monkeypatch: pytest.MonkeyPatch, example_records: list[InputRecord]
) -> None:
    def no_process(*args: object) -> None:
        raise OSError(24, "Too many open files")

    monkeypatch.setattr("doseguard.service.workers.Worker.start", no_process)
    evaluator = ProcessEvaluator(workers=1)
    try:
        assert not evaluator.wait_ready()
        request = example_records[:2]
        answered = asyncio.run(asyncio.wait_for(evaluator.check(request), timeout=60))
        assert_not_checked(
            answered, request, "no worker could start (OSError: [Errno 24] Too many open files)"
        )
    finally:
        asyncio.run(asyncio.wait_for(evaluator.close(), timeout=60))
