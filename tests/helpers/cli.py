"""Running doseguard's commands from a test: the installed script (exit statuses, signals, real
stdio) or click's ``CliRunner`` (in-process), and the order files they read."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from doseguard.cli.main import cli

DOSEGUARD = Path(sys.executable).with_name("doseguard")
if not DOSEGUARD.exists():  # pragma: no cover - a venv without the script
    DOSEGUARD = Path(shutil.which("doseguard") or "doseguard")


def jsonl(tmp_path: Path, *records: dict[str, Any] | str, name: str = "orders.jsonl") -> Path:
    """A JSON Lines file of these records (a string is written as the line it is)."""
    path = tmp_path / name
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def invoke(*args: str | Path, stdin: bytes | None = None, env: dict[str, str] | None = None) -> Result:
    """The command run in-process by click's ``CliRunner`` (stdout and stderr apart)."""
    return CliRunner().invoke(cli, [str(a) for a in args], input=stdin, env=env)


def doseguard(*args: str | Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    """The command run through the installed script, whose ``main()`` maps errors to exit statuses."""
    return subprocess.run(
        [str(DOSEGUARD), *(str(a) for a in args)],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def results(text: str) -> list[dict[str, Any]]:
    """The results of a JSON Lines output."""
    return [json.loads(line) for line in text.splitlines()]
