"""Rule files and a site's overrides file, as the loader's and the commands' tests write them."""

from __future__ import annotations

import textwrap
from pathlib import Path

VALID_RULE = """\
rules:
  - id: TEST-HIGH
    title: High dose
    severity: warning
    description: A test rule.
    references: [a source]
    parameters:
      limit: 1000
    when: dose_mcg > limit
    message: "{dose_mcg} mcg is more than {limit} mcg"
"""

FIXED_RULE = """\
rules:
  - id: TEST-VOLUME
    title: Volume does not deliver the dose
    severity: critical
    description: A test rule.
    references: [a source]
    parameters:
      strength: 1000
    when: abs(volume_ml - dose_mcg / strength) > 0.005
    message: "{volume_ml} mL"
    fix:
      volume_ml: dose_mcg / strength
    override_reasons:
      - code: prescriber-confirmed
        display: Prescriber confirmed the volume
      - code: local-product
        display: Another strength is in use
        system: https://hospital.example/override
"""
"""A rule with a fix (the volume that delivers the dose) and two override reasons, one of them with
its own code system."""

SITE_OVERRIDES = """\
    site: St Elsewhere pharmacy
    overrides:
      - rule: B12-SITE-VOLUME
        reason: Trust IM policy caps the deltoid at 1 mL
        parameters:
          site_max_volume_ml: {deltoid: 1}
      - rule: B12-DOSE-HIGH
        reason: Haematology wants these stopped
        severity: critical
"""
"""Over the bundled b12 pack: the deltoid capped at 1 mL, B12-DOSE-HIGH made critical (indented:
written through ``textwrap.dedent``)."""


def write_pack(folder: Path, text: str, name: str = "rules.yaml") -> Path:
    """One rule file ``name`` of ``text`` (dedented) in ``folder``, made if need be."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path
