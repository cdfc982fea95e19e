"""The columns of a results DataFrame (the JSON Lines result's fields, one column each, plus
``severity`` and ``result``, the exact JSON Lines line) and of the prepared input the executors read."""

from __future__ import annotations

from typing import Any

import orjson
import pyarrow as pa

from doseguard.results import OrderResult, ResultStatus
from doseguard.rules.model import Severity

FINDING = pa.struct(
    [
        ("rule_id", pa.string()),
        ("severity", pa.string()),
        ("title", pa.string()),
        ("message", pa.string()),
        ("pack", pa.string()),
        ("evaluated", pa.bool_()),
    ]
)
ERROR = pa.struct([("field", pa.string()), ("message", pa.string())])

RESULTS = pa.schema(
    [
        ("record", pa.int64()),
        ("source", pa.string()),
        ("order_id", pa.string()),
        ("patient_id", pa.string()),
        ("status", pa.string()),
        ("severity", pa.string()),  # invalid and error are critical, as --fail-on counts them
        ("findings", pa.list_(FINDING)),
        ("errors", pa.list_(ERROR)),
        ("warnings", pa.list_(pa.string())),
        ("not_evaluated", pa.list_(pa.string())),
        ("rules_version", pa.string()),
        ("result", pa.string()),  # the JSON Lines line, without its newline: byte for byte the same
    ]
)
"""One row per input record."""

PREPARED = pa.schema(
    [
        ("record", pa.int64()),  # 1-based, in input order, numbered before any shuffle
        ("input", pa.int32()),  # which input (its name, kind and header: InputSpec)
        ("line", pa.int64()),  # where in it (a line, a CSV row's line, a row of a table)
        ("patient_key", pa.string()),  # what the frame is partitioned by
        ("payload", pa.binary()),  # a JSON line as read, a CSV row's cells as a JSON array
    ]
)
"""What executors are given: records numbered and named, their content as it was read."""


def result_row(result: OrderResult, line: bytes) -> dict[str, Any]:
    """A result as a row of :data:`RESULTS` (``line``: its JSON Lines encoding)."""
    severity = result.severity
    return {
        "record": result.record,
        "source": result.source,
        "order_id": result.order_id,
        "patient_id": result.patient_id,
        "status": result.status.value,
        "severity": severity.value if severity is not None else None,
        "findings": [
            {
                "rule_id": f.rule_id,
                "severity": f.severity.value,
                "title": f.title,
                "message": f.message,
                "pack": f.pack,
                "evaluated": f.evaluated,
            }
            for f in result.findings
        ],
        "errors": [e.as_dict() for e in result.errors],
        "warnings": list(result.warnings),
        "not_evaluated": list(result.not_evaluated),
        "rules_version": result.rules_version,
        "result": line.decode("utf-8").removesuffix("\n"),
    }


_RANK = {severity.value: severity.rank for severity in Severity}
_CRITICAL = {ResultStatus.INVALID.value, ResultStatus.ERROR.value}


def result_of_line(line: bytes) -> dict[str, Any]:
    """A row of :data:`RESULTS` from a result's JSON Lines line (``line``, its newline included),
    the severity derived as :attr:`OrderResult.severity` derives it."""
    said: dict[str, Any] = orjson.loads(line)
    findings = said["findings"]
    if said["status"] in _CRITICAL:
        severity: str | None = Severity.CRITICAL.value
    else:
        severity = max((f["severity"] for f in findings), key=_RANK.__getitem__) if findings else None
    said["severity"] = severity
    said.setdefault("not_evaluated", [])
    said["result"] = line[:-1].decode("utf-8") if line.endswith(b"\n") else line.decode("utf-8")
    return said
