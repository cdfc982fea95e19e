"""``doseguard check --patients/--administrations/--labs/--history``: bad history records said in
place and counted, unusable history options a usage error before anything runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from doseguard.cli import history_problems
from tests.helpers import history_pack
from tests.helpers.cli import invoke, jsonl, results
from tests.helpers.orders import order, standard_order

LABS = (
    "patient_id,test,value,unit,taken_at\nPT-1,haemoglobin,high,g/dL,2026-02-01\nPT-1,hb,11,g/dL,2026-02-02\n"
)


def test_a_run_with_history_checks_every_order_and_says_each_bad_record(tmp_path: Path) -> None:
    orders = jsonl(tmp_path, order("O1"), order("O2"))
    labs = tmp_path / "labs.csv"
    labs.write_text(LABS, encoding="utf-8")
    mar = jsonl(
        tmp_path,
        {"patient_id": "PT-1", "drug": "cyanocobalamin", "given_at": "2026-02-01T09:00Z"},
        name="mar.jsonl",
    )
    patients = jsonl(tmp_path, {"patient_id": "PT-1", "weight_kg": "80 kg"}, name="patients.jsonl")
    summary = tmp_path / "summary.json"
    result = invoke(
        "check",
        orders,
        "--labs",
        labs,
        "--administrations",
        mar,
        "--patients",
        patients,
        "--summary",
        summary,
    )
    assert result.exit_code == 0, result.stderr
    assert [r["order_id"] for r in results(result.stdout)] == ["O1", "O2"]
    assert f"doseguard: {labs}:2: value: 'high' is not a number" in result.stderr.splitlines()
    note = "1 history record or value was not used: each patient was checked without them"
    assert f"doseguard: {note}" in result.stderr
    document = json.loads(summary.read_text())
    assert note in document["notes"]
    assert document["history_problems"] == 1


def test_a_history_folder_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "history"
    folder.mkdir()
    (folder / "labs.csv").write_text(LABS, encoding="utf-8")
    result = invoke("check", jsonl(tmp_path, order("O1")), "--history", folder)
    assert result.exit_code == 0, result.stderr
    assert f"{folder / 'labs.csv'}:2: value" in result.stderr


def test_unusable_history_options_are_usage_errors(tmp_path: Path) -> None:
    orders = jsonl(tmp_path, order("O1"))
    missing = invoke("check", orders, "--labs", tmp_path / "nope.csv")
    assert missing.exit_code == 2 and "--labs" in missing.stderr and "no such file" in missing.stderr
    assert invoke("check", orders, "--history", tmp_path / "nope").exit_code == 2
    labs = tmp_path / "labs.csv"
    labs.write_text("id,test\n1,hb\n", encoding="utf-8")
    headless = invoke("check", orders, "--labs", labs)
    assert headless.exit_code == 2 and "names no patient_id" in headless.stderr
    assert headless.stdout == ""


def test_an_output_may_not_replace_a_history_file(tmp_path: Path) -> None:
    labs = tmp_path / "labs.csv"
    labs.write_text(LABS, encoding="utf-8")
    result = invoke("check", jsonl(tmp_path, order("O1")), "--labs", labs, "--summary", labs)
    assert result.exit_code == 2 and "would be overwritten" in result.stderr
    assert labs.read_text(encoding="utf-8") == LABS


def test_bad_history_records_beyond_the_cap_are_only_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history_problems, "HISTORY_PROBLEMS_SHOWN", 2)
    labs = tmp_path / "labs.csv"
    labs.write_text(
        "patient_id,test,value,unit,taken_at\n" + "PT-1,hb,high,g/dL,2026-02-01\n" * 5, encoding="utf-8"
    )
    result = invoke("check", jsonl(tmp_path, order("O1")), "--labs", labs)
    assert result.exit_code == 0
    assert result.stderr.count("'high' is not a number") == 2
    assert "5 history records or values were not used (3 not shown)" in result.stderr


# --- a history CSV reads as an orders CSV does (io/csv_open.py) ------------------------------------


def test_an_excel_sep_line_in_a_labs_csv_is_honoured_as_in_an_orders_csv(tmp_path: Path) -> None:
    labs = tmp_path / "labs.csv"
    labs.write_text("sep=;\n" + LABS.replace(",", ";"), encoding="utf-8")
    result = invoke("check", jsonl(tmp_path, order("O1"), order("O2")), "--labs", labs)
    assert result.exit_code == 0, result.stderr
    assert [r["order_id"] for r in results(result.stdout)] == ["O1", "O2"]
    assert f"doseguard: {labs}:3: value: 'high' is not a number" in result.stderr.splitlines()
    assert "1 history record or value was not used" in result.stderr


def test_labs_files_joined_with_cat_say_the_repeated_header_line(tmp_path: Path) -> None:
    labs = tmp_path / "labs.csv"
    labs.write_text(LABS + LABS, encoding="utf-8")
    result = invoke("check", jsonl(tmp_path, order("O1")), "--labs", labs)
    assert result.exit_code == 0, result.stderr
    said = result.stderr.splitlines()
    assert (
        f"doseguard: {labs}:4: the header line again (files joined?): not a record; the rows after it are read"
        in said
    )
    assert "is no test of the lab catalogue" not in result.stderr
    assert f"doseguard: {labs}:5: value: 'high' is not a number" in said


def test_a_patients_rows_that_disagree_are_said_at_the_later_row(tmp_path: Path) -> None:
    patients = tmp_path / "patients.csv"
    patients.write_text(
        "patient_id,weight_kg,sex\nPT-1,70,F\nPT-2,60,M\nPT-1,90,F\nPT-1,70,F\n", encoding="utf-8"
    )
    result = invoke("check", jsonl(tmp_path, order("O1"), order("O2")), "--patients", patients)
    assert result.exit_code == 0, result.stderr
    assert [r["order_id"] for r in results(result.stdout)] == ["O1", "O2"]
    said = [line for line in result.stderr.splitlines() if "weight_kg" in line]
    assert said == [
        f"doseguard: {patients}:4: weight_kg: '90' here, '70' at {patients}:2: the patient's rows "
        "disagree, so neither value is used for PT-1"
    ]


LAB = {"patient_id": "PT-1", "test": "hb", "value": 11, "unit": "g/dL", "taken_at": "2026-02-01"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[\n  " + json.dumps(LAB) + ",\n  " + json.dumps(LAB) + "\n]\n",
            ":1: a JSON array, not JSON Lines (one object a line): the file is not read",
        ),
        ("[" + json.dumps(LAB) + "]\n", ":1: a JSON array, not JSON Lines (one object a line)"),
        (json.dumps(LAB) + "\n[1, 2]\n", ":2: expected a JSON object, got an array"),
        (json.dumps(LAB) + '\n"hb"\n', ":2: expected a JSON object, got a string"),
        (json.dumps(LAB).replace(": 11", ": 1e400") + "\n", ":1: value: the number 1e400 is not one"),
        (json.dumps(LAB).replace(": 11", ": NaN") + "\n", ":1: value: the number NaN is not one"),
    ],
    ids=["array", "one-line-array", "array-line", "string-line", "huge-number", "nan"],
)
def test_a_bad_labs_jsonl_gives_one_located_line_and_the_batch_goes_on(
    tmp_path: Path, text: str, expected: str
) -> None:
    labs = tmp_path / "labs.jsonl"
    labs.write_text(text, encoding="utf-8")
    result = invoke("check", jsonl(tmp_path, order("O1"), order("O2")), "--labs", labs)
    assert result.exit_code == 0, result.stderr
    assert [r["order_id"] for r in results(result.stdout)] == ["O1", "O2"]
    said = [line for line in result.stderr.splitlines() if str(labs) in line]
    assert len(said) == 1, said
    assert said[0].startswith(f"doseguard: {labs}{expected}")
    assert "1 history record or value was not used" in result.stderr


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_patients_file_allergy_flags_that_patients_orders_only(tmp_path: Path, jobs: str) -> None:
    orders = jsonl(
        tmp_path,
        *(standard_order(f"A{n}", "PT-A") for n in range(3)),
        *(standard_order(f"B{n}", "PT-B") for n in range(3)),
        standard_order("A3", "PT-A"),
    )
    patients = jsonl(
        tmp_path,
        {"patient_id": "PT-A", "allergies": "cobalt"},
        {"patient_id": "PT-B", "allergies": "penicillin"},
        name="patients.jsonl",
    )
    result = invoke("check", orders, "--patients", patients, "--jobs", jobs, "--fail-on", "never")
    assert result.exit_code == 0, result.stderr
    flagged = {
        r["order_id"]: "B12-CONTRAINDICATION" in [f["rule_id"] for f in r["findings"]]
        for r in results(result.stdout)
    }
    assert flagged == {"A0": True, "A1": True, "A2": True, "B0": False, "B1": False, "B2": False, "A3": True}


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_history_files_reach_a_packs_history_rules(tmp_path: Path, jobs: str) -> None:
    packs = history_pack.pack(tmp_path / "b12")
    at = {"ordered_at": "2026-03-01T09:00:00Z"}
    orders = jsonl(tmp_path, standard_order("O1", "PT-1", **at), standard_order("O2", "PT-2", **at))
    labs = tmp_path / "labs.csv"
    labs.write_text(
        "patient_id,test,value,unit,taken_at\nPT-1,hb,7.5,g/dL,2026-02-27\nPT-2,hb,12.5,g/dL,2026-02-27\n",
        encoding="utf-8",
    )
    mar = jsonl(
        tmp_path,
        *(
            {"patient_id": p, "drug": "cyanocobalamin", "dose": "1000 mcg", "route": "IM",
             "given_at": f"2026-02-{day}T09:00Z", "status": "given"}
            for p in ("PT-1", "PT-2")
            for day in ("20", "22", "24")
        ),
        name="mar.jsonl",
    )  # fmt: skip
    result = invoke(
        "check", orders, "--rules", packs, "--labs", labs, "--administrations", mar, "--jobs", jobs,
        "--fail-on", "never",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    by_order = {r["order_id"]: r for r in results(result.stdout)}
    assert [f["message"] for f in by_order["O1"]["findings"] if f["rule_id"] == "B12-HB-LOW"] == [
        "Haemoglobin 7.5 g/dL after 3 doses"
    ]
    assert by_order["O2"]["status"] == "pass", by_order["O2"]


def test_a_lab_value_beyond_the_engines_range_is_a_located_problem_not_an_order_error(
    tmp_path: Path,
) -> None:
    packs = history_pack.pack(tmp_path / "b12")
    orders = jsonl(tmp_path, standard_order("O1", "PT-1", ordered_at="2026-03-01T09:00:00Z"))
    labs = tmp_path / "labs.csv"
    labs.write_text(
        "patient_id,test,value,unit,taken_at\nPT-1,hb,9999999999999,g/dL,2026-02-27\n", encoding="utf-8"
    )
    result = invoke("check", orders, "--rules", packs, "--labs", labs, "--fail-on", "never")
    assert result.exit_code == 0, result.stderr
    (only,) = results(result.stdout)
    assert only["status"] != "error", only
    assert (
        f"doseguard: {labs}:2: value: 9999999999999 is out of the range a check can hold (up to 1e12)"
        in result.stderr.splitlines()
    )


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_rules_the_run_holds_no_data_for_are_listed_and_said_once(tmp_path: Path, jobs: str) -> None:
    """No --labs: each order lists the haemoglobin rules under not_evaluated (the line cache's copies
    of a repeated line too), --summary counts them, stderr says it once."""
    packs = history_pack.pack(tmp_path / "b12")
    orders = jsonl(
        tmp_path, *(standard_order(f"O{n}", "PT-1", ordered_at="2026-03-01T09:00:00Z") for n in range(6))
    )
    summary = tmp_path / "summary.json"
    result = invoke(
        "check", orders, "--rules", packs, "--jobs", jobs, "--summary", summary, "--fail-on", "never"
    )
    assert result.exit_code == 0, result.stderr
    lines = results(result.stdout)
    assert [line["not_evaluated"] for line in lines] == [["B12-HB-LOW", "B12-HB-LOW-SAYS"]] * 6
    assert {line["status"] for line in lines} == {"pass"}
    counts = json.loads(summary.read_text())["not_evaluated_by_rule"]
    assert counts == {"B12-HB-LOW": 6, "B12-HB-LOW-SAYS": 6}
    said = [line for line in result.stderr.splitlines() if "not evaluated" in line]
    assert said == [
        "doseguard: not evaluated, for want of patient history the run does not hold: B12-HB-LOW (6 orders), "
        "B12-HB-LOW-SAYS (6 orders); give it --administrations, --labs, --history or --other-orders (or FHIR resources beside "
        "the orders) to check them"
    ]


def test_a_patient_with_no_result_in_a_run_with_labs_gets_a_not_evaluated_finding(tmp_path: Path) -> None:
    packs = history_pack.pack(tmp_path / "b12")
    orders = jsonl(tmp_path, standard_order("O1", "PT-2", ordered_at="2026-03-01T09:00:00Z"))
    labs = tmp_path / "labs.csv"
    labs.write_text("patient_id,test,value,unit,taken_at\nPT-1,hb,7.5,g/dL,2026-02-27\n", encoding="utf-8")
    result = invoke("check", orders, "--rules", packs, "--labs", labs, "--fail-on", "never")
    (line,) = results(result.stdout)
    said = {f["rule_id"]: (f["evaluated"], f["severity"], f["message"]) for f in line["findings"]}
    assert said["B12-HB-LOW-SAYS"] == (
        False,
        "critical",
        "Not evaluated: No recent haemoglobin; check one before the next dose.",
    )
    assert line["not_evaluated"] == ["B12-HB-LOW"]  # it reads doses given too: the run has no MAR


def test_a_lab_value_no_patient_can_have_is_a_bad_record_not_a_failed_check(tmp_path: Path) -> None:
    """125 g/dL (a g/L value in the g/dL column) was once read as a haemoglobin of 125."""
    packs = history_pack.pack(tmp_path / "b12")
    orders = jsonl(tmp_path, standard_order("O1", "PT-1", ordered_at="2026-03-01T09:00:00Z"))
    labs = tmp_path / "labs.csv"
    labs.write_text("patient_id,test,value,unit,taken_at\nPT-1,hb,125,g/dL,2026-02-27\n", encoding="utf-8")
    result = invoke("check", orders, "--rules", packs, "--labs", labs, "--fail-on", "never")
    assert (
        f"doseguard: {labs}:2: value: 125 g/dL is not a plausible haemoglobin result (expected 0.5 to 30 g/dL)"
        in result.stderr.splitlines()
    )
    (line,) = results(result.stdout)
    assert line["status"] == "flagged"
    assert {f["rule_id"]: f["evaluated"] for f in line["findings"]} == {"B12-HB-LOW-SAYS": False}
    assert line["not_evaluated"] == ["B12-HB-LOW"]


WEIGHT_RULE = """\
rules:
  - id: HEAVY
    title: Heavy patient
    severity: warning
    description: A test rule.
    references: [a source]
    when: weight_kg > 100
    message: "Weight {weight_kg} kg"
