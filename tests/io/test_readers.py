"""Reading records from JSON Lines, JSON and CSV files and stdin: every record read is a record reported."""

from __future__ import annotations

import gzip
import io
import sys
from pathlib import Path

import pytest

from doseguard.errors import FieldProblem, InputError
from doseguard.io.readers import input_format, read_input, read_inputs
from doseguard.records import InputRecord

BOM = b"\xef\xbb\xbf"


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def read(path: str) -> list[InputRecord]:
    return list(read_input(path))


class FakeStdin:
    """What the reader uses of ``sys.stdin``: its binary ``buffer``."""

    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


def read_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> list[InputRecord]:
    monkeypatch.setattr(sys, "stdin", FakeStdin(data))
    return list(read_input("-"))


# --- formats ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("a.jsonl", "jsonl"),
        ("a.ndjson", "jsonl"),
        ("a.json", "json"),
        ("a.csv", "csv"),
        ("A.CSV", "csv"),
        ("dir.v2/a.JSONL", "jsonl"),
    ],
)
def test_input_format_from_the_extension(name: str, kind: str) -> None:
    assert input_format(name) == kind


@pytest.mark.parametrize("name", ["orders.txt", "orders", "orders.txt.gz", "orders.yaml"])
def test_unknown_extension_is_an_input_error(name: str) -> None:
    with pytest.raises(InputError) as info:
        input_format(name)
    assert info.value.path == name
    assert "unknown input format" in info.value.message
    assert ".jsonl, .ndjson, .json, .csv or .tsv" in info.value.message


@pytest.mark.parametrize(
    ("name", "kind"), [("orders.csv.gz", "csv"), ("o.JSONL.GZ", "jsonl"), ("b.json.gz", "json")]
)
def test_gzip_files_are_read_through(name: str, kind: str) -> None:
    assert input_format(name) == kind


def test_a_gzip_file_reads_like_the_plain_one(tmp_path: Path) -> None:
    plain = write(tmp_path, "o.jsonl", b'{"order_id": "A"}\n\n{"order_id": "B"}\n')
    packed = tmp_path / "o.jsonl.gz"
    packed.write_bytes(gzip.compress(Path(plain).read_bytes()))
    assert [r.data for r in read(str(packed))] == [r.data for r in read(plain)]
    assert [r.source for r in read(str(packed))] == [f"{packed}:1", f"{packed}:3"]


def test_reading_a_file_with_an_unknown_extension_is_an_input_error(tmp_path: Path) -> None:
    path = write(tmp_path, "orders.txt", b'{"order_id": "A"}\n')
    with pytest.raises(InputError, match=r"unknown input format '\.txt'"):
        read(path)


def test_no_extension_is_named_in_the_error() -> None:
    with pytest.raises(InputError, match=r"\(no extension\)"):
        input_format("orders")


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    path = str(tmp_path / "missing.jsonl")
    with pytest.raises(InputError) as info:
        read(path)
    assert info.value.path == path
    assert "No such file" in info.value.message
    assert str(info.value) == f"{path}: {info.value.message}"


# --- JSON Lines ---------------------------------------------------------------------------------


def test_jsonl_one_record_per_line_with_file_and_line_as_source(tmp_path: Path) -> None:
    path = write(tmp_path, "o.jsonl", b'{"order_id": "A"}\n{"order_id": "B"}\n')
    assert read(path) == [
        InputRecord(f"{path}:1", {"order_id": "A"}),
        InputRecord(f"{path}:2", {"order_id": "B"}),
    ]


def test_jsonl_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    path = write(tmp_path, "o.ndjson", b'\n{"order_id": "A"}\n   \n\t\n{"order_id": "B"}\n\n')
    records = read(path)
    assert [r.source for r in records] == [f"{path}:2", f"{path}:5"]
    assert [r.data for r in records] == [{"order_id": "A"}, {"order_id": "B"}]


def test_jsonl_last_line_without_newline_and_crlf(tmp_path: Path) -> None:
    path = write(tmp_path, "o.jsonl", b'{"a": 1}\r\n{"b": 2}')
    assert [r.data for r in read(path)] == [{"a": 1}, {"b": 2}]


def test_jsonl_a_line_that_is_not_json_becomes_an_error_record(tmp_path: Path) -> None:
    path = write(tmp_path, "o.jsonl", b'{"order_id": "A"}\nthis is not JSON\n{"order_id": "C"}\n')
    first, bad, last = read(path)
    assert first.data == {"order_id": "A"}
    assert bad.source == f"{path}:2"
    assert bad.data is None
    assert bad.error is not None
    assert bad.error.startswith("not JSON: ")
    assert "column 1" in bad.error
    assert last == InputRecord(f"{path}:3", {"order_id": "C"})


def test_jsonl_truncated_object_names_the_column(tmp_path: Path) -> None:
    path = write(tmp_path, "o.jsonl", b'{"order_id": "A", \n')
    (record,) = read(path)
    assert record.error is not None
    assert record.error.startswith("not JSON")
    assert "column" in record.error


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        (b"[1, 2]", "an array"),
        (b'"text"', "a string"),
        (b"42", "a number"),
        (b"null", "null"),
        (b"true", "true/false"),
    ],
)
def test_jsonl_a_line_that_is_not_an_object_becomes_an_error_record(
    tmp_path: Path, line: bytes, kind: str
) -> None:
    path = write(tmp_path, "o.jsonl", line + b'\n{"order_id": "B"}\n')
    bad, good = read(path)
    assert bad == InputRecord(f"{path}:1", None, f"expected a JSON object, got {kind}")
    assert good.data == {"order_id": "B"}


