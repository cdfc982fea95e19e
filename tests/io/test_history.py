"""Reading patients files, the MAR and labs (CSV and JSON Lines): good rows become history items,
every bad row a problem at its file:line, and the file is read on."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from doseguard.engine.limits import LARGEST_NUMBER
from doseguard.errors import HistoryProblem, InputError
from doseguard.io.history import HistorySources, read_history
from doseguard.io.history_records import LARGEST_VALUE
from doseguard.orders.drugs import PackDrug
from doseguard.patients.model import Administration, AdministrationStatus, HistoryKind, LabResult

DRUGS = (PackDrug("cyanocobalamin", ("vitamin b12", "b12")), PackDrug("hydroxocobalamin"))


def read(sources: HistorySources, warnings: list[str] | None = None) -> list[Any]:
    said = warnings if warnings is not None else []
    return list(read_history(sources, DRUGS, said.append))


def jsonl(path: Path, *rows: dict[str, Any] | str) -> str:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8"
    )
    return str(path)


def problems(items: list[Any]) -> list[str]:
    return [str(item) for item in items if isinstance(item, HistoryProblem)]


# --- patients -----------------------------------------------------------------------------------


def test_a_patients_csv_gives_each_patients_fields_as_text(tmp_path: Path) -> None:
    path = tmp_path / "patients.csv"
    path.write_text("Patient ID,weight_kg,allergies,sex\nP1,80 kg,cobalt,F\nP2,,,\n", encoding="utf-8")
    items = read(HistorySources(patients=str(path)))
    assert items == [("P1", {"weight_kg": "80 kg", "allergies": "cobalt", "sex": "F"}), ("P2", {})]


def test_a_patients_jsonl_keeps_json_values_as_an_order_record_carries_them(tmp_path: Path) -> None:
    path = jsonl(
        tmp_path / "patients.jsonl",
        {"patient_id": "P1", "weight_kg": 80, "allergies": ["cobalt"], "pregnant": True, "sex": None},
    )
    assert read(HistorySources(patients=path)) == [
        ("P1", {"weight_kg": 80, "allergies": ["cobalt"], "pregnant": True})
    ]


def test_an_unknown_column_is_said_once_with_the_column_meant(tmp_path: Path) -> None:
    path = tmp_path / "patients.csv"
    path.write_text("patient_id,wieght_kg\nP1,80\nP2,90\n", encoding="utf-8")
    warnings: list[str] = []
    items = read(HistorySources(patients=str(path)), warnings)
    assert items == [("P1", {}), ("P2", {})]
    assert warnings == [
        f"{path}: the column 'wieght_kg' is not one a patients file has, not read; did you mean 'weight_kg'?"
    ]


def test_an_unknown_jsonl_key_is_said_once_for_the_file(tmp_path: Path) -> None:
    path = jsonl(
        tmp_path / "p.jsonl", {"patient_id": "P1", "alergies": "x"}, {"patient_id": "P2", "alergies": "y"}
    )
    warnings: list[str] = []
    read(HistorySources(patients=path), warnings)
    assert len(warnings) == 1 and "'alergies'" in warnings[0] and "did you mean 'allergies'?" in warnings[0]


def test_bad_patient_rows_are_problems_at_their_line_and_the_file_is_read_on(tmp_path: Path) -> None:
    path = jsonl(
        tmp_path / "p.jsonl",
        {"weight_kg": "80"},  # 1: no patient_id
        "not json",  # 2
        "[1, 2]",  # 3: not an object
        "",  # 4: blank, not a record
        {"patient_id": "P5", "weight_kg": {"value": 80}},  # 5
        {"patient_id": 7, "weight_kg": "70"},  # 6: a whole number is an id
        {"patient_id": "P\u0007", "sex": "M"},  # 7
    )
    items = read(HistorySources(patients=path))
    assert [item for item in items if not isinstance(item, HistoryProblem)] == [("7", {"weight_kg": "70"})]
    said = problems(items)
    assert said[0] == f"{path}:1: patient_id: missing: whose record is it?"
    assert said[1].startswith(f"{path}:2: not JSON")
    assert said[2] == f"{path}:3: expected a JSON object, got an array"
    assert said[3] == f"{path}:5: weight_kg: expected a value, got an object"
    assert said[4] == f"{path}:7: patient_id: holds a control character"


def test_a_header_without_patient_id_refuses_the_file(tmp_path: Path) -> None:
    path = tmp_path / "patients.csv"
    path.write_text("id,weight_kg\nP1,80\n", encoding="utf-8")
    with pytest.raises(InputError, match="names no patient_id column"):
        read(HistorySources(patients=str(path)))


# --- administrations ----------------------------------------------------------------------------


def test_administrations_are_normalised_at_load(tmp_path: Path) -> None:
    path = tmp_path / "administrations.csv"
    path.write_text(
        "patient_id,drug,dose,route,given_at,status\n"
        "P1,Cyanocobalamin Injection,1 mg,intramuscular,2026-02-01T09:00:00,\n"
        "P1,B12,1000 mcg,IM,2026-02-02T09:00:00+01:00,not-done\n"
        "P2,hydroxocobalamin,,IM,2026-02-03,Refused\n"
        "P3,heparin,5000 units,SC,2026-02-04T08:00:00Z,completed\n",
        encoding="utf-8",
    )
    items = read(HistorySources(administrations=str(path)))
    assert items == [
        ("P1", Administration("cyanocobalamin", datetime(2026, 2, 1, 9, tzinfo=UTC), AdministrationStatus.GIVEN, 1000.0, None, "IM", f"{path}:2")),
        ("P1", Administration("cyanocobalamin", datetime(2026, 2, 2, 9, tzinfo=timezone(timedelta(hours=1))), AdministrationStatus.MISSED, 1000.0, None, "IM", f"{path}:3")),
        ("P2", Administration("hydroxocobalamin", datetime(2026, 2, 3, tzinfo=UTC), AdministrationStatus.REFUSED, None, None, "IM", f"{path}:4")),
        ("P3", Administration("heparin", datetime(2026, 2, 4, 8, tzinfo=UTC), AdministrationStatus.GIVEN, None, 5000.0, "SC", f"{path}:5")),
    ]  # fmt: skip


def test_bad_administrations_are_problems_naming_file_line_and_field(tmp_path: Path) -> None:
    path = jsonl(
        tmp_path / "mar.jsonl",
        {"patient_id": "P1", "drug": "cyanocobalamin", "given_at": "yesterday"},
        {"patient_id": "P1", "drug": "cyanocobalamin", "given_at": "2026-02-01T09:00Z", "dose": "lots"},
        {"patient_id": "P1", "drug": "cyanocobalamin", "given_at": "2026-02-01T09:00Z", "dose": 1000},
        {"patient_id": "P1", "drug": "cyanocobalamin", "given_at": "2026-02-01T09:00Z", "route": "by magic"},
        {
            "patient_id": "P1",
            "drug": "cyanocobalamin",
            "given_at": "2026-02-01T09:00Z",
            "status": "entered-in-error",
        },
        {"patient_id": "P1", "given_at": "2026-02-01T09:00Z"},
        {"patient_id": "P1", "drug": "cyanocobalamin"},
        {"patient_id": "P1", "drug": "cyanocobalamin", "given_at": "2026-02-01T09:00Z"},
    )
    items = read(HistorySources(administrations=path))
    said = problems(items)
    fields = [s.split(": ")[1] for s in said]
    lines = [s.split(": ")[0].rsplit(":", 1)[1] for s in said]
    assert lines == ["1", "2", "3", "4", "5", "6", "7"]
    assert fields == ["given_at", "dose", "dose", "route", "status", "drug", "given_at"]
    assert "'yesterday' is not an ISO 8601 date-time" in said[0]
    assert "'entered-in-error' is not a status of a dose (expected given, missed or refused" in said[4]
    assert len(items) == 8 and isinstance(items[7], tuple)


def test_the_status_words_accepted(tmp_path: Path) -> None:
    words = {"given": "given", "Completed": "given", "not given": "missed", "Not-Done": "missed",
             "missed": "missed", "refused": "refused", "declined": "refused"}  # fmt: skip
    path = jsonl(
        tmp_path / "mar.jsonl",
        *({"patient_id": "P", "drug": "b12", "given_at": "2026-01-01", "status": w} for w in words),
    )
    assert [item[1].status.value for item in read(HistorySources(administrations=path))] == list(
        words.values()
    )


# --- labs ---------------------------------------------------------------------------------------


def test_labs_are_converted_to_the_catalogue_unit(tmp_path: Path) -> None:
    path = tmp_path / "labs.csv"
    path.write_text(
        "patient_id;test;value;unit;taken_at\nP1;718-7;120;g/L;2026-02-01T08:00:00Z\nP1;Hgb;11.5;;2026-02-08T08:00Z\n",
        encoding="utf-8",
    )
    items = read(HistorySources(labs=str(path)))
    assert items == [
        ("P1", LabResult("haemoglobin", 12.0, datetime(2026, 2, 1, 8, tzinfo=UTC), "g/dL", f"{path}:2")),
        ("P1", LabResult("haemoglobin", 11.5, datetime(2026, 2, 8, 8, tzinfo=UTC), "g/dL", f"{path}:3")),
    ]


def test_bad_lab_rows_are_problems(tmp_path: Path) -> None:
    path = tmp_path / "labs.csv"
    path.write_text(
        "patient_id,test,value,unit,taken_at\n"
        "P1,haemoglobin,high,g/dL,2026-02-01\n"
        "P1,haemoglobim,12,g/dL,2026-02-01\n"
        "P1,haemoglobin,12,mg/kg,2026-02-01\n"
        "P1,haemoglobin,nan,g/dL,2026-02-01\n"
        "P1,haemoglobin,12,g/dL\n"
        'P1,"haemoglobin,12,g/dL,2026-02-01\n'
        "P1,potassium,4.1,mmol/L,2026-02-01\n",
        encoding="utf-8",
    )
    items = read(HistorySources(labs=str(path)))
    said = problems(items)
    assert said[0] == f"{path}:2: value: 'high' is not a number"
    assert said[1].startswith(f"{path}:3: test: 'haemoglobim' is no test of the lab catalogue")
    assert "did you mean 'haemoglobin'?" in said[1]
    assert said[2].startswith(f"{path}:4: unit: 'mg/kg' is not a unit of haemoglobin")
    assert said[3] == f"{path}:5: value: 'nan' is not a number"
    assert said[4] == f"{path}:6: the row has 4 cells but the header has 5"
    assert said[5].startswith(f"{path}:7: a quote opened on this line is never closed")
    assert [item for item in items if isinstance(item, tuple)] == [
        ("P1", LabResult("potassium", 4.1, datetime(2026, 2, 1, tzinfo=UTC), "mmol/L", f"{path}:8"))
    ]


def test_a_gzipped_jsonl_with_a_bom_and_crlf_reads_as_any(tmp_path: Path) -> None:
    path = tmp_path / "labs.jsonl.gz"
    line = json.dumps(
        {"patient_id": "P1", "test": "mcv", "value": 101, "unit": "fL", "taken_at": "2026-02-01"}
    )
    path.write_bytes(gzip.compress(b"\xef\xbb\xbf" + line.encode() + b"\r\n\r\n" + line.encode() + b"\r\n"))
    items = read(HistorySources(labs=str(path)))
    assert [source for _, item in items for source in [item.source]] == [f"{path}:1", f"{path}:3"]


def test_a_nul_or_latin1_byte_spoils_its_row_only(tmp_path: Path) -> None:
    path = tmp_path / "labs.csv"
    path.write_bytes(
        b"patient_id,test,value,unit,taken_at\n"
        b"P1,b12,200,pg/mL,2026-02-01\x00\n"
        b"P\xb51,b12,200,pg/mL,2026-02-01\n"
        b"P1,b12,210,pg/mL,2026-02-02\n"
    )
    items = read(HistorySources(labs=str(path)))
    said = problems(items)
    assert said[0].startswith(f"{path}:2: taken_at:")
    assert said[1].startswith(f"{path}:3: patient_id: not UTF-8 text (byte 0xB5 at character 2)")
    assert isinstance(items[2], tuple) and items[2][1].value == 210


def test_a_utf16_file_is_refused_whole(tmp_path: Path) -> None:
    path = tmp_path / "labs.csv"
    path.write_bytes("patient_id,test,value,unit,taken_at\n".encode("utf-16"))
    with pytest.raises(InputError, match="UTF-16"):
        read(HistorySources(labs=str(path)))


def test_a_fhir_resource_in_a_labs_jsonl_is_a_problem(tmp_path: Path) -> None:
    path = jsonl(tmp_path / "labs.jsonl", {"resourceType": "Observation", "id": "1"})
    assert "FHIR Bulk NDJSON is read from --history DIR" in problems(read(HistorySources(labs=path)))[0]


# --- sources ------------------------------------------------------------------------------------


def test_a_history_folder_reads_the_files_it_holds_and_the_run_holds_their_kinds(tmp_path: Path) -> None:
    (tmp_path / "labs.csv").write_text("patient_id,test,value,unit,taken_at\n", encoding="utf-8")
    jsonl(tmp_path / "patients.jsonl", {"patient_id": "P1", "weight_kg": 70})
    (tmp_path / "notes.csv").write_text("x\n", encoding="utf-8")
    sources = HistorySources(history=str(tmp_path))
    assert sources.files() == [
        (str(tmp_path / "patients.jsonl"), "patients"),
        (str(tmp_path / "labs.csv"), "labs"),
    ]
    assert sources.kinds() == {HistoryKind.PATIENT, HistoryKind.LABS}
    assert read(sources) == [("P1", {"weight_kg": 70})]
    assert sources.problems() == []


def test_kinds_come_from_the_sources_named_even_when_empty(tmp_path: Path) -> None:
    empty = tmp_path / "mar.csv"
    empty.write_text("", encoding="utf-8")
    assert HistorySources(administrations=str(empty)).kinds() == {HistoryKind.ADMINISTRATIONS}
    assert not HistorySources()


def test_unusable_sources_are_said_before_anything_runs(tmp_path: Path) -> None:
    (tmp_path / "labs.json").write_text("[]", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    said = HistorySources(
        patients=str(tmp_path / "missing.csv"), administrations="-", labs=str(tmp_path / "labs.json"),
        history=str(tmp_path / "empty"),
    ).problems()  # fmt: skip
    assert said == [
        f"--patients {tmp_path / 'missing.csv'}: no such file",
        "--administrations -: history is read before the orders, not from stdin: name a file",
        f"--labs {tmp_path / 'labs.json'}: name a .csv, .tsv or .jsonl file (or .gz)",
        f"--history {tmp_path / 'empty'}: the folder holds none of patients.csv|jsonl, administrations.csv|jsonl, "
        "labs.csv|jsonl nor FHIR Patient.ndjson, AllergyIntolerance.ndjson, Condition.ndjson, Observation.ndjson, "
        "MedicationAdministration.ndjson",
    ]
    assert HistorySources(history=str(tmp_path / "nope")).problems() == [
        f"--history {tmp_path / 'nope'}: no such folder"
    ]


def test_a_patient_row_says_where_it_was_read(tmp_path: Path) -> None:
    path = tmp_path / "patients.csv"
    path.write_text("patient_id,sex\nP1,F\n", encoding="utf-8")
    ((_, fields),) = read(HistorySources(patients=str(path)))
    assert getattr(fields, "source", None) == f"{path}:2"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1e300", "'1e300' is not a number as an order's are written (digits and a decimal point)"),
        ("1_1", "'1_1' is not a number as an order's are written (digits and a decimal point)"),
        ("-inf", "'-inf' is not a number"),
        ("9999999999999", "9999999999999 is out of the range a check can hold (up to 1e12)"),
        ('"1,5"', "'1,5' is not a number as an order's are written (digits and a decimal point)"),
    ],
)
def test_a_lab_value_is_a_number_as_an_order_writes_one_and_in_the_engines_range(
    tmp_path: Path, value: str, expected: str
) -> None:
    path = tmp_path / "labs.csv"
    path.write_text(f"patient_id,test,value,unit,taken_at\nP1,hb,{value},g/dL,2026-02-01\n", encoding="utf-8")
    assert problems(read(HistorySources(labs=str(path)))) == [f"{path}:2: value: {expected}"]


def test_a_huge_json_lab_value_is_out_of_range_too(tmp_path: Path) -> None:
    path = jsonl(
        tmp_path / "labs.jsonl", {"patient_id": "P1", "test": "hb", "value": 1e300, "taken_at": "2026-02-01"}
    )
    assert problems(read(HistorySources(labs=path))) == [
        f"{path}:1: value: 1e+300 is out of the range a check can hold (up to 1e12)"
    ]


def test_plain_lab_values_still_read(tmp_path: Path) -> None:
    path = tmp_path / "labs.csv"
    path.write_text(
        "patient_id,test,value,unit,taken_at\nP1,hb, 11.5 ,g/dL,2026-02-01\nP1,potassium,.5,mmol/L,2026-02-01\n",
        encoding="utf-8",
    )
    assert [item[1].value for item in read(HistorySources(labs=str(path)))] == [11.5, 0.5]


def test_the_largest_lab_value_is_the_engines_largest_number() -> None:
    assert LARGEST_VALUE == LARGEST_NUMBER


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59Z", "1066-10-14"])
def test_a_history_time_in_an_implausible_year_is_a_problem_in_place(tmp_path: Path, when: str) -> None:
    """A dose given in year 1 (with an offset, before the first instant Python holds in UTC) or in
    9999 was read, and the order's windows silently left it out: a typo, said at its line."""
    path = jsonl(
        tmp_path / "mar.jsonl",
        {"patient_id": "P1", "drug": "cyanocobalamin", "given_at": when},
        {"patient_id": "P1", "drug": "cyanocobalamin", "given_at": "2026-02-01T09:00:00Z"},
    )
    labs = jsonl(tmp_path / "labs.jsonl", {"patient_id": "P1", "test": "mcv", "value": 90, "taken_at": when})
    items = read(HistorySources(administrations=path, labs=labs))
    said = problems(items)
    assert [s.split(": ")[:2] for s in said] == [[f"{path}:1", "given_at"], [f"{labs}:1", "taken_at"]]
    assert all("is not plausible (1900-2199)" in s for s in said)
    assert len(items) == 3