"""


def test_a_weight_the_patients_rows_disagree_on_leaves_a_weight_rule_not_evaluated(tmp_path: Path) -> None:
    packs = history_pack.pack(tmp_path / "b12", rules=WEIGHT_RULE)
    record = standard_order("O1", "PT-1", ordered_at="2026-03-01T09:00:00Z")
    record.pop("weight_kg", None)
    patients = tmp_path / "patients.csv"
    patients.write_text("patient_id,weight_kg\nPT-1,120\nPT-1,70\n", encoding="utf-8")
    result = invoke(
        "check", jsonl(tmp_path, record), "--rules", packs, "--patients", patients, "--fail-on", "never"
    )
    assert result.exit_code == 0, result.stderr
    (line,) = results(result.stdout)
    assert [(f["rule_id"], f["evaluated"]) for f in line["findings"]] == [("HEAVY", False)]
    assert f"doseguard: {patients}:3: weight_kg: '70' here, '120' at {patients}:2" in result.stderr


@pytest.mark.parametrize(
    ("order_patient", "file_patient"), [("PT-A\u200b", "PT-A"), ("PT-A", "PT-A\ufeff"), ("ＰＴ-A", "PT-A")]
)
def test_a_patient_id_written_with_an_invisible_or_full_width_character_still_finds_its_patient(
    tmp_path: Path, order_patient: str, file_patient: str
) -> None:
    """Once a zero-width space after the id made a cobalt-allergic patient's order pass in silence."""
    orders = jsonl(tmp_path, standard_order("O1", order_patient))
    patients = tmp_path / "patients.csv"
    patients.write_text(f"patient_id,allergies\n{file_patient},cobalt\n", encoding="utf-8")
    result = invoke("check", orders, "--patients", patients, "--fail-on", "never")
    (line,) = results(result.stdout)
    assert "B12-CONTRAINDICATION" in [f["rule_id"] for f in line["findings"]], line