def test_jsonl_utf8_bom_is_ignored(tmp_path: Path) -> None:
    path = write(tmp_path, "o.jsonl", BOM + '{"drug": "cyanocobalamin", "dose": "1000 µg"}\n'.encode())
    (record,) = read(path)
    assert record.error is None
    assert record.data == {"drug": "cyanocobalamin", "dose": "1000 µg"}


def test_jsonl_non_utf8_line_becomes_an_error_record_and_reading_goes_on(tmp_path: Path) -> None:
    path = write(tmp_path, "o.jsonl", '{"drug": "é"}\n'.encode("latin-1") + b'{"order_id": "B"}\n')
    bad, good = read(path)
    assert bad.source == f"{path}:1"
    assert bad.error == (  # the byte (é in Latin-1) and its 1-based position, as for a CSV cell
        "not UTF-8 text (byte 0xE9 at byte 11): a Latin-1 or Windows-1252 file? save it as UTF-8"
    )
    assert good == InputRecord(f"{path}:2", {"order_id": "B"})


def test_jsonl_empty_file_has_no_records(tmp_path: Path) -> None:
    assert read(write(tmp_path, "o.jsonl", b"")) == []


def test_jsonl_is_read_lazily(tmp_path: Path) -> None:
    path = write(tmp_path, "o.jsonl", b'{"a": 1}\n{"b": 2}\n')
    records = read_input(path)
    assert next(records).data == {"a": 1}
    assert next(records).data == {"b": 2}
    with pytest.raises(StopIteration):
        next(records)


# --- JSON ---------------------------------------------------------------------------------------


def test_json_array_of_objects_with_index_as_source(tmp_path: Path) -> None:
    path = write(tmp_path, "o.json", b'[{"order_id": "A"},\n {"order_id": "B"}]')
    assert read(path) == [
        InputRecord(f"{path}:[1]", {"order_id": "A"}),
        InputRecord(f"{path}:[2]", {"order_id": "B"}),
    ]


def test_json_single_object_is_one_record(tmp_path: Path) -> None:
    path = write(tmp_path, "o.json", b'{"order_id": "A"}')
    assert read(path) == [InputRecord(f"{path}:[1]", {"order_id": "A"})]


def test_json_array_item_that_is_not_an_object_is_an_error_record(tmp_path: Path) -> None:
    path = write(tmp_path, "o.json", b'[{"order_id": "A"}, 2, "x", {"order_id": "D"}]')
    records = read(path)
    assert [r.source for r in records] == [f"{path}:[{i}]" for i in range(1, 5)]
    assert records[1].error == "expected a JSON object, got a number"
    assert records[2].error == "expected a JSON object, got a string"
    assert records[3].data == {"order_id": "D"}


def test_json_with_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "o.json", BOM + b'[{"order_id": "A"}]')
    assert [r.data for r in read(path)] == [{"order_id": "A"}]


def test_json_empty_array_has_no_records(tmp_path: Path) -> None:
    assert read(write(tmp_path, "o.json", b"[]")) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not JSON: Expecting value at line 1 column 1"),
        (b'"orders"', "expected a JSON array of orders, got a string"),
        (b"42", "expected a JSON array of orders, got a number"),
        (b"\xff[]", "not UTF-8 text (byte 0xFF at byte 1): a Latin-1 or Windows-1252 file? save it as UTF-8"),
    ],
)
def test_a_json_file_that_cannot_be_read_is_an_input_error(tmp_path: Path, data: bytes, message: str) -> None:
    path = write(tmp_path, "o.json", data)
    with pytest.raises(InputError) as info:
        read(path)
    assert info.value.path == path
    assert info.value.message == message


def test_a_truncated_json_array_reports_what_it_read_and_where_it_broke(tmp_path: Path) -> None:
    """Nothing is lost silently: the records before the fault, then one record for the unreadable rest."""
    path = write(tmp_path, "o.json", b'[{"order_id": "A"}, 1, {"order_id": "B"}, {"ord')
    records = read(path)
    assert [r.source for r in records] == [f"{path}:[{i}]" for i in (1, 2, 3, 4)]
    assert records[0].data == {"order_id": "A"}
    assert records[1].error == "expected a JSON object, got a number"
    assert records[2].data == {"order_id": "B"}
    assert records[3].error is not None
    assert records[3].error.startswith("the file ends inside this record, before the array is closed")


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_rows_with_file_and_line_as_source(tmp_path: Path) -> None:
    path = write(tmp_path, "o.csv", b"order_id,patient_id,drug\nA,P1,cyanocobalamin\nB,P2,b12\n")
    assert read(path) == [
        InputRecord(f"{path}:2", {"order_id": "A", "patient_id": "P1", "drug": "cyanocobalamin"}),
        InputRecord(f"{path}:3", {"order_id": "B", "patient_id": "P2", "drug": "b12"}),
    ]


def test_csv_bom_and_header_whitespace(tmp_path: Path) -> None:
    path = write(tmp_path, "o.csv", BOM + b" order_id ,\tpatient_id, drug\r\nA,P1,x\r\n")
    (record,) = read(path)
    assert record.data == {"order_id": "A", "patient_id": "P1", "drug": "x"}


def test_csv_keeps_semicolon_lists_as_text_for_the_normaliser(tmp_path: Path) -> None:
    path = write(tmp_path, "o.csv", b"order_id,red_flags\nA,missed doses;no response\n")
    (record,) = read(path)
    assert record.data == {"order_id": "A", "red_flags": "missed doses;no response"}


def test_csv_empty_cells_are_kept_as_empty_text(tmp_path: Path) -> None:
    path = write(tmp_path, "o.csv", b"order_id,dose,allergies\nA,,\n")
    (record,) = read(path)
    assert record.data == {"order_id": "A", "dose": "", "allergies": ""}


