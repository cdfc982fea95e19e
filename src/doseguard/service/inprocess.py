"""An :class:`~doseguard.service.ports.Evaluator` in the server's own process: one ``Checker`` run in a
thread, one request at a time. What tests use, and what ``doseguard serve`` runs until the supervised
worker processes take over (an engine crash would take this process with it)."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence

from doseguard.checker import Checker
from doseguard.errors import DoseguardError
from doseguard.records import InputRecord, record_ids
from doseguard.results import OrderResult, ResultError, ResultStatus
from doseguard.rules.model import RuleSet

log = logging.getLogger(__name__)


class InProcessEvaluator:
    """Checks each request's records with one :class:`Checker`, serialised (the engine is not
    thread-safe); ``load`` builds the rules (again on :meth:`reload`)."""

    def __init__(self, load: Callable[[], RuleSet]) -> None:
        self._load = load
        self._checker = Checker(load())
        self._lock = threading.Lock()

    @property
    def rules_version(self) -> str:
        return self._checker.rules.version

    @property
    def restarts(self) -> int:
        return 0

    def ready(self) -> bool:
        return True

    async def check(self, records: Sequence[InputRecord]) -> list[OrderResult]:
        """One result per record, in order; a failure of the checker itself makes every record of
        the request ``error`` (not checked), never an exception or a missing result."""
        try:
            return await asyncio.to_thread(self._check, list(records))
        except Exception as error:
            log.exception("evaluation failed")
            return failed_results(records, f"evaluation failed: {type(error).__name__}", self.rules_version)

    def _check(self, records: list[InputRecord]) -> list[OrderResult]:
        with self._lock:
            checker = self._checker
            return list(checker.check_all(records))

    def reload(self) -> None:
        """New rules for the requests after this one; rules that fail to load leave the old ones."""
        try:
            checker = Checker(self._load())
        except DoseguardError as error:
            log.error("rules not reloaded, the old ones still answer: %s", error)
            return
        with self._lock:
            self._checker = checker

    async def close(self) -> None:
        return None


def failed_results(records: Sequence[InputRecord], message: str, rules_version: str) -> list[OrderResult]:
    """``error`` results for records whose evaluation failed as a whole."""
    results = []
    for number, record in enumerate(records, start=1):
        order_id, patient_id = record_ids(record.data)
        error = (ResultError(None, message),)
        results.append(
            OrderResult(
                number,
                record.source,
                order_id,
                patient_id,
                ResultStatus.ERROR,
                errors=error,
                rules_version=rules_version,
            )
        )
    return results