def test_an_empty_history_file_is_a_usage_error_not_a_history_of_nothing(tmp_path: Path) -> None:
    """A zero-byte labs file (an export that failed) once meant "the run holds labs, and none of this
    patient's": every lab rule evaluated on nothing."""
    empty = tmp_path / "labs.csv"
    empty.write_bytes(b"")
    result = invoke("check", jsonl(tmp_path, order("O1")), "--labs", empty)
    assert result.exit_code == 2
    assert f"--labs {empty}: the file is empty" in result.stderr
    folder = tmp_path / "history"
    folder.mkdir()
    (folder / "administrations.csv").write_bytes(b"")
    result = invoke("check", jsonl(tmp_path, order("O1")), "--history", folder)
    assert result.exit_code == 2
    assert f"{folder / 'administrations.csv'}: the file is empty" in result.stderr


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_patient_whose_history_rows_were_not_used_is_told_so_on_the_order(
    tmp_path: Path, jobs: str
) -> None:
    """A MAR row with a status no one can read (``skipped``) was said on stderr, and the patient's
    order still read as a clean pass: the result now says which of its patient's rows were not used."""
    at = {"ordered_at": "2026-03-01T09:00:00Z"}
    orders = jsonl(tmp_path, standard_order("O1", "PT-1", **at), standard_order("O2", "PT-2", **at))
    mar = tmp_path / "mar.csv"
    mar.write_text(
        "patient_id,drug,dose,route,given_at,status\n"
        "PT-1,cyanocobalamin,1000 mcg,IM,2026-02-26T09:00:00Z,given\n"
        "PT-1,cyanocobalamin,1000 mcg,IM,2026-02-27T09:00:00Z,skipped\n"
        "PT-2,cyanocobalamin,1000 mcg,IM,2026-02-27T09:00:00Z,given\n",
        encoding="utf-8",
    )
    result = invoke("check", orders, "--administrations", mar, "--jobs", jobs, "--fail-on", "never")
    assert result.exit_code == 0, result.stderr
    by_order = {line["order_id"]: line for line in results(result.stdout)}
    assert by_order["O1"]["warnings"] == [
        f"the patient's history is incomplete: 1 record not used ({mar}:3): see the run's messages"
    ]
    assert by_order["O2"]["warnings"] == []


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_bad_value_of_the_patients_file_is_named_at_its_line_on_the_order(
    tmp_path: Path, jobs: str
) -> None:
    """A weight of 8000 kg in patients.csv made the order invalid with 'weight_kg: ... outside the
    plausible range', while the order itself has no weight: the pharmacist looked for it in the wrong
    file. The error names the patients file's line; two patients with the same bad value each get
    their own line."""
    orders = jsonl(
        tmp_path, standard_order("O1", "PT-1"), standard_order("O2", "PT-2"), standard_order("O3", "PT-1")
    )
    patients = tmp_path / "patients.csv"
    patients.write_text("patient_id,weight_kg\nPT-1,8000 kg\nPT-2,8000 kg\n", encoding="utf-8")
    result = invoke("check", orders, "--patients", patients, "--jobs", jobs, "--fail-on", "never")
    lines = results(result.stdout)
    assert [line["status"] for line in lines] == ["invalid"] * 3
    said = [[(e["field"], e["message"]) for e in line["errors"]] for line in lines]
    for (field, message), row in zip([s[0] for s in said], (2, 3, 2), strict=True):
        assert field == "weight_kg"
        assert message.endswith(f"(from the patient's record, {patients}:{row})"), message


