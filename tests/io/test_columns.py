"""Column maps (``--columns``): read with every mistake located, applied to a header once."""

from __future__ import annotations

from pathlib import Path

import pytest

from doseguard.errors import ColumnMapError, InputError
from doseguard.io.columns import (
    load_column_map,
    map_header,
    mapped_record,
    parse_column_map,
    presets,
)
from doseguard.records import InputRecord

EPIC_HEADER = [
    "ORDER_MED_ID", "PAT_MRN_ID", "MEDICATION_NAME", "HV_DISCRETE_DOSE", "DOSE_UNIT", "ADMIN_ROUTE",
    "FREQ_NAME", "ORDER_STATUS", "ORDERING_PROVIDER",
]  # fmt: skip


def problems_of(text: str) -> list[str]:
    with pytest.raises(ColumnMapError) as caught:
        parse_column_map("map.yaml", text)
    return [str(problem) for problem in caught.value.problems]


def test_a_map_reads_each_field_from_its_column() -> None:
    columns = parse_column_map(
        "map.yaml", "columns:\n  order_id: ORDER_MED_ID\n  drug: [MEDICATION_NAME, DESCRIPTION]\n"
    )
    assert columns.fields == {"order_id": ("order_med_id",), "drug": ("medication_name", "description")}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "columns:\n  order_id: ORDER_MED_ID\n  dosage: HV_DISCRETE_DOSE\n",
            "map.yaml:3:3: 'dosage' is not an order field; did you mean 'dose'?",
        ),
        (
            "columns:\n  order_id: ORDER_MED_ID\n  rout: ADMIN_ROUTE\n",
            "map.yaml:3:3: 'rout' is not an order field; did you mean 'route'?",
        ),
        ("columns:\n  order_id: 12\n", "map.yaml:2:13: order_id: must be the export's column header"),
        ("columns:\n  order_id: [A, 3]\n", "map.yaml:2:13: order_id: must be the export's column header"),
        (
            "columns:\n  order_id: A\n  patient_id: a\n",
            "map.yaml:3:15: patient_id: column 'a' is already read as 'order_id'",
        ),
        ("colums:\n  order_id: A\n", "map.yaml:1:1: a column map is a mapping 'columns:'"),
        (
            "columns:\n  order_id: A\ncolumn: x\n",
            "map.yaml:3:1: unknown key 'column'; did you mean 'columns'?",
        ),
        ("columns:\n  order_id: A\n  order_id: B\n", "map.yaml:3:3: duplicate key 'order_id'"),
        ("columns: [order_id]\n", "map.yaml:1:10: a column map is a mapping 'columns:'"),
        ("columns:\n  order_id: !!python/name:os.system A\n", "map.yaml:2:13:"),
    ],
)
def test_each_mistake_of_a_map_is_located(text: str, problem: str) -> None:
    assert any(said.startswith(problem) for said in problems_of(text)), problems_of(text)


def test_every_mistake_is_reported_at_once() -> None:
    assert len(problems_of("columns:\n  dosage: A\n  rout: B\n  order_id: 3\n")) == 3


