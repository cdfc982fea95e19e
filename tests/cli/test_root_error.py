"""The CLI catches the root of the error tree in one place: any DoseguardError a command lets go of is
one line on stderr (``doseguard: ...``) and exit status 2, never a traceback or exit 1 ("a finding")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from doseguard.cli import main as cli_main
from doseguard.cli.main import cli
from doseguard.errors import DoseguardError, InputError, WorkerStartError

ORDER = (
    '{"order_id": "O1", "patient_id": "P1", "drug": "cyanocobalamin", "dose": "1000 mcg", "volume": "1 mL", '
    '"concentration": "1000 mcg/mL", "route": "IM", "frequency": "monthly"}\n'
)


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (
            WorkerStartError("workers cannot start: rules changed on disk"),
            "workers cannot start: rules changed on disk",
        ),
        (InputError("orders.jsonl", "truncated gzip data"), "orders.jsonl: truncated gzip data"),
        (DoseguardError("anything else of ours"), "anything else of ours"),
    ],
)
def test_a_doseguard_error_out_of_a_command_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: DoseguardError, said: str
) -> None:
    orders = tmp_path / "orders.jsonl"
    orders.write_text(ORDER, encoding="utf-8")

    def fail(*_: Any, **__: Any) -> None:
        raise error

    monkeypatch.setattr(cli_main, "run_batch", fail)
    done = CliRunner().invoke(cli, ["check", str(orders), "-o", str(tmp_path / "out.jsonl")])
    assert done.exit_code == 2
    assert done.stderr == f"doseguard: {said}\n"
    assert not (tmp_path / "out.jsonl").exists()  # nothing half-written is left
