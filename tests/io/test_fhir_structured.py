"""FHIR values reach the normaliser as structured values (doseguard.orders.draft), not as text to parse
back: the dose is the number the resource gives, notation rules see nothing that was never written,
and the result caches still tell two orders apart by their values."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from doseguard import Checker, InputRecord, load_rules
from doseguard.io.fhir import fhir_record, medication_request_to_record
from doseguard.orders.draft import STRUCTURED, StructuredFrequency, StructuredQuantity
from doseguard.results import ResultStatus

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fhir-medicationrequests.ndjson"
UCUM = "http://unitsofmeasure.org"


@pytest.fixture(scope="module")
def checker() -> Checker:
    return Checker(load_rules())


def resource(ident: str = "MR-1", **dose: Any) -> dict[str, Any]:
    """The first Bulk Data example (1000 mcg IM daily for 7 days, a 1000 mcg/mL vial), its dose changed."""
    data: dict[str, Any] = copy.deepcopy(json.loads(EXAMPLE.read_text(encoding="utf-8").splitlines()[0]))
    data["id"] = ident
    if dose:
        quantity = {"system": UCUM, **dose}
        data["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"] = quantity
    return data


def facts(checker: Checker, data: dict[str, Any]) -> dict[str, Any]:
    return checker.normaliser.normalise(medication_request_to_record(data)).facts


def test_quantities_frequency_and_duration_are_structured(checker: Checker) -> None:
    record = medication_request_to_record(resource())
    assert record["dose"] == StructuredQuantity(1000.0, "1000 mcg")
    assert record["product_concentration"] == StructuredQuantity(1000.0, "1000 mcg/1 mL")
    assert record["frequency"] == StructuredFrequency(1.0, "daily")
    for name in ("dose", "volume", "product_concentration", "frequency", "duration"):
        assert record[name].written is STRUCTURED, name
    found = facts(checker, resource())
    assert (found["dose_mcg"], found["volume_ml"], found["interval_days"], found["duration_days"]) == (
        1000.0,
        1.0,
        1.0,
        7.0,
    )
    assert "notation_tokens" not in found  # nothing was written: nothing for the notation rules to read


def test_a_timing_code_text_is_what_a_person_wrote_and_is_read_as_notation(checker: Checker) -> None:
    data = resource()
    data["dosageInstruction"][0]["timing"] = {"code": {"text": "QD"}}
    assert medication_request_to_record(data)["frequency"] == "QD"
    assert facts(checker, data)["notation_tokens"] == ["qd"]
    data["dosageInstruction"][0]["timing"] = {"code": {"coding": [{"code": "QD"}]}}
    assert "notation_tokens" not in facts(checker, data)  # a coded QD is not handwriting


@pytest.mark.parametrize(
    ("dose", "dose_mcg"),
    [
        ({"value": 1.0000004, "unit": "mg", "code": "mg"}, 1000.0004),
        ({"value": 0.0000005, "unit": "g", "code": "g"}, 0.5),
        ({"value": 0.0012345, "unit": "mg", "code": "mg"}, 1.2345),
    ],
)
def test_a_fhir_dose_is_its_value_not_its_text_rounded(
    checker: Checker, dose: dict[str, Any], dose_mcg: float
) -> None:
    """Defect of the text round trip: the mapper wrote the number with at most 6 decimals in the unit
    given ("1.0000004 mg" became "1 mg"), so a FHIR dose over the maximum passed, 0.5 mcg given in g was
    refused as "'0 g': a dose must be greater than zero", and 0.0012345 mg was read as 1.234 mcg. The
    same dose written as text was read exactly: FHIR and text orders now agree."""
    assert facts(checker, resource(**dose))["dose_mcg"] == dose_mcg
    text = checker.normaliser.normalise(
        {
            "order_id": "T",
            "patient_id": "P",
            "drug": "cyanocobalamin",
            "dose": f"{dose['value']:.7f} {dose['code']}",
        }
    )
    assert text.facts["dose_mcg"] == dose_mcg


def test_a_dose_over_the_maximum_by_less_than_its_text_shows_is_flagged(checker: Checker) -> None:
    over = checker.check(fhir_record("x", resource(value=1.0000004, unit="mg", code="mg")))
    assert over.status is ResultStatus.FLAGGED
    assert "B12-DOSE-HIGH" in [finding.rule_id for finding in over.findings]


def test_two_fhir_orders_differing_only_in_a_structured_dose_never_share_a_result() -> None:
    """The outcome cache keys a record by its fields: structured values are compared by value, so "1 mg"
    and 1.0000004 mg (both shown as "1 mg") and 5 mg are three orders, whatever was checked before."""
    checker = Checker(load_rules())
    one_mg = {"value": 1, "unit": "mg", "code": "mg"}
    orders = [
        *(resource(f"A{n}", **one_mg) for n in range(3)),
        resource("B", value=1.0000004, unit="mg", code="mg"),
        resource("C", value=5, unit="mg", code="mg"),
        resource("A3", **one_mg),
    ]
    results = list(checker.check_all(fhir_record(f"x:{n}", data) for n, data in enumerate(orders)))
    assert [result.status for result in results] == [ResultStatus.PASS] * 3 + [ResultStatus.FLAGGED] * 2 + [
        ResultStatus.PASS
    ]
    assert results[3].findings != results[4].findings


def test_repeated_fhir_orders_are_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Structured values keep a record cacheable: an order met a second time is kept, and from the third
    on it is answered without normalising it again."""
    checker = Checker(load_rules())
    normalise = checker.normaliser.normalise
    calls: list[object] = []

    def counted(raw: Any) -> Any:
        calls.append(raw)
        return normalise(raw)

    monkeypatch.setattr(checker.normaliser, "normalise", counted)
    items: list[InputRecord] = [fhir_record(f"x:{n}", resource(f"MR-{n}")) for n in range(5)]
    assert all(result.status is ResultStatus.PASS for result in checker.check_all(items))
    assert len(calls) == 2
