"""``python -m doseguard`` is the ``doseguard`` command (a venv without its scripts on PATH)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).parents[1] / "examples"


def test_python_m_doseguard_runs_the_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "doseguard", "check", str(EXAMPLES / "orders.jsonl"), "--fail-on", "never"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == len((EXAMPLES / "orders.jsonl").read_text().splitlines())
    assert "orders:" in done.stderr.splitlines()[-1]