def test_csv_short_row_is_an_error_like_a_long_row(tmp_path: Path) -> None:
    # A truncated line must not read its lost cells (here the cobalt allergy) as "not stated".
    path = write(tmp_path, "o.csv", b"order_id,patient_id,allergies\nA,P1\nB,P2,cobalt\n")
    records = read(path)
    assert records[0] == InputRecord(f"{path}:2", None, "the row has 2 cells but the header has 3")
    assert records[1].data == {"order_id": "B", "patient_id": "P2", "allergies": "cobalt"}


def test_csv_row_with_too_many_cells_is_an_error_and_the_next_rows_are_read(tmp_path: Path) -> None:
    path = write(tmp_path, "o.csv", b"order_id,patient_id,drug\nA,P1,x\nB,P2,x,EXTRA,MORE\nC,P3,x\nD,P4,x\n")
    records = read(path)
    assert [r.source for r in records] == [f"{path}:{n}" for n in (2, 3, 4, 5)]
    assert records[1] == InputRecord(f"{path}:3", None, "the row has 5 cells but the header has 3")
    assert [r.data["order_id"] for r in records if r.data] == ["A", "C", "D"]


def test_csv_duplicate_header_is_an_input_error(tmp_path: Path) -> None:
    path = write(tmp_path, "o.csv", b"order_id,drug, order_id ,drug,dose\nA,x,B,y,1 mg\n")
    with pytest.raises(InputError) as info:
        read(path)
    assert info.value.path == path
    assert info.value.message == "the header repeats the column(s) drug, order_id"


def test_csv_non_utf8_bytes_spoil_only_their_row(tmp_path: Path) -> None:
    path = write(tmp_path, "o.csv", b"order_id,drug\r\nA,x\r\nB,caf\xe9\r\nC,y\r\n")
    records = read(path)
    assert records == [
        InputRecord(f"{path}:2", {"order_id": "A", "drug": "x"}),
        InputRecord(
            f"{path}:3",
            {"order_id": "B"},
            problems=(FieldProblem("drug", NOT_UTF8 % (0xE9, 4), "caf\\xe9"),),
        ),
        InputRecord(f"{path}:4", {"order_id": "C", "drug": "y"}),
    ]


NOT_UTF8 = "not UTF-8 text (byte 0x%02X at character %d): a Latin-1 or Windows-1252 file? save it as UTF-8"


def test_csv_non_utf8_bytes_name_their_cells(tmp_path: Path) -> None:
    # The row was invalid as "not UTF-8 text", naming no field: which of 12 cells, the dose's µ (0xB5)?
    path = write(tmp_path, "o.csv", b"order_id,patient_id,dose,route\nA\xff,P,1000 \xb5g,IM\n")
    (record,) = read(path)
    assert record.error is None
    assert record.data == {"patient_id": "P", "route": "IM"}  # what is sure, ids for the result
    assert [(p.field, p.message) for p in record.problems] == [
        ("order_id", NOT_UTF8 % (0xFF, 2)),
        ("dose", NOT_UTF8 % (0xB5, 6)),
    ]


def test_csv_utf8_text_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, "o.csv", "order_id,dose,conditions\nA,1000 µg,Leber’s disease\n".encode())
    (record,) = read(path)
    assert record.data == {"order_id": "A", "dose": "1000 µg", "conditions": "Leber’s disease"}


def test_csv_quoted_cells_with_commas_and_newlines(tmp_path: Path) -> None:
    path = write(tmp_path, "o.csv", b'order_id,allergies,notes\nA,"cobalt, latex",\nB,x,"a\nb"\nC,z,\n')
    records = read(path)
    assert [r.data for r in records] == [
        {"order_id": "A", "allergies": "cobalt, latex", "notes": ""},
        {"order_id": "B", "allergies": "x", "notes": "a\nb"},
        {"order_id": "C", "allergies": "z", "notes": ""},
    ]
    assert records[2].source == f"{path}:5"


def test_csv_line_break_in_an_order_field_is_an_error_and_the_lines_it_took_are_read(tmp_path: Path) -> None:
    # An unclosed quote closed by a later one, right before a delimiter, is a legal CSV record of the
    # header's width: it swallowed the 100 mg order silently. No order field holds a line break.
    data = b'order_id,dose,allergies,notes\nA,1000 mcg,"latex\nB,100 mg,none,n\nC,1 mg,",x\n'
    path = write(tmp_path, "o.csv", data)
    records = read(path)
    assert [r.source for r in records] == [f"{path}:{n}" for n in (2, 3, 4)]
    assert records[0].error is not None
    assert "line break in the allergies cell" in records[0].error
    assert records[1].data == {"order_id": "B", "dose": "100 mg", "allergies": "none", "notes": "n"}
    assert records[2].error is not None


def test_csv_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = write(tmp_path, "o.csv", b"order_id,drug\n\nA,x\n\n")
    assert read(path) == [InputRecord(f"{path}:3", {"order_id": "A", "drug": "x"})]


@pytest.mark.parametrize("data", [b"", b"order_id,patient_id,drug\n"])
def test_csv_without_rows_has_no_records(tmp_path: Path, data: bytes) -> None:
    assert read(write(tmp_path, "o.csv", data)) == []


def test_csv_oversized_cell_is_an_error_record_and_reading_goes_on(tmp_path: Path) -> None:
    data = b'order_id,drug\nA,x\nB,"' + b"a" * 200_000 + b'"\nC,z\n'
    records = read(write(tmp_path, "o.csv", data))
    assert len(records) == 3
    assert records[1].error == "the drug cell is 200000 characters long, over the limit of 131072"
    assert records[2].data == {"order_id": "C", "drug": "z"}


def test_csv_error_record_names_its_own_line(tmp_path: Path) -> None:
    data = b'order_id,drug\nA,x\nB,"' + b"a" * 200_000 + b'"\nC,z\n'
    path = write(tmp_path, "o.csv", data)
    sources = [r.source for r in read(path)]
    assert sources == [f"{path}:2", f"{path}:3", f"{path}:4"]


