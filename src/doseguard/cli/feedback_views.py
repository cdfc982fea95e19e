"""``doseguard feedback report`` written as a table (for people), JSON or CSV (for programs and
spreadsheets). Rule ids and override reasons come from the EHR's feedback: escaped for a terminal,
defused for a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from doseguard.feedback.report import OverrideReport, ReasonCount, RuleOverrides
from doseguard.io.encoders import spreadsheet_safe
from doseguard.printable import printable
from doseguard.rules.views import aligned

REPORT_FORMATS = ("table", "json", "csv")
NO_RULE = "(no rule)"
"""Cards that are no rule's finding (an order not checked)."""
UNKNOWN_CARD = "(unknown card)"
"""Feedback on cards this store never issued."""
CSV_COLUMNS = (
    "row", "rule_id", "cards_issued", "feedback", "accepted", "overridden", "override_rate",
    "reason_code", "reason_system", "reason_display", "reason_count", "reason_share",
)  # fmt: skip


def report_text(report: OverrideReport, fmt: str) -> str:
    return {"table": report_table, "json": report_json, "csv": report_csv}[fmt](report)


def _label(rule: RuleOverrides, unknown: bool = False) -> str:
    return UNKNOWN_CARD if unknown else rule.rule_id or NO_RULE


def _rows(report: OverrideReport) -> list[tuple[RuleOverrides, str]]:
    """Each rule with its label, and the unknown cards' feedback last when there is any."""
    rows = [(rule, _label(rule)) for rule in report.rules]
    if report.unknown_card.feedback:
        rows.append((report.unknown_card, UNKNOWN_CARD))
    return rows


def _moment(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _period(report: OverrideReport) -> str:
    since = _moment(report.since) or "the first feedback"
    until = f"{_moment(report.until)} (excluded)" if report.until else "now"
    services = f"service {report.service_id}" if report.service_id else "all services"
    return f"Overrides from {since} to {until}, {services}"


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.1f}%"


def _reason(reason: ReasonCount) -> str:
    return reason.code or "(no reason given)"


def report_table(report: OverrideReport) -> str:
    header = ("RULE", "CARDS", "FEEDBACK", "ACCEPTED", "OVERRIDDEN", "OVERRIDE RATE")
    rows = _rows(report)
    lines = [printable(_period(report)), ""]
    if not rows:
        return "\n".join([*lines, "No cards and no feedback in this period."]) + "\n"
    table: list[Sequence[str]] = [
        (
            printable(label),
            str(rule.cards_issued) if label != UNKNOWN_CARD else "-",
            str(rule.feedback),
            str(rule.accepted),
            str(rule.overridden),
            _percent(rule.override_rate),
        )
        for rule, label in rows
    ]
    lines.append(aligned(header, table))
    reasons = [
        (printable(label), printable(_reason(reason)), str(reason.count), _percent(reason.share), reason)
        for rule, label in rows
        for reason in rule.reasons
    ]
    if reasons:
        lines += [
            "",
            aligned(
                ("RULE", "REASON", "COUNT", "SHARE", "DISPLAY"),
                [(*cells, printable(reason.display or "")) for *cells, reason in reasons],
            ),
        ]
    return "\n".join(lines) + "\n"


def _reasons_data(rule: RuleOverrides) -> list[dict[str, Any]]:
    return [
        {"code": r.code, "system": r.system, "display": r.display, "count": r.count, "share": r.share}
        for r in rule.reasons
    ]


def _counts_data(rule: RuleOverrides) -> dict[str, Any]:
    return {
        "feedback": rule.feedback,
        "accepted": rule.accepted,
        "overridden": rule.overridden,
        "override_rate": rule.override_rate,
        "reasons": _reasons_data(rule),
    }


def report_data(report: OverrideReport) -> dict[str, Any]:
    """The report as JSON data: times in ISO 8601 (UTC), rates as fractions (null: no feedback)."""
    return {
        "since": _moment(report.since),
        "until": _moment(report.until),
        "until_excluded": True,
        "service_id": report.service_id,
        "rules": [
            {"rule_id": rule.rule_id, "cards_issued": rule.cards_issued, **_counts_data(rule)}
            for rule in report.rules
        ],
        "unknown_card": _counts_data(report.unknown_card),
    }


def report_json(report: OverrideReport) -> str:
    return json.dumps(report_data(report), indent=2, ensure_ascii=False) + "\n"


def _fraction(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def report_csv(report: OverrideReport) -> str:
    """One ``rule`` row per rule, followed by one ``reason`` row per override reason of it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for rule, label in _rows(report):
        issued = "" if label == UNKNOWN_CARD else str(rule.cards_issued)
        counts = [str(rule.feedback), str(rule.accepted), str(rule.overridden)]
        writer.writerow(["rule", spreadsheet_safe(label), issued, *counts, _fraction(rule.override_rate)])
        for reason in rule.reasons:
            writer.writerow(
                [
                    "reason",
                    spreadsheet_safe(label),
                    *([""] * 5),
                    spreadsheet_safe(reason.code),
                    spreadsheet_safe(reason.system),
                    spreadsheet_safe(reason.display),
                    str(reason.count),
                    _fraction(reason.share),
                ]
            )
    return buffer.getvalue()
