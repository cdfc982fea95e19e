"""CSV as exports write it: commas, semicolons or tabs (``.tsv``), Excel's ``sep=`` line, CRLF, a BOM,
a header under a column map, and a file without a header line refused, not misread."""

from __future__ import annotations

from pathlib import Path

import pytest

from doseguard.errors import InputError
from doseguard.io.chunk_reader import ChunkReader
from doseguard.io.columns import load_column_map
from doseguard.io.readers import records_of
from doseguard.records import InputRecord

ORDER = {"order_id": "A", "patient_id": "P", "drug": "cyanocobalamin", "dose": "1,000 mcg"}


def read(path: Path, columns: str | None = None) -> tuple[list[InputRecord], ChunkReader]:
    reader = ChunkReader([str(path)], columns=load_column_map(columns) if columns else None)
    return [record for chunk in reader for record in records_of(chunk)], reader


def written(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("o.csv", b'order_id,patient_id,drug,dose\nA,P,cyanocobalamin,"1,000 mcg"\n'),
        ("o.csv", b"order_id;patient_id;drug;dose\nA;P;cyanocobalamin;1,000 mcg\n"),  # European Excel
        ("o.csv", b"order_id\tpatient_id\tdrug\tdose\nA\tP\tcyanocobalamin\t1,000 mcg\n"),
        ("o.tsv", b"order_id\tpatient_id\tdrug\tdose\nA\tP\tcyanocobalamin\t1,000 mcg\n"),
        ("o.csv", b"sep=;\norder_id;patient_id;drug;dose\nA;P;cyanocobalamin;1,000 mcg\n"),  # Excel's hint
        ("o.csv", b"\xef\xbb\xbfsep=;\r\norder_id;patient_id;drug;dose\r\nA;P;cyanocobalamin;1,000 mcg\r\n"),
        ("o.csv", b"\xef\xbb\xbforder_id;patient_id;drug;dose\r\nA;P;cyanocobalamin;1,000 mcg\r\n"),
        ("o.csv", b'"order_id";"patient_id";"drug";"dose"\n"A";"P";"cyanocobalamin";"1,000 mcg"\n'),
    ],
)
def test_each_separator_an_export_uses_is_read(tmp_path: Path, name: str, data: bytes) -> None:
    (record,), _ = read(written(tmp_path, name, data))
    assert record.data == ORDER


def test_a_quoted_comma_in_the_header_does_not_make_commas_the_separator(tmp_path: Path) -> None:
    data = b'order_id;patient_id;drug;"dose, as given"\nA;P;cyanocobalamin;1 mg\n'
    (record,), _ = read(written(tmp_path, "o.csv", data))
    assert record.data == {
        "order_id": "A",
        "patient_id": "P",
        "drug": "cyanocobalamin",
        "dose,_as_given": "1 mg",
    }


def test_semicolons_inside_a_comma_separated_file_stay_in_their_cells(tmp_path: Path) -> None:
    """allergies are ';'-separated inside a cell: a comma file with such cells is still comma-separated."""
    data = b"order_id,patient_id,drug,allergies\nA,P,cyanocobalamin,cobalt;latex\n"
    (record,), _ = read(written(tmp_path, "o.csv", data))
    assert record.data["allergies"] == "cobalt;latex"


def test_line_numbers_count_the_sep_line(tmp_path: Path) -> None:
    data = b"sep=;\norder_id;patient_id;drug\nA;P;x\nB;P;y\n"
    records, _ = read(written(tmp_path, "o.csv", data))
    assert [r.source.rsplit(":", 1)[1] for r in records] == ["3", "4"]


def test_a_semicolon_file_keeps_the_careful_reading_of_quotes(tmp_path: Path) -> None:
    data = b'order_id;patient_id;drug;notes\nA;P;x;"a note\non two lines"\nB;P;y;"open\n'
    records, _ = read(written(tmp_path, "o.csv", data))
    assert records[0].data["notes"] == "a note\non two lines"
    assert records[1].error == "a quote opened on this line is never closed"


@pytest.mark.parametrize(
    "data",
    [
        b"A-1,P-1,cyanocobalamin,1000 mcg,IM,monthly\nA-2,P-2,cyanocobalamin,1000 mcg,IM,monthly\n",
        b"A-1;P-1;cyanocobalamin;1000 mcg;IM\n",
        b"ORD-7,PT-7,cyanocobalamin,,IM\n",  # no number, but a route
        b"1001\tMRN1\tcyanocobalamin\t1000\tmcg\n",
    ],
)
def test_a_file_without_a_header_line_is_refused_not_read_from_its_second_order(
    tmp_path: Path, data: bytes
) -> None:
    with pytest.raises(InputError) as caught:
        read(written(tmp_path, "o.csv", data))
    assert "names no order field" in caught.value.message
    assert (
        "it looks like an order, not a header: the file seems to have no header line" in caught.value.message
    )


def test_a_header_of_unknown_names_is_refused_saying_what_a_header_needs(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        read(written(tmp_path, "o.csv", b"Ward,Bed,Nurse\n4B,12,Ann\n"))
    assert "a CSV needs a header line naming order fields (or --columns" in caught.value.message
    assert "no header line" not in caught.value.message


def test_an_export_without_its_header_is_refused_under_a_map_too(tmp_path: Path) -> None:
    data = b"1001,MRN1,cyanocobalamin,1000,mcg,IM\n"
    with pytest.raises(InputError, match="names no column of the map preset epic nor any order field"):
        read(written(tmp_path, "o.csv", data), "epic")


def test_an_export_is_read_through_a_preset_with_its_unit_column(tmp_path: Path) -> None:
    data = (
        b"ORDER_MED_ID,PAT_MRN_ID,MEDICATION_NAME,HV_DISCRETE_DOSE,DOSE_UNIT,ADMIN_ROUTE,FREQ_NAME,COMMENTS\r\n"
        b"1001,MRN1,cyanocobalamin,1000,mcg,IM,monthly,ok\r\n"
    )
    (record,), reader = read(written(tmp_path, "o.csv", data), "epic")
    assert record.data == {
        "order_id": "1001", "patient_id": "MRN1", "drug": "cyanocobalamin", "dose": "1000", "dose_unit": "mcg",
        "route": "IM", "frequency": "monthly", "comments": "ok",
    }  # fmt: skip
    assert reader.ignored_columns == {"COMMENTS": 1}  # said once for the run, not in the result


def test_a_file_missing_a_required_column_says_so_once_and_every_row_is_invalid_later(tmp_path: Path) -> None:
    data = b"order_id,drug,dose\nA,x,1 mg\nB,y,2 mg\n"
    records, reader = read(written(tmp_path, "o.csv", data))
    assert len(records) == 2  # each still gets its result: invalid, for patient_id (tests/cli)
    assert reader.notes == [
        f"{tmp_path / 'o.csv'}: no column for the required field(s) patient_id (name them in the header, "
        "or map the export's columns with --columns): every row is invalid"
    ]


def test_columns_not_read_are_counted_over_every_chunk_of_the_file(tmp_path: Path) -> None:
    rows = b"".join(b"A%d,P,x,n\n" % i for i in range(5))
    path = written(tmp_path, "o.csv", b"order_id,patient_id,drug,ward\n" + rows)
    reader = ChunkReader([str(path)], chunk_records=2)
    assert sum(len(chunk.items) for chunk in reader) == 5
    assert reader.ignored_columns == {"ward": 5}