def test_csv_oversized_cell_with_newlines_is_one_error_and_reading_resumes_after_it(tmp_path: Path) -> None:
    # Python's csv field limit fired mid-cell and reading restarted inside it: its text became
    # ~1,760 phantom orders, and the real next order got no result.
    cell = b"note line, with a comma\n" * 6000  # 144,000 characters over 6,000 lines
    data = b'order_id,drug,notes\nA,x,y\nB,x,"' + cell + b'"\nC,z,w\n'
    path = write(tmp_path, "o.csv", data)
    records = read(path)
    assert [r.source for r in records] == [f"{path}:2", f"{path}:3", f"{path}:6004"]
    message = "the notes cell is 144000 characters long, over the limit of 131072 (lines 3-6003)"
    assert records[1].error == message
    assert records[2].data == {"order_id": "C", "drug": "z", "notes": "w"}


def test_csv_multiline_cell_is_named_by_its_first_line(tmp_path: Path) -> None:
    path = write(tmp_path, "o.csv", b'order_id,notes\nA,"a\nb"\nC,z\n')
    assert [r.source for r in read(path)] == [f"{path}:2", f"{path}:4"]


def test_csv_unclosed_quote_does_not_swallow_the_rows_after_it(tmp_path: Path) -> None:
    # One unclosed quote swallowed every following row: they got no result.
    data = b'order_id,dose,allergies\nA,1000 mcg,none\nB,1000 mcg,"latex\nC,100 mg,none\nD,1000 mcg,cobalt\n'
    path = write(tmp_path, "o.csv", data)
    records = read(path)
    assert [r.source for r in records] == [f"{path}:{n}" for n in (2, 3, 4, 5)]
    assert records[1].error is not None
    assert "quote" in records[1].error and "never closed" in records[1].error
    assert records[2].data == {"order_id": "C", "dose": "100 mg", "allergies": "none"}
    assert records[3].data == {"order_id": "D", "dose": "1000 mcg", "allergies": "cobalt"}


def test_csv_stray_quote_closed_by_a_later_one_spoils_only_its_own_line(tmp_path: Path) -> None:
    data = b'order_id,dose,allergies,notes\nB,1,"latex,\nC,100 mg,none,\nD,1,"cobalt,\nE,1 mg,x,"a\nb"\n'
    path = write(tmp_path, "o.csv", data)
    records = read(path)
    assert [r.source for r in records] == [f"{path}:{n}" for n in (2, 3, 4, 5)]
    assert [r.error is None for r in records] == [False, True, False, True]
    assert records[1].data == {"order_id": "C", "dose": "100 mg", "allergies": "none", "notes": ""}
    assert records[3].data == {"order_id": "E", "dose": "1 mg", "allergies": "x", "notes": "a\nb"}


def test_csv_free_text_cell_holding_whole_rows_is_an_error_and_they_are_read(tmp_path: Path) -> None:
    # An unclosed quote in a column doseguard does not read (notes), closed by a stray quote at the end
    # of a later line, is a legal record: the 100 mg order between them vanished into the notes.
    data = b'order_id,dose,allergies,notes\nA,1000 mcg,none,"call me\nB,100 mg,none,x\nC,1 mg,none,x"\n'
    path = write(tmp_path, "o.csv", data)
    records = read(path)
    assert [r.source for r in records] == [f"{path}:{n}" for n in (2, 3, 4)]
    assert records[0].error is not None
    assert "line 3 reads as a row of its own" in records[0].error
    assert records[1].data == {"order_id": "B", "dose": "100 mg", "allergies": "none", "notes": "x"}
    assert records[2].data == {"order_id": "C", "dose": "1 mg", "allergies": "none", "notes": 'x"'}


def test_csv_free_text_cell_closed_by_a_stray_quote_on_an_order_line(tmp_path: Path) -> None:
    data = b'order_id,dose,allergies,notes\nA,1000 mcg,none,"call me\nB,100 mg,none,x"\n'
    records = read(write(tmp_path, "o.csv", data))
    assert records[0].error is not None
    assert records[1].data == {"order_id": "B", "dose": "100 mg", "allergies": "none", "notes": 'x"'}


def test_csv_free_text_cell_over_several_lines_is_one_record(tmp_path: Path) -> None:
    data = b'order_id,dose,notes\nA,1 mg,"first line, second part\nand, the last"\nB,1 mg,x\n'
    path = write(tmp_path, "o.csv", data)
    records = read(path)
    assert [r.data for r in records] == [
        {"order_id": "A", "dose": "1 mg", "notes": "first line, second part\nand, the last"},
        {"order_id": "B", "dose": "1 mg", "notes": "x"},
    ]


def test_csv_quote_in_the_middle_of_a_cell_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "o.csv", b'order_id,dose\nA,"100"0 mcg\nB,1 mg\n')
    records = read(path)
    assert records[0].error == "CSV: ',' expected after '\"'"
    assert records[1].data == {"order_id": "B", "dose": "1 mg"}


def test_csv_cr_only_line_ends(tmp_path: Path) -> None:
    path = write(tmp_path, "o.csv", b'order_id,notes\rA,x\rB,"a\rb"\rC,y')
    records = read(path)
    assert [(r.source, r.data) for r in records] == [
        (f"{path}:2", {"order_id": "A", "notes": "x"}),
        (f"{path}:3", {"order_id": "B", "notes": "a\rb"}),
        (f"{path}:5", {"order_id": "C", "notes": "y"}),
    ]