def test_a_map_file_is_read_from_its_path(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text("columns:\n  order_id: ORDER_MED_ID\n", encoding="utf-8")
    columns = load_column_map(str(path))
    assert columns.strict and columns.fields == {"order_id": ("order_med_id",)}


@pytest.mark.parametrize(
    ("spec", "said"), [("epik", "did you mean 'epic'?"), ("nowhere/map.yaml", "no such column map file")]
)
def test_a_map_that_is_neither_a_file_nor_a_preset_is_refused(spec: str, said: str) -> None:
    with pytest.raises(ColumnMapError) as caught:
        load_column_map(spec)
    assert str(caught.value).startswith(f"{spec}:1:1: no such column map file or preset")
    assert said in str(caught.value) and "presets: cerner, epic" in str(caught.value)


@pytest.mark.parametrize("name", ["epic", "cerner"])
def test_each_preset_loads_names_the_required_fields_and_says_what_it_is(name: str) -> None:
    columns = load_column_map(name)
    assert not columns.strict and {"order_id", "patient_id", "drug", "dose", "dose_unit"} <= set(
        columns.fields
    )
    assert "-like" in presets()[name]  # honest: like a vendor's layout, not the vendor's own


@pytest.mark.parametrize("name", ["epic", "cerner"])
def test_each_preset_reads_the_volume_and_the_site(name: str) -> None:
    """Defect (review): the epic preset left ADMIN_VOLUME and ADMIN_SITE unread, so a 10 mL volume
    (a critical dose-volume mismatch) and an IM site in the abdomen went unseen."""
    assert {"volume", "volume_unit", "site"} <= set(load_column_map(name).fields)


def test_a_header_is_read_under_the_maps_fields() -> None:
    mapped = map_header("export.csv", EPIC_HEADER, load_column_map("epic"))
    assert mapped.names[:7] == ("order_id", "patient_id", "drug", "dose", "dose_unit", "route", "frequency")
    assert mapped.ignored[-1] == "ORDERING_PROVIDER" and mapped.missing is None


def test_a_preset_reads_the_first_of_its_headers_the_file_has() -> None:
    header = ["ORDER_MED_ID", "PAT_ID", "DESCRIPTION", "MED_ROUTE"]
    names = map_header("export.csv", header, load_column_map("epic")).names
    assert names == ("order_id", "patient_id", "drug", "route")


def test_a_header_the_map_names_and_the_file_lacks_is_refused_with_the_header_meant() -> None:
    columns = parse_column_map(
        "map.yaml", "columns:\n  order_id: ORDER_MED_ID\n  dose: HV_DISCRET_DOSE\n  route: ROUTE_X\n"
    )
    with pytest.raises(InputError) as caught:
        map_header("export.csv", EPIC_HEADER, columns)
    said = str(caught.value)
    assert said.startswith(
        "export.csv: dose: column 'HV_DISCRET_DOSE' is not in the header; did you mean 'HV_DISCRETE_DOSE'?"
    )
    assert "route: column 'ROUTE_X' is not in the header" in said  # one message for the file


def test_a_column_named_as_a_field_the_map_reads_elsewhere_is_refused() -> None:
    columns = parse_column_map("map.yaml", "columns:\n  dose: HV_DISCRETE_DOSE\n")
    with pytest.raises(
        InputError, match="column 'Dose' is the field dose, which the map reads from 'HV_DISCRETE_DOSE'"
    ):
        map_header("export.csv", ["order_id", "patient_id", "drug", "Dose", "HV_DISCRETE_DOSE"], columns)


@pytest.mark.parametrize(
    ("header", "columns", "said"),
    [
        (["order_id", "drug", "dose"], None, "no column for the required field(s) patient_id"),
        (["orderid", "patient_id", "drug"], None, "order_id; did you mean 'orderid'?"),
        (
            ["ORDER_MED_ID", "PATIENT_MRN", "MEDICATION_NAME"],
            "epic",
            "patient_id (the map's 'PAT_MRN_ID' or 'PAT_ID'); did you mean 'PATIENT_MRN'?",
        ),
    ],
)
def test_required_fields_no_column_gives_are_said_once_with_the_columns_ignored(
    header: list[str], columns: str | None, said: str
) -> None:
    mapped = map_header("export.csv", header, load_column_map(columns) if columns else None)
    assert mapped.missing is not None and said in mapped.missing
    assert "every row is invalid" in mapped.missing


def test_the_missing_message_names_the_columns_ignored() -> None:
    mapped = map_header("export.csv", ["ORDER_ID", "MRN", "drug", "Comments"], None)
    assert mapped.missing is not None and mapped.missing.endswith("columns ignored: MRN, Comments")


@pytest.mark.parametrize("column", ["alergies", "Allergy", "Red-Flags"])
def test_a_column_that_reads_like_a_field_is_kept_for_the_order_to_refuse(column: str) -> None:
    mapped = map_header("export.csv", ["order_id", "patient_id", "drug", column], None)
    assert mapped.names[3] is not None and mapped.ignored == ()


def test_json_keys_are_read_as_the_map_says() -> None:
    by_column = load_column_map("epic").by_column
    item = InputRecord(
        "e.jsonl:1", {"ORDER_MED_ID": "1", "pat_mrn_id": "P", "Medication Name": "x", "note": "n"}
    )
    assert mapped_record(item, by_column).data == {
        "order_id": "1",
        "patient_id": "P",
        "drug": "x",
        "note": "n",
    }


def test_a_json_record_stating_a_mapped_field_twice_is_invalid_naming_the_key() -> None:
    by_column = load_column_map("epic").by_column
    item = InputRecord("e.jsonl:1", {"ORDER_MED_ID": "1", "order_id": "2", "patient_id": "P", "drug": "x"})
    (problem,) = mapped_record(item, by_column).problems
    assert problem.field == "ORDER_MED_ID" and "also states 'order_id'" in problem.message
