"""``doseguard check`` on a hospital's export: its own column names through a map file or a preset,
dose value and unit in two columns, semicolons or tabs, and what is not read said once per run."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers.cli import doseguard, invoke, jsonl, results

MAP = """\
# the pharmacy's nightly export
columns:
  order_id: ORDER_MED_ID
  patient_id: PAT_MRN_ID
  drug: MEDICATION_NAME
  dose: HV_DISCRETE_DOSE
  dose_unit: DOSE_UNIT
  volume: DOSE_VOLUME
  volume_unit: VOLUME_UNIT
  route: ADMIN_ROUTE
  frequency: FREQ_NAME
  duration: DURATION
"""

EXPORT = """\
ORDER_MED_ID;PAT_MRN_ID;MEDICATION_NAME;HV_DISCRETE_DOSE;DOSE_UNIT;DOSE_VOLUME;VOLUME_UNIT;ADMIN_ROUTE;FREQ_NAME;DURATION;ORDERING_PROVIDER
1001;MRN1;cyanocobalamin;1000;mcg;1;mL;IM;monthly;12 months;Dr A
1002;MRN2;cyanocobalamin;1000;mg;1;mL;IM;monthly;12 months;Dr B
1003;MRN3;cyanocobalamin;1000;mcg;1;mL;IV;monthly;12 months;Dr A
1004;MRN4;cyanocobalamin;;mcg;1;mL;IM;monthly;12 months;Dr C
1005;MRN5;cyanocobalamin;1 mg;mcg;1;mL;IM;monthly;12 months;Dr C
"""


def export(tmp_path: Path, name: str = "export.csv", text: str = EXPORT) -> Path:
    path = tmp_path / name
    path.write_bytes(text.replace("\n", "\r\n").encode())  # as Excel writes it
    return path


def a_map(tmp_path: Path, text: str = MAP) -> Path:
    path = tmp_path / "map.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def outcomes(stdout: str) -> list[tuple[str, str, list[str], list[str | None]]]:
    return [
        (r["order_id"], r["status"], [f["rule_id"] for f in r["findings"]], [e["field"] for e in r["errors"]])
        for r in results(stdout)
    ]


def test_an_export_is_checked_through_its_column_map(tmp_path: Path) -> None:
    done = doseguard(
        "check", "--columns", a_map(tmp_path), export(tmp_path), "--summary", tmp_path / "s.json"
    )
    assert outcomes(done.stdout) == [
        ("1001", "pass", [], []),
        ("1002", "flagged", ["B12-DOSE-VOLUME-MISMATCH", "B12-DOSE-IMPLAUSIBLE"], []),  # 1000 mg: a mix-up
        ("1003", "flagged", ["B12-ROUTE"], []),
        ("1004", "invalid", [], ["dose_unit"]),  # a unit, and no dose
        ("1005", "invalid", [], ["dose"]),  # 1 mg, and the unit column says mcg
    ]
    assert done.returncode == 1
    assert all(r["warnings"] == [] for r in results(done.stdout))  # nothing said per row of the column
    # the note once, then the run's summary line (and, with no history given, the history rules' one line)
    note, last = [line for line in done.stderr.splitlines() if "not evaluated, for want of" not in line]
    assert note == "doseguard: not order fields, not read: 'ORDERING_PROVIDER' (5 records)"
    assert last.startswith("doseguard: 5 orders: ")
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["ignored_fields"] == {"ORDERING_PROVIDER": 5}


def test_an_epic_like_export_is_checked_through_the_preset(tmp_path: Path) -> None:
    text = (
        "ORDER_MED_ID,PAT_ID,DESCRIPTION,HV_DISCRETE_DOSE,DOSE_UNIT,MED_ROUTE,FREQ_NAME,ORDER_STATUS\n"
        "2001,P1,cyanocobalamin,1000,mcg,IM,monthly,Active\n"
        "2002,P2,cyanocobalamin,1000,mg,IM,monthly,Active\n"
    )
    done = doseguard("check", "--columns", "epic", export(tmp_path, text=text))
    found = outcomes(done.stdout)
    assert [(order, status) for order, status, _, _ in found] == [("2001", "flagged"), ("2002", "flagged")]
    assert "B12-DOSE-IMPLAUSIBLE" in found[1][2] and "B12-DOSE-IMPLAUSIBLE" not in found[0][2]


def test_a_tab_separated_export_is_read(tmp_path: Path) -> None:
    done = doseguard(
        "check", "--columns", a_map(tmp_path), export(tmp_path, "export.tsv", EXPORT.replace(";", "\t"))
    )
    assert [o[1] for o in outcomes(done.stdout)] == ["pass", "flagged", "flagged", "invalid", "invalid"]


def test_a_json_lines_export_has_its_keys_read_through_the_map(tmp_path: Path) -> None:
    path = jsonl(
        tmp_path,
        {"ORDER_MED_ID": 3001, "PAT_MRN_ID": "M1", "MEDICATION_NAME": "cyanocobalamin", "HV_DISCRETE_DOSE": 1000,
         "DOSE_UNIT": "mcg", "DOSE_VOLUME": 1, "VOLUME_UNIT": "mL", "ADMIN_ROUTE": "IM", "FREQ_NAME": "monthly",
         "DURATION": "12 months", "WARD": "4B"},
    )  # fmt: skip
    done = doseguard("check", "--columns", a_map(tmp_path), path)
    assert outcomes(done.stdout) == [("3001", "pass", [], [])]
    assert "'WARD' (1 records)" in done.stderr


def test_a_column_the_map_names_and_the_export_lacks_stops_the_run_saying_what_was_meant(
    tmp_path: Path,
) -> None:
    done = doseguard(
        "check",
        "--columns",
        a_map(tmp_path),
        export(tmp_path, text=EXPORT.replace("HV_DISCRETE_DOSE", "HV_DOSE")),
    )
    assert done.returncode == 2 and done.stdout == ""
    assert "dose: column 'HV_DISCRETE_DOSE' is not in the header; did you mean 'HV_DOSE'?" in done.stderr


def test_a_map_with_mistakes_stops_the_run_with_each_located(tmp_path: Path) -> None:
    path = a_map(
        tmp_path, "columns:\n  order_id: ORDER_MED_ID\n  dosage: HV_DISCRETE_DOSE\n  rout: ADMIN_ROUTE\n"
    )
    done = doseguard("check", "--columns", path, export(tmp_path))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"doseguard: {path}:3:3: 'dosage' is not an order field; did you mean 'dose'?",
        f"doseguard: {path}:4:3: 'rout' is not an order field; did you mean 'route'?",
        "doseguard: the --columns map cannot be used",
    ]


def test_a_file_missing_required_columns_says_so_once_and_every_row_is_invalid(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_text(
        "ORDER_ID,medication,dose\nA,cyanocobalamin,1 mg\nB,cyanocobalamin,1 mg\n", encoding="utf-8"
    )
    done = doseguard("check", path)
    assert [r["status"] for r in results(done.stdout)] == ["invalid", "invalid"]  # one result per record
    assert done.returncode == 1
    note = [line for line in done.stderr.splitlines() if "required" in line]
    assert note == [
        f"doseguard: {path}: no column for the required field(s) patient_id, drug "
        "(name them in the header, or map the export's columns with --columns): every row is invalid; "
        "columns ignored: medication"
    ]


def test_unknown_json_keys_are_named_once_per_run_not_in_every_result(tmp_path: Path) -> None:
    order = {"patient_id": "P", "drug": "cyanocobalamin", "dose": "1000 mcg", "dosage": "x", "comment": "c"}
    path = jsonl(tmp_path, *({**order, "order_id": f"O-{i}"} for i in range(4)))
    done = doseguard("check", path, "--summary", tmp_path / "s.json")
    assert all(r["warnings"] == [] for r in results(done.stdout))
    assert [line for line in done.stderr.splitlines() if "not evaluated, for want of" not in line][-2] == (
        "doseguard: not order fields, not read: 'comment' (4 records), 'dosage' (4 records; did you mean "
        "'dose'?)"
    )
    assert json.loads((tmp_path / "s.json").read_text())["ignored_fields"] == {"comment": 4, "dosage": 4}


def test_a_misnamed_column_stays_each_orders_problem(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_text("order_id,patient_id,drug,Alergies\nA,P,cyanocobalamin,cobalt\n", encoding="utf-8")
    done = doseguard("check", path)
    (result,) = results(done.stdout)
    assert result["status"] == "invalid" and result["errors"][0]["field"] == "alergies"
    assert "not read" not in done.stderr


def test_help_lists_the_presets() -> None:
    done = invoke("check", "--help")
    assert "--columns" in done.output and "epic (Epic-like Clarity ORDER_MED report columns)" in " ".join(
        done.output.split()
    )