def test_csv_without_a_header_line_is_an_input_error(tmp_path: Path) -> None:
    # The only order was taken for the header and vanished: nothing checked, exit 0.
    path = write(tmp_path, "o.csv", b"ORD-1,PT-1,cyanocobalamin,100 mg\n")
    with pytest.raises(InputError) as info:
        read(path)
    assert info.value.message.startswith("the first line names no order field")


# --- several inputs -----------------------------------------------------------------------------


def test_read_inputs_reads_every_file_in_order(tmp_path: Path) -> None:
    first = write(tmp_path, "a.jsonl", b'{"order_id": "A"}\n')
    second = write(tmp_path, "b.csv", b"order_id\nB\n")
    third = write(tmp_path, "c.json", b'[{"order_id": "C"}]')
    records = list(read_inputs([first, second, third]))
    assert [r.source for r in records] == [f"{first}:1", f"{second}:2", f"{third}:[1]"]
    assert [r.data for r in records] == [{"order_id": "A"}, {"order_id": "B"}, {"order_id": "C"}]


def test_read_inputs_raises_only_when_it_reaches_a_bad_file(tmp_path: Path) -> None:
    good = write(tmp_path, "a.jsonl", b'{"order_id": "A"}\n')
    records = read_inputs([good, str(tmp_path / "missing.csv")])
    assert next(records).data == {"order_id": "A"}
    with pytest.raises(InputError):
        next(records)


# --- stdin --------------------------------------------------------------------------------------


def test_stdin_json_array_is_sniffed(monkeypatch: pytest.MonkeyPatch) -> None:
    records = read_stdin(monkeypatch, b' \n[{"order_id": "A"}, {"order_id": "B"}]')
    assert records == [
        InputRecord("<stdin>:[1]", {"order_id": "A"}),
        InputRecord("<stdin>:[2]", {"order_id": "B"}),
    ]


def test_stdin_json_lines_are_sniffed(monkeypatch: pytest.MonkeyPatch) -> None:
    records = read_stdin(monkeypatch, b'{"order_id": "A"}\nnot json\n{"order_id": "C"}\n')
    assert [r.source for r in records] == ["<stdin>:1", "<stdin>:2", "<stdin>:3"]
    assert records[1].error is not None
    assert records[1].error.startswith("not JSON")
    assert records[2].data == {"order_id": "C"}


def test_stdin_csv_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    records = read_stdin(monkeypatch, b"order_id,drug\nA,x\n")
    assert records == [InputRecord("<stdin>:2", {"order_id": "A", "drug": "x"})]


def test_stdin_empty_has_no_records(monkeypatch: pytest.MonkeyPatch) -> None:
    assert read_stdin(monkeypatch, b"") == []


def test_stdin_via_read_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", FakeStdin(b'{"order_id": "A"}\n'))
    assert [r.source for r in read_inputs(["-"])] == ["<stdin>:1"]


@pytest.mark.parametrize("data", [BOM + b'{"order_id": "A"}\n', BOM + b'[{"order_id": "A"}]'])
def test_stdin_with_a_bom_is_still_sniffed_as_json(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    records = read_stdin(monkeypatch, data)
    assert [r.data for r in records] == [{"order_id": "A"}]


TWICE = [
    BOM + BOM + b'{"order_id": "A"}\n',
    BOM + BOM + b'[{"order_id": "A"}]',
    BOM + BOM + b'{"order_id": "A"}',
]


@pytest.mark.parametrize("data", TWICE, ids=["jsonl", "array", "object"])
def test_stdin_starting_with_two_boms_reads_as_with_one(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    """A tool that adds a BOM to text that has one already: the second one was sniffed past, but read
    as data (a JSON array ended in an internal error, a JSON object on stdin was refused as CSV)."""
    assert [r.data for r in read_stdin(monkeypatch, data)] == [{"order_id": "A"}]


@pytest.mark.parametrize(("name", "data"), list(zip(("o.jsonl", "o.json", "o.json"), TWICE, strict=True)))
def test_a_file_starting_with_two_boms_reads_as_with_one(tmp_path: Path, name: str, data: bytes) -> None:
    assert [r.data for r in read(write(tmp_path, name, data))] == [{"order_id": "A"}]


def test_a_csv_starting_with_two_boms_reads_as_with_one(tmp_path: Path) -> None:
    """The header's first cell was read with the second BOM in it: every row invalid, the order id lost."""
    records = read(write(tmp_path, "o.csv", BOM + BOM + b"order_id,drug,dose\nA,x,1 mg\n"))
    assert [r.data for r in records] == [{"order_id": "A", "drug": "x", "dose": "1 mg"}]


def test_hostile_json_lines_become_invalid_records_and_the_batch_goes_on(tmp_path: Path) -> None:
    """Nesting beyond any parser's stack and a 5000-digit number: each is one invalid record."""
    data = (
        b"[" * 100_000
        + b"]" * 100_000
        + b"\n"
        + b'{"order_id": '
        + b"9" * 5000
        + b"}\n"
        + b'{"order_id": "A"}\n'
    )
    records = read(write(tmp_path, "o.jsonl", data))
    assert [r.error is not None or bool(r.problems) for r in records] == [True, True, False]
    assert records[0].error == "not readable: nested too deeply"
    assert [(p.field, p.value) for p in records[1].problems] == [("order_id", "9" * 5000)]
    assert "not one JSON input may hold" in records[1].problems[0].message
    assert records[2].data == {"order_id": "A"}


def test_a_deeply_nested_json_array_is_refused_without_exhausting_memory(tmp_path: Path) -> None:
    """ijson's item builder needs gigabytes for this 200 kB file; ours stops at a fixed depth."""
    path = write(tmp_path, "o.json", b"[" * 100_000 + b"]" * 100_000)
    (record,) = read(path)
    assert record.error is not None
    assert "nested more than 32 levels" in record.error


# --- repeated keys and numbers out of range (issue 8, cases 5, 7 and 24) --------------------------


def only(records: list[InputRecord]) -> InputRecord:
    (record,) = records
    return record


def test_jsonl_a_repeated_key_makes_the_record_invalid_naming_the_key(tmp_path: Path) -> None:
    """orjson keeps the last value: 100000 mcg then 1000 mcg read as a 1000 mcg order that passes."""
    data = b'{"order_id": "A", "patient_id": "P", "dose": "100000 mcg", "route": "IM", "dose": "1000 mcg"}\n'
    record = only(read(write(tmp_path, "o.jsonl", data)))
    assert [p.field for p in record.problems] == ["dose"]
    assert '"100000 mcg", then "1000 mcg"' in record.problems[0].message
    assert record.data == {"order_id": "A", "patient_id": "P"}  # the ids are sure: the result names them


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (b'{"order_id": "A", "dose": "1 mg", "\\u0064ose": "1000 mg"}', "dose"),  # the same key, escaped
        (b'{"order_id": "A", "note": {"x": 1, "x": 2}}', "note.x"),  # in a nested object
        (b'{"order_id": "A", "list": [{"y": 1}, {"y": 1, "y": 2}]}', "list[1].y"),
        (b'{"order_id": "A", "t": "08:00", "u": "http://x", "dose": "1 mg", "dose": "2 mg"}', "dose"),
        (b'{"order_id":"A","order_id":"B"}', "order_id"),
    ],
)
def test_jsonl_repeated_keys_are_found_wherever_they_are(tmp_path: Path, line: bytes, field: str) -> None:
    record = only(read(write(tmp_path, "o.jsonl", line + b"\n")))
    assert [p.field for p in record.problems] == [field]
    assert record.data is None or "order_id" not in record.data or field != "order_id"


