"""Encode one result as bytes, for the batch path: JSON Lines and CSV rows.

Workers encode and the main process only joins, so these functions decide the exact bytes of the
output, whatever the number of workers. The part of a line after the record's identity is the same
for every record with the same outcome, so it is encoded once and reused.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import orjson

from doseguard.results import OrderResult

CSV_COLUMNS = (
    "record", "source", "order_id", "patient_id", "status", "rule_id", "severity", "message", "errors",
    "warnings", "rules_version",
)  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_TAIL_CACHE_SIZE = 4096

Encoder = Callable[[OrderResult], bytes]


def spreadsheet_safe(value: object) -> str:
    """Text that a spreadsheet shows as text (OWASP CSV injection): a leading ' defuses formulas."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


class JsonLineEncoder:
    """``{"record":..,"source":..,"order_id":..,"patient_id":..,"status":..,...}`` plus a newline."""

    def __init__(self) -> None:
        self._tails: dict[tuple[Any, ...], bytes] = {}

    def __call__(self, result: OrderResult) -> bytes:
        head = orjson.dumps(
            {
                "record": result.record,
                "source": result.source,
                "order_id": result.order_id,
                "patient_id": result.patient_id,
            }
        )
        key = (result.status, result.findings, result.errors, result.warnings, result.rules_version,
               result.not_evaluated)  # fmt: skip
        tail = self._tails.get(key)
        if tail is None:
            tail = orjson.dumps(result.outcome_dict())
            if len(self._tails) >= _TAIL_CACHE_SIZE:
                self._tails.clear()
            self._tails[key] = tail
        return head[:-1] + b"," + tail[1:] + b"\n"


def csv_header() -> bytes:
    return _csv_bytes([list(CSV_COLUMNS)])


def encode_csv_rows(result: OrderResult) -> bytes:
    """One row per finding; a passing, invalid or failed order gets one row without a rule."""
    base = [str(result.record), result.source, result.order_id, result.patient_id, result.status.value]
    errors = "; ".join(str(e) for e in result.errors)
    rows: list[list[str]] = []
    warnings = "; ".join(result.warnings)
    if not result.findings:
        rows.append(
            [spreadsheet_safe(v) for v in (*base, "", "", "", errors, warnings, result.rules_version)]
        )
    for finding in result.findings:
        cells = (*base, finding.rule_id, finding.severity.value, finding.message, errors, warnings,
                 result.rules_version)  # fmt: skip
        rows.append([spreadsheet_safe(v) for v in cells])
    return _csv_bytes(rows)


def _csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")