def test_a_bad_value_of_the_order_itself_names_no_other_file(tmp_path: Path) -> None:
    orders = jsonl(tmp_path, {**standard_order("O1", "PT-1"), "weight_kg": "8000 kg"})
    patients = tmp_path / "patients.csv"
    patients.write_text("patient_id,weight_kg\nPT-1,80 kg\n", encoding="utf-8")
    (line,) = results(invoke("check", orders, "--patients", patients, "--fail-on", "never").stdout)
    assert line["status"] == "invalid"
    assert "patient's record" not in line["errors"][0]["message"]


def test_the_patient_files_line_is_named_after_orders_that_wrote_the_same_bad_value(tmp_path: Path) -> None:
    """Results are shared between records that read alike: two orders writing 'weight_kg: 8000 kg'
    themselves, then one taking it from patients.csv, gave the third the first two's error, without
    the line it came from."""
    own = {**standard_order("O1", "PT-9"), "weight_kg": "8000 kg"}
    orders = jsonl(tmp_path, own, {**own, "order_id": "O2"}, standard_order("O3", "PT-1"))
    patients = tmp_path / "patients.csv"
    patients.write_text("patient_id,weight_kg\nPT-1,8000 kg\n", encoding="utf-8")
    lines = results(invoke("check", orders, "--patients", patients, "--fail-on", "never").stdout)
    assert [line["status"] for line in lines] == ["invalid"] * 3
    assert "patient's record" not in lines[1]["errors"][0]["message"]
    assert lines[2]["errors"][0]["message"].endswith(f"(from the patient's record, {patients}:2)")
