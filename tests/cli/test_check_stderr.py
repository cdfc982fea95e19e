"""What ``doseguard check`` says on stderr: one summary line for a log, a warning for an input that held
no record, and a progress bar whose percentage and count agree and that ends its line."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from doseguard.cli import main as cli_main
from doseguard.io.chunk_reader import ChunkReader
from doseguard.results import ResultStatus
from tests.helpers.cli import invoke, jsonl
from tests.helpers.orders import CRITICAL, INVALID, PASSING, WARNING, order

NOT_EVALUATED_LINE = "doseguard: not evaluated, for want of patient history"
"""The bundled packs' history rules cannot be checked without history: a run without it says so once."""


def test_a_stderr_that_is_not_a_terminal_gets_one_summary_line_at_the_end(tmp_path: Path) -> None:
    done = invoke("check", jsonl(tmp_path, PASSING, WARNING, CRITICAL, INVALID), "-o", tmp_path / "out.jsonl")
    assert done.exit_code == 1
    # The run's one notice that history rules were not evaluated (no history given), then the summary.
    lines = [line for line in done.stderr.splitlines() if not line.startswith(NOT_EVALUATED_LINE)]
    assert len(lines) == 1, done.stderr
    assert lines[0] == (
        "doseguard: 4 orders: 1 pass, 2 flagged (1 critical, 1 warning, 0 info), 1 invalid, 0 error, 0 not covered, "
        "0 inactive"
    )


def test_the_summary_line_names_every_result_status(tmp_path: Path) -> None:
    done = invoke("check", jsonl(tmp_path, PASSING), "-o", tmp_path / "out.jsonl")
    assert done.exit_code == 0
    line = done.stderr.splitlines()[-1]
    for status in ResultStatus:
        assert f" {status.value.replace('_', ' ')}" in line


def test_the_summary_line_writes_thousands_with_a_separator(tmp_path: Path) -> None:
    orders = [order(f"O{n}") for n in range(1200)]
    done = invoke("check", jsonl(tmp_path, *orders), "-o", tmp_path / "out.jsonl")
    assert done.stderr.splitlines()[-1].startswith("doseguard: 1,200 orders: 1,200 pass")


def test_the_summary_line_follows_a_table_on_stdout_when_stderr_is_a_log(tmp_path: Path) -> None:
    done = invoke("check", jsonl(tmp_path, PASSING), "--format", "table")
    assert [line for line in done.stderr.splitlines() if not line.startswith(NOT_EVALUATED_LINE)] == [
        "doseguard: 1 order: 1 pass, 0 flagged (0 critical, 0 warning, 0 info), 0 invalid, 0 error, 0 not covered, "
        "0 inactive"
    ]


@pytest.mark.parametrize(
    "content",
    [b"", b"\n\n", b"order_id,patient_id,drug\r\n"],
    ids=["empty", "blank lines", "csv header only"],
)
def test_an_input_with_no_record_is_a_warning_and_exits_0(tmp_path: Path, content: bytes) -> None:
    name = "orders.csv" if content.startswith(b"order_id") else "orders.jsonl"
    path = tmp_path / name
    path.write_bytes(content)
    done = invoke("check", path, "-o", tmp_path / "out.jsonl")
    assert done.exit_code == 0
    assert f"doseguard: warning: {path} held no order records: nothing was checked" in done.stderr
    assert (tmp_path / "out.jsonl").read_bytes() == b""


def test_an_input_that_holds_records_gets_no_empty_warning(tmp_path: Path) -> None:
    done = invoke("check", jsonl(tmp_path, PASSING), "-o", tmp_path / "out.jsonl")
    assert "held no order records" not in done.stderr


def test_each_empty_input_among_others_is_named(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    done = invoke("check", jsonl(tmp_path, PASSING), empty, "-o", tmp_path / "out.jsonl")
    assert f"doseguard: warning: {empty} held no order records" in done.stderr
    assert "orders.jsonl held no" not in done.stderr


# --- the progress bar ---------------------------------------------------------------------------------


def _drawn(tmp_path: Path, updates: list[tuple[int, int]], *, finish: bool = True) -> str:
    path = tmp_path / "orders.jsonl"
    path.write_bytes(b"x" * 1000)
    reader = ChunkReader([str(path)])
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100, color_system=None)
    with cli_main._progress(reader, console=console) as update:
        assert update is not None
        for done_bytes, orders in updates:
            update(done_bytes, orders)
        if finish:
            update.finish()
    return screen.getvalue()


def test_the_progress_bar_ends_with_a_newline(tmp_path: Path) -> None:
    assert _drawn(tmp_path, [(500, 5), (1000, 10)]).rstrip("\x1b[?25h").endswith("\n")


def test_the_finished_progress_bar_shows_100_percent_with_the_final_count(tmp_path: Path) -> None:
    # The bytes counted when the last chunk was cut are short of the file's size (a trailing blank
    # line, a gzip's own bytes): the run is done, so the bar says 100% with every order counted.
    final = _drawn(tmp_path, [(400, 5), (900, 12)]).rsplit("\r", 1)[-1]
    assert "100%" in final
    assert "12 orders" in final


def test_a_run_that_stops_does_not_draw_100_percent(tmp_path: Path) -> None:
    drawn = _drawn(tmp_path, [(400, 5)], finish=False)
    assert "100%" not in drawn
