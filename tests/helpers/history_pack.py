"""A rule pack with a history block, shared by the rules and CLI tests of history aggregates."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.rule_files import write_pack

PACK = """\
name: b12
title: Vitamin B12
drugs:
  - name: cyanocobalamin
course_gap_days: 60
unevaluated_severity: warning
history:
  haemoglobin_latest:
    latest: Hgb
    within_days: 30
    description: The response to treatment.
  doses_given:
    count: administrations
    within_days: 90
"""

RULES = """\
rules:
  - id: B12-HB-LOW
    title: Haemoglobin low
    severity: warning
    description: A test rule.
    references: [a source]
    when: haemoglobin_latest < 8 and doses_given >= 3
    message: "Haemoglobin {haemoglobin_latest} g/dL after {doses_given} doses"
  - id: B12-HB-LOW-SAYS
    title: Haemoglobin low, with its own not-evaluated words
    severity: warning
    description: A test rule.
    references: [a source]
    when: haemoglobin_latest < 7
    message: "Haemoglobin {haemoglobin_latest} g/dL"
    unevaluated:
      severity: critical
      message: No recent haemoglobin; check one before the next dose.
"""


def pack(folder: Path, pack_text: str = PACK, rules: str = RULES) -> Path:
    write_pack(folder, pack_text, "pack.yaml")
    write_pack(folder, rules)
    return folder
