"""Faults a test injects into Spark's Python workers: ``check_prepared(..., before_batch=...)`` hooks,
pickled by reference. Each fails only a task's first attempt, and leaves a file saying it did."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class FailFirstAttempt:
    """A first attempt of a task holding ``record`` (any task, when None) exits its Python worker
    (``how="exit"``, as a killed executor's worker), raises (``how="raise"``, a failed task), or
    ``how="both"``: exits in even partitions, raises in odd ones."""

    marks: str  # a folder: one file per fault injected
    how: str
    record: int | None = None

    def __call__(self, batch: Any) -> None:
        from pyspark import TaskContext  # noqa: PLC0415

        context = TaskContext.get()
        if context is None or context.attemptNumber() != 0:
            return
        if self.record is not None and self.record not in batch.column("record").to_pylist():
            return
        how = self.how
        if how == "both":
            how = "exit" if context.partitionId() % 2 == 0 else "raise"
        mark = Path(self.marks) / f"{how}-{context.stageId()}-{context.partitionId()}"
        mark.write_text(str(context.taskAttemptId()))
        if how == "exit":
            os._exit(3)
        raise RuntimeError("a task failure injected by the test")