@pytest.mark.parametrize(
    "line",
    [
        b'{"order_id": "A", "t": "08:00", "u": "http://x/y:z", "dose": "1 mg"}',  # colons in values
        b'{"order_id": "A", "a": {"dose": 1}, "b": {"dose": 2}, "dose": "dose"}',  # one key, three objects
        b'{"order_id": "A\\u0041", "note": "\\"dose\\": 1", "dose": "1 mg"}',  # escapes, key text in a value
    ],
)
def test_jsonl_keys_that_are_not_repeated_are_read(tmp_path: Path, line: bytes) -> None:
    record = only(read(write(tmp_path, "o.jsonl", line + b"\n")))
    assert record.error is None and record.problems == ()
    assert record.data is not None and "order_id" in record.data


@pytest.mark.parametrize(
    ("number", "shown"),
    [(b"1e400", "1e400"), (b"-1e400", "-1e400"), (b"NaN", "NaN"), (b"Infinity", "Infinity")],
)
def test_jsonl_a_number_out_of_range_names_its_field(tmp_path: Path, number: bytes, shown: str) -> None:
    data = b'{"order_id": "A", "patient_id": "P", "volume_ml": ' + number + b'}\n{"order_id": "B"}\n'
    bad, good = read(write(tmp_path, "o.jsonl", data))
    assert [(p.field, p.value) for p in bad.problems] == [("volume_ml", shown)]
    assert bad.data == {"order_id": "A", "patient_id": "P"}
    assert good.data == {"order_id": "B"}


def test_a_json_array_element_with_a_bad_number_spoils_only_itself(tmp_path: Path) -> None:
    """ijson stopped at NaN or 1e400: that record and every later one became one invalid result."""
    data = b'[{"order_id": "A"}, {"order_id": "B", "dose": NaN}, {"order_id": "C", "v": 1e400}, {"order_id": "D"}]'
    path = write(tmp_path, "o.json", data)
    a, b, c, d = read(path)
    assert [r.source for r in (a, b, c, d)] == [f"{path}:[{i}]" for i in (1, 2, 3, 4)]
    assert a.data == {"order_id": "A"} and d.data == {"order_id": "D"}
    assert [p.field for p in b.problems] == ["dose"] and b.data == {"order_id": "B"}
    assert [p.field for p in c.problems] == ["v"] and c.data == {"order_id": "C"}


def test_a_json_array_element_nested_too_deeply_spoils_only_itself(tmp_path: Path) -> None:
    deep = b'{"a": ' * 40 + b"1" + b"}" * 40
    path = write(tmp_path, "o.json", b'[{"order_id": "A"}, ' + deep + b', {"order_id": "B"}]')
    a, bad, b = read(path)
    assert bad.error is not None and "nested more than 32 levels" in bad.error
    assert (a.data, b.data) == ({"order_id": "A"}, {"order_id": "B"})


def test_a_json_array_element_with_a_repeated_key_is_invalid(tmp_path: Path) -> None:
    data = b'[{"order_id": "A", "dose": "100000 mcg", "dose": "1000 mcg"}, {"order_id": "B"}]'
    bad, good = read(write(tmp_path, "o.json", data))
    assert [p.field for p in bad.problems] == ["dose"]
    assert good.data == {"order_id": "B"}


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (b'[{"a": "x, ]}"}, {"b": "\\" ]"}]', [False, False]),  # brackets and quotes inside strings
        (b'[{"order_id": "A"} x, {"order_id": "B"}]', [True, False]),  # a syntax error spoils its element
        (b'[{"order_id": "A"}}, {"order_id": "B"}]', [True, False]),  # a stray brace
        (b'[{"a": [1}, {"order_id": "B"}, {"c": 3}]', [True, False, False]),  # '}' closes an open '['
        (b'[{"a": {"b": 1]}, {"order_id": "B"}]', [True, False]),  # ']' closes an open '{'
        (b'[{"a": 1]}, {"order_id": "B"}]', [True, False]),  # ']' would close the array itself
        (b'[{"a": [[1}}, {"order_id": "B"}]', [True, False]),  # several left open
        (b"[1,,2]", [True, True, True]),
        (b'[{"a": 1},]', [False, True]),  # a trailing comma
        (b'[{"a": 1}] {"b": 2}', [False, True]),  # more after the array
        (b'[{"a": 1}, {"b": "cut', [False, True]),  # the file ends inside a string
        (b'[{"a": 1},', [False, True]),
        (b"[ ]", []),
    ],
)
def test_json_array_elements_are_cut_exactly(tmp_path: Path, data: bytes, errors: list[bool]) -> None:
    records = read(write(tmp_path, "o.json", data))
    assert [r.error is not None or bool(r.problems) for r in records] == errors


