"""The CSV opening of a patient-context file is the orders reader's (``io/csv_open.py``): each way an
orders CSV may be written (Excel's ``sep=;`` line, files joined with ``cat``, BOMs, CRLF, blank lines,
TSV, ``.gz``, quoted line breaks, header spelling) reads the same in a labs, MAR or patients file."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest

from doseguard.errors import InputError
from doseguard.io.history_records import ADMINISTRATIONS, LABS, PATIENTS
from doseguard.io.history_rows import Columns, RowReader

HEADER = "patient_id,test,value,unit,taken_at"
ROW = "P1,hb,11,g/dL,2026-02-01"
READ = {"patient_id": "P1", "test": "hb", "value": "11", "unit": "g/dL", "taken_at": "2026-02-01"}


def rows(path: Path, columns: Columns = LABS, warnings: list[str] | None = None) -> list[Any]:
    said = warnings if warnings is not None else []
    return list(RowReader(said.append).rows(str(path), columns))


def write(tmp_path: Path, text: str, name: str = "labs.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


@pytest.mark.parametrize("columns", [LABS, ADMINISTRATIONS, PATIENTS], ids=lambda c: c.kind)
def test_an_excel_sep_line_names_the_delimiter_of_every_kind(tmp_path: Path, columns: Columns) -> None:
    header = ";".join(columns.required)
    row = ";".join("2026-02-01" if name.endswith("_at") else "x" for name in columns.required)
    path = write(tmp_path, f"sep=;\n{header}\n{row}\n")
    (source, cells), *_ = rows(path, columns)
    assert source == f"{path}:3"
    assert isinstance(cells, dict) and cells["patient_id"] == "x"


def test_a_repeated_header_line_is_said_as_one_not_read_as_a_lab(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER}\n{ROW}\n{HEADER}\n{ROW}\n")
    assert rows(path) == [
        (f"{path}:2", READ),
        (f"{path}:3", "the header line again (files joined?): not a record; the rows after it are read"),
        (f"{path}:4", READ),
    ]


def test_a_repeated_header_with_a_bom_of_the_joined_file_is_said_too(tmp_path: Path) -> None:
    path = write(tmp_path, f"\ufeff{HEADER}\n{ROW}\n\ufeff{HEADER}\n{ROW}\n")
    assert rows(path)[1][1].startswith("the header line again")


def test_another_header_line_refuses_the_file_as_for_orders(tmp_path: Path) -> None:
    path = write(
        tmp_path, f"{HEADER}\n{ROW}\npatient_id,taken_at,test,value,unit\nP1,2026-02-01,hb,11,g/dL\n"
    )
    with pytest.raises(InputError, match="line 3 is another header line"):
        rows(path)


def test_bom_crlf_and_blank_lines(tmp_path: Path) -> None:
    path = write(tmp_path, f"\ufeff{HEADER}\r\n\r\n{ROW}\r\n  \r\n{ROW}\r\n")
    assert rows(path) == [(f"{path}:3", READ), (f"{path}:5", READ)]


def test_tsv_and_gz(tmp_path: Path) -> None:
    path = tmp_path / "labs.tsv.gz"
    path.write_bytes(gzip.compress(f"{HEADER}\n{ROW}\n".replace(",", "\t").encode()))
    assert rows(path) == [(f"{path}:2", READ)]


def test_a_quoted_line_break_keeps_the_lines_after_it_numbered(tmp_path: Path) -> None:
    path = write(tmp_path, f'{HEADER},note\n{ROW},"two\nlines"\n{ROW},x\n')
    assert rows(path) == [(f"{path}:2", READ), (f"{path}:4", READ)]


def test_a_line_break_in_a_column_read_is_a_quote_left_open_as_in_an_order(tmp_path: Path) -> None:
    path = write(tmp_path, f'{HEADER}\nP1,hb,11,"g/\ndL",2026-02-01\n{ROW}\n')
    said = rows(path)
    assert said[0] == (
        f"{path}:2",
        "a quote opened on this line is not closed on it (a line break in the unit cell); "
        "the next lines are read alone",
    )
    assert said[-1] == (f"{path}:4", READ)


def test_header_spelling_is_the_orders_readers(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeff Patient ID ; Test ;VALUE; unit ;Taken-At\n" + ROW.replace(",", ";") + "\n")
    assert rows(path) == [(f"{path}:2", READ)]


def test_a_semicolon_header_with_a_quoted_delimiter_is_sniffed_as_the_orders_header_is(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, f'{HEADER.replace(",", ";")};"note, free"\n{ROW.replace(",", ";")};x\n')
    assert rows(path) == [(f"{path}:2", READ)]


def test_a_latin1_byte_names_its_cell_and_byte_as_for_orders(tmp_path: Path) -> None:
    path = tmp_path / "labs.csv"
    path.write_bytes(f"{HEADER}\n".encode() + b"P1,hb,11,\xb5g/dL,2026-02-01\n")
    ((source, why),) = rows(path)
    assert source == f"{path}:2"
    assert isinstance(why, str) and why.startswith("unit: not UTF-8") and "0xB5" in why


def test_a_jsonl_file_holding_a_json_array_is_one_problem_and_not_read(tmp_path: Path) -> None:
    path = write(
        tmp_path, '\n[\n  {"patient_id": "P1", "test": "hb"},\n  {"patient_id": "P1"}\n]\n', "labs.jsonl"
    )
    ((source, why),) = rows(path)
    assert source == f"{path}:2"
    assert isinstance(why, str) and why.startswith("a JSON array, not JSON Lines (one object a line)")


def test_a_header_naming_a_column_twice_refuses_the_file_as_for_orders(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER},Test\n{ROW},x\n")
    with pytest.raises(InputError, match=r"the header repeats the column\(s\) test"):
        rows(path)
