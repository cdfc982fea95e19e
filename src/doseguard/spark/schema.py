"""The columns of a results DataFrame (the JSON Lines result's fields, one column each, plus
``severity`` and ``result``, the exact JSON Lines line) and of the prepared input the executors read."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from doseguard.results import OrderResult

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
        ("payload", pa.string()),  # a JSON line, a CSV row's cells as a JSON array
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