@pytest.mark.parametrize(
    "data",
    [
        # a string left open: JSON strings hold no raw new line, so it ends at the line's end
        b'[\n{"order_id": "A", "dose": "1 mg},\n{"order_id": "B"},\n{"order_id": "C"}\n]',
        b'[\n{"order_id": "A", "dose: "1 mg"},\n{"order_id": "B"},\n{"order_id": "C"}\n]',
        b'[\r\n{"order_id": "A", "dose": "1 mg},\r\n{"order_id": "B"},\r\n{"order_id": "C"}\r\n]',
        b'[\n {\n  "order_id": "A",\n  "dose": "1 mg,\n  "route": "IM"\n },\n {"order_id": "B"},\n {"order_id": "C"}\n]',
        # a closing brace left out: an object cannot start where a key or a comma must come
        b'[\n{"order_id": "A", "dose": "1 mg",\n{"order_id": "B"},\n{"order_id": "C"}\n]',
        b'[\n{"order_id": "A", "dose": "1 mg"\n{"order_id": "B"},\n{"order_id": "C"}\n]',
        b'[\n {\n  "order_id": "A",\n  "dose": "1 mg"\n ,\n {\n  "order_id": "B"\n },\n {"order_id": "C"}\n]',
        # a comma left out between two elements
        b'[{"order_id": "A"} {"order_id": "B"}, {"order_id": "C"}]',
    ],
)
def test_a_broken_json_array_element_does_not_swallow_the_next_ones(tmp_path: Path, data: bytes) -> None:
    """An element with an unclosed string or a missing brace was merged with every later element into
    one invalid record: those orders were never checked, and the count of results was wrong."""
    bad, b, c = read(write(tmp_path, "o.json", data))
    assert bad.error is not None or bad.problems
    assert (b.data, c.data) == ({"order_id": "B"}, {"order_id": "C"})
    assert (b.source.endswith(":[2]"), c.source.endswith(":[3]")) == (True, True)


