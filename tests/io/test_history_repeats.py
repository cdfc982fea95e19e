"""A row written again (the same drug, dose, route, status; the same test, value, unit) reads as the
first did, at its own file:line: the normaliser remembers what repeats (history_records), so these pin
that a remembered answer never carries another row's source, nor mixes JSON values that compare equal
(``1``, ``1.0``, ``true``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from doseguard.errors import HistoryProblem
from doseguard.io import history_records
from doseguard.io.history import HistorySources, read_history
from doseguard.orders.drugs import PackDrug
from doseguard.orders.patient import parse_ordered_at
from doseguard.patients.model import Administration, LabResult

DRUGS = (PackDrug("cyanocobalamin", ("vitamin b12", "b12")),)


def read(folder: Path) -> list[Any]:
    return list(read_history(HistorySources(history=str(folder)), DRUGS))


def test_repeated_good_and_bad_administrations_each_name_their_own_line(tmp_path: Path) -> None:
    rows = [
        "P1,b12,1000 mcg,IM,2026-08-14T16:06:00Z,given",
        "P2,b12,1000 mcg,IM,2026-08-15T16:06:00Z,given",
        "P3,b12,1000 mcg,XX,2026-08-15,given",
        "P4,b12,1000 mcg,XX,2026-08-15,given",
        "P5,b12,1000 mcg,XX,not a time,given",
        "P6,b12,5 parsecs,IM,2026-08-15,given",
        "P7,b12,5 parsecs,IM,2026-08-15,given",
    ]
    (tmp_path / "administrations.csv").write_text(
        "patient_id,drug,dose,route,given_at,status\n" + "\n".join(rows) + "\n", encoding="utf-8"
    )
    items = read(tmp_path)
    name = str(tmp_path / "administrations.csv")
    assert [item[1].source for item in items[:2]] == [f"{name}:2", f"{name}:3"]
    assert isinstance(items[0][1], Administration) and items[0][1].drug == items[1][1].drug
    bad = items[2:]
    assert all(isinstance(item, HistoryProblem) for item in bad)
    assert [(p.source, p.field, p.patient_id) for p in bad] == [
        (f"{name}:4", "route", "P3"),
        (f"{name}:5", "route", "P4"),
        (f"{name}:6", "given_at", "P5"),  # the time is read before the route
        (f"{name}:7", "dose", "P6"),
        (f"{name}:8", "dose", "P7"),
    ]
    assert bad[0].message == bad[1].message and bad[3].message == bad[4].message


def test_json_values_that_compare_equal_are_read_each_as_itself(tmp_path: Path) -> None:
    (tmp_path / "labs.jsonl").write_text(
        "".join(
            f'{{"patient_id":"P1","test":"mcv","value":{value},"unit":"fL","taken_at":"2026-08-14"}}\n'
            for value in ("90", "90.0", "true", '"90"', "90")
        ),
        encoding="utf-8",
    )
    (tmp_path / "administrations.jsonl").write_text(
        "".join(
            f'{{"patient_id":"P1","drug":"b12","dose":{dose},"given_at":"2026-08-14"}}\n'
            for dose in ('"1 mcg"', "1", "true", "1.0", '"1 mcg"')
        ),
        encoding="utf-8",
    )
    items = read(tmp_path)
    doses = [item if isinstance(item, HistoryProblem) else item[1] for item in items[:5]]
    assert isinstance(doses[0], Administration) and isinstance(doses[4], Administration)
    assert [p.message for p in doses[1:4]] == [
        f"{shown} has no unit (write '1000 mcg' or '5000 units')" for shown in ("1", "True", "1.0")
    ]
    labs = [item if isinstance(item, HistoryProblem) else item[1] for item in items[5:]]
    assert [type(lab) for lab in labs] == [LabResult, LabResult, HistoryProblem, LabResult, LabResult]
    assert [lab.source.rsplit(":", 1)[1] for lab in labs] == ["1", "2", "3", "4", "5"]


def test_a_time_in_the_exports_shape_reads_as_any_other_and_a_13th_month_is_said(tmp_path: Path) -> None:
    rows = ["P1,b12,,,2026-08-14T16:06:00Z,", "P2,b12,,,2026-13-14T16:06:00Z,", "P3,b12,,,2026-08-14 16:06Z,"]
    (tmp_path / "administrations.csv").write_text(
        "patient_id,drug,dose,route,given_at,status\n" + "\n".join(rows) + "\n", encoding="utf-8"
    )
    first, bad, spaced = read(tmp_path)
    assert first[1].given_at == parse_ordered_at("2026-08-14T16:06:00Z") == spaced[1].given_at
    assert first[1].given_at.tzinfo is parse_ordered_at("2026-08-14T16:06:00Z").tzinfo
    assert isinstance(bad, HistoryProblem) and bad.field == "given_at"
    assert bad.message == "'2026-13-14T16:06:00Z' is not an ISO 8601 date-time (e.g. '2026-03-01T09:00:00Z')"


def test_what_the_normaliser_remembers_is_bounded_whatever_the_file_holds(monkeypatch: Any) -> None:
    """A file of a million patients, or of lab values all different, must not grow the run's memory
    with it: past its bound, a cache starts again (slower, never wrong)."""
    monkeypatch.setattr(history_records, "REMEMBERED", 8)
    normaliser = history_records.RowNormaliser(DRUGS)
    for number in range(100):
        row = {"patient_id": f"P{number}", "drug": "b12", "dose": f"{number + 1} mcg", "route": "IM",
               "given_at": "2026-08-14T16:06:00Z", "status": "given"}  # fmt: skip
        item = normaliser.administration(f"a.csv:{number + 2}", row)
        assert not isinstance(item, HistoryProblem) and item[0] == f"P{number}"
        lab = {"patient_id": f"P{number}", "test": "haemoglobin", "value": f"{10 + number / 100}",
               "unit": "g/dL", "taken_at": "2026-08-14T16:06:00Z"}  # fmt: skip
        result = normaliser.lab(f"l.csv:{number + 2}", lab)
        assert not isinstance(result, HistoryProblem) and result[1].value == 10 + number / 100
    assert all(len(cache) <= 8 for cache in (normaliser._ids, normaliser._doses, normaliser._labs))