def test_json_array_elements_spanning_read_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Elements and strings cut by the end of a read block are read whole."""
    from doseguard.io import json_array  # noqa: PLC0415

    monkeypatch.setattr(json_array, "READ_BLOCK", 7)
    items = [
        {"order_id": f"O-{n}", "note": 'a "q" ] } , \\ ' * (n % 3), "n": [n, {"k": n}]} for n in range(40)
    ]
    import json  # noqa: PLC0415

    path = write(tmp_path, "o.json", json.dumps(items, indent=2).encode())
    assert [r.data for r in read(path)] == items


def test_a_single_json_object_with_a_repeated_key_is_invalid(tmp_path: Path) -> None:
    record = only(read(write(tmp_path, "o.json", b'{"order_id": "A", "dose": "1 mg", "dose": "1 mcg"}')))
    assert [p.field for p in record.problems] == ["dose"]


@pytest.mark.parametrize("depth", [995, 1010, 1020])
def test_a_json_line_nested_as_deep_as_orjson_reads_spoils_only_itself(tmp_path: Path, depth: int) -> None:
    """orjson reads up to 1024 levels, the standard library (asked to look for repeated keys) fewer:
    its RecursionError escaped, killed every worker that read the line and then the whole run."""
    deep = b'{"a": ' * depth + b"1" + b"}" * depth
    lines = [
        b'{"order_id": "A", "patient_id": "P", "drug": "x", "dose": "1 mg", "dose": "2 mg", "x": '
        + deep
        + b"}",
        b'{"order_id": "B", "patient_id": "P", "drug": "x", "x": ' + deep + b"}",
        b'{"order_id": "C"}',
    ]
    a, b, c = read(write(tmp_path, "o.jsonl", b"\n".join(lines)))
    assert a.error is not None and "nested too deeply" in a.error
    assert b.error is None or "nested too deeply" in b.error
    assert c.data == {"order_id": "C"}


# --- line ends (review rev3) --------------------------------------------------------------------

MIXED_ENDS = (
    b'{"order_id": "A"}\r{"order_id": "B"}\r\n{"order_id": "C"}\n\r{"order_id": "E"}\r\r\n{"order_id": "G"}'
)
"""CR, CRLF, LF, a blank line ended by CR, CR then CRLF (a blank line), a last line without an end."""
MIXED_LINES = [("A", 1), ("B", 2), ("C", 3), ("E", 5), ("G", 7)]


@pytest.mark.parametrize("name", ["o.jsonl", "o.jsonl.gz"])
def test_jsonl_cr_only_line_ends_are_line_ends(tmp_path: Path, name: str) -> None:
    # A JSON Lines file with CR-only line ends (old Mac exports) was one line: every record merged
    # into one invalid result. JSON text cannot hold a raw CR, so a bare CR ends a line.
    data = gzip.compress(MIXED_ENDS) if name.endswith(".gz") else MIXED_ENDS
    path = write(tmp_path, name, data)
    records = read(path)
    assert [(r.data and r.data["order_id"], r.source) for r in records] == [
        (order, f"{path}:{line}") for order, line in MIXED_LINES
    ]


def test_jsonl_cr_only_line_ends_on_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    records = read_stdin(monkeypatch, MIXED_ENDS)
    assert [(r.data and r.data["order_id"], r.source) for r in records] == [
        (order, f"<stdin>:{line}") for order, line in MIXED_LINES
    ]


UTF16_TEXT = {
    "o.csv": "order_id,drug\nA,cyanocobalamin\nB,cyanocobalamin\n",
    "o.jsonl": '{"order_id": "A"}\n{"order_id": "B"}\n',
    "o.json": '[{"order_id": "A"}, {"order_id": "B"}]',
}


@pytest.mark.parametrize("name", list(UTF16_TEXT))
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_text_is_refused_saying_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, encoding: str
) -> None:
    # Excel's "Unicode text" is UTF-16: as CSV it was refused with a header of NULs and surrogates shown,
    # as JSON Lines every line was invalid and its NULs made records of their own (2 orders, 3 results).
    data = UTF16_TEXT[name].encode(encoding)
    with pytest.raises(InputError, match="UTF-16") as info:
        read(write(tmp_path, name, data))
    assert "\x00" not in info.value.message
    with pytest.raises(InputError, match="UTF-16"):
        read_stdin(monkeypatch, data)


def test_csv_separated_by_bars_is_refused_saying_by_what(tmp_path: Path) -> None:
    # A header separated by '|' was refused as "names no order field", without saying why it read
    # as one column (';' and tabs are read: tests/io/test_csv_format.py).
    with pytest.raises(InputError, match="names no order field") as info:
        read(write(tmp_path, "o.csv", b"order_id|patient_id|drug\nA|P|cyanocobalamin\n"))
    assert "separated by '|'" in info.value.message


def test_csv_columns_without_a_name_are_not_repeats(tmp_path: Path) -> None:
    # Trailing empty header cells (a spreadsheet's unused columns) were refused as "the header repeats
    # the column(s) " naming nothing; unnamed columns are unknown ones, ignored as any other.
    path = write(tmp_path, "o.csv", b"order_id,drug,,\nA,x,,\nB,y,1,\n")
    assert [r.data for r in read(path)] == [
        {"order_id": "A", "drug": "x", "": ""},
        {"order_id": "B", "drug": "y", "": ""},
    ]


def test_csv_header_line_again_in_the_file_is_an_invalid_record_saying_so(tmp_path: Path) -> None:
    # `cat a.csv b.csv`: b's header was read as an order, invalid for its dose 'dose' and volume 'volume'.
    first = b"order_id,drug,dose\nA,x,1 mg\n"
    path = write(tmp_path, "o.csv", BOM + first + BOM + first)
    records = read(path)
    assert [r.source.rsplit(":", 1)[1] for r in records] == ["2", "3", "4"]
    assert records[1] == InputRecord(
        f"{path}:3", None, "the header line again (files joined?): not an order; the rows after it are read"
    )
    assert records[2].data == {"order_id": "A", "drug": "x", "dose": "1 mg"}


def test_csv_another_header_in_the_file_is_an_input_error(tmp_path: Path) -> None:
    # Files with other columns joined: the rows after the second header were read with the first
    # line's columns (a dose read as the drug), silently wrong.
    data = b"order_id,drug,dose\nA,x,1 mg\norder_id,dose,drug\nB,1 mg,x\n"
    with pytest.raises(InputError, match="line 3 is another header line"):
        read(write(tmp_path, "o.csv", data))


def test_jsonl_files_joined_each_with_a_bom_are_read(tmp_path: Path) -> None:
    # `cat a.jsonl b.jsonl`: the order after b's BOM was invalid ("Unexpected UTF-8 BOM"), not checked.
    path = write(tmp_path, "o.jsonl", BOM + b'{"order_id": "A"}\n' + BOM + b'{"order_id": "B"}\n')
    assert read(path) == [
        InputRecord(f"{path}:1", {"order_id": "A"}),
        InputRecord(f"{path}:2", {"order_id": "B"}),
    ]


def test_csv_a_row_swallowed_up_to_a_quote_that_closes_it_is_not_read_as_valid(tmp_path: Path) -> None:
    """Found by test_every_csv_record_has_one_result_at_its_line_in_order: two rows each ending in a
    quote left open. The first row's last cell ran to the end of the second row, so the second order
    had no result and the first passed: the second line, read alone, ends in the quote that closes the
    cell, so it was not seen as "a row of its own". What is inside the cell is read without that quote."""
    header = b"order_id,patient_id,drug,dose,volume,concentration,route,frequency,duration,allergies,notes\n"
    rows = [
        b'R%d,PT-R%d,cyanocobalamin,1000 mcg,1 mL,1000 mcg/mL,IM,daily,7 days,,"\n' % (n, n) for n in (0, 1)
    ]
    path = write(tmp_path, "o.csv", header + b"".join(rows))
    records = read(path)
    assert [r.source for r in records] == [f"{path}:2", f"{path}:3"]
    assert records[0].error is not None and "line 3 reads as a row of its own" in records[0].error
    assert records[1].error is not None  # its own quote never closes: it spoils only its own line


def test_csv_a_row_swallowed_with_quoted_cells_of_its_own_is_seen(tmp_path: Path) -> None:
    """Inside a quoted cell a quote is written twice: the swallowed row's own quoted cells read as
    cells once undoubled, so the row is seen however it was quoted."""
    data = b'order_id,dose,allergies,notes\nA,1000 mcg,none,"call me\n""B"",100 mg,none,""x, y""\nC,1 mg,none,x"\n'
    path = write(tmp_path, "o.csv", data)
    records = read(path)
    assert records[0].error is not None and "line 3 reads as a row of its own" in records[0].error
    assert [r.source for r in records][:2] == [f"{path}:2", f"{path}:3"]
