"""Rules that absent patient data or history leaves undecided: a not-evaluated finding when the run
holds that kind of data, the result's ``not_evaluated`` when it holds none, never a silent pass."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from doseguard import Checker, InputRecord, ResultStatus, load_rules
from doseguard.io.encoders import JsonLineEncoder
from doseguard.patients.model import Administration, HistoryKind, LabResult, PatientContext
from doseguard.results import Finding, Summary
from tests.helpers import history_pack
from tests.helpers.orders import STANDARD_ORDER as STANDARD

AT = datetime(2026, 3, 1, 9, tzinfo=UTC)
ORDER = {**STANDARD, "ordered_at": AT.isoformat()}
ALL_KINDS = frozenset(HistoryKind)


@pytest.fixture(scope="module")
def checker(tmp_path_factory: pytest.TempPathFactory) -> Checker:
    return Checker(load_rules([history_pack.pack(tmp_path_factory.mktemp("packs") / "b12")]))


def _context(
    haemoglobin: float | None = None, doses: int = 3, kinds: frozenset[HistoryKind] = ALL_KINDS
) -> PatientContext:
    labs = () if haemoglobin is None else (LabResult("haemoglobin", haemoglobin, AT - timedelta(days=2)),)
    given = tuple(
        Administration("cyanocobalamin", AT - timedelta(days=2 * (n + 1)), dose_mcg=1000.0, route="IM")
        for n in range(doses)
    )
    return PatientContext("P1", kinds, {}, given, labs)


def _by_rule(
    checker: Checker, order: dict[str, object], context: PatientContext | None
) -> dict[str, Finding]:
    result = checker.check(InputRecord("t:1", order, context=context))
    assert result.status is not ResultStatus.ERROR, result
    return {f.rule_id: f for f in result.findings}


def test_absent_labs_the_run_holds_give_a_not_evaluated_finding_of_the_packs_severity(
    checker: Checker,
) -> None:
    result = checker.check(InputRecord("t:1", ORDER, context=_context(None, doses=3)))
    found = {f.rule_id: f for f in result.findings}
    assert result.status is ResultStatus.FLAGGED
    low = found["B12-HB-LOW"]
    assert (low.evaluated, low.severity.value) == (False, "warning")
    assert low.message == "Not evaluated: no haemoglobin result in the 30 days before the order."
    says = found["B12-HB-LOW-SAYS"]
    assert (says.evaluated, says.severity.value) == (False, "critical")
    assert says.message == "Not evaluated: No recent haemoglobin; check one before the next dose."
    assert result.not_evaluated == ()


def test_a_rule_the_known_history_settles_is_evaluated(checker: Checker) -> None:
    """One dose given: ``haemoglobin_latest < 8 and doses_given >= 3`` is false whatever the Hb."""
    found = _by_rule(checker, ORDER, _context(None, doses=1))
    assert "B12-HB-LOW" not in found
    assert found["B12-HB-LOW-SAYS"].evaluated is False  # reads the haemoglobin alone


def test_a_complete_history_is_evaluated(checker: Checker) -> None:
    assert _by_rule(checker, ORDER, _context(12.5, doses=3)) == {}
    low = _by_rule(checker, ORDER, _context(7.5, doses=3))["B12-HB-LOW"]
    assert low.evaluated is True


def test_a_run_with_no_labs_at_all_lists_the_rules_on_the_result_not_as_findings(checker: Checker) -> None:
    kinds = frozenset({HistoryKind.PATIENT, HistoryKind.ADMINISTRATIONS})
    result = checker.check(InputRecord("t:1", ORDER, context=_context(None, doses=3, kinds=kinds)))
    assert (result.status, result.findings) == (ResultStatus.PASS, ())
    assert result.not_evaluated == ("B12-HB-LOW", "B12-HB-LOW-SAYS")
    line = json.loads(JsonLineEncoder()(result))
    assert line["not_evaluated"] == ["B12-HB-LOW", "B12-HB-LOW-SAYS"]
    assert line == result.as_dict()
    summary = Summary()
    summary.add(result)
    assert summary.as_dict()["not_evaluated_by_rule"] == {"B12-HB-LOW": 1, "B12-HB-LOW-SAYS": 1}


def test_an_order_with_no_context_lists_the_history_rules(checker: Checker) -> None:
    result = checker.check(InputRecord("t:1", ORDER))
    assert result.status is ResultStatus.PASS
    assert result.not_evaluated == ("B12-HB-LOW", "B12-HB-LOW-SAYS")


def test_no_ordered_at_says_so(checker: Checker) -> None:
    order = {k: v for k, v in ORDER.items() if k != "ordered_at"}
    found = _by_rule(checker, order, _context(7.5, doses=3))
    assert found["B12-HB-LOW"].message == "Not evaluated: no ordered_at."


def test_another_packs_order_is_not_said_to_be_unevaluated(tmp_path: Path) -> None:
    bundled = Path(__file__).parents[1] / "rules" / "hydroxocobalamin"
    checker = Checker(load_rules([history_pack.pack(tmp_path / "b12"), bundled]))
    other = {**ORDER, "drug": "hydroxocobalamin", "dose": "1 mg", "concentration": "1 mg/mL"}
    result = checker.check(InputRecord("t:1", other, context=_context(None)))
    assert result.status is not ResultStatus.NOT_COVERED, result
    assert [f for f in result.findings if not f.evaluated] == [] and result.not_evaluated == ()


RULES_ON_ABSENCE = """\
rules:
  - id: B12-HB-NOT-HIGH
    title: Haemoglobin has not recovered
    severity: warning
    description: A test rule whose condition is true when the haemoglobin is absent.
    references: [a source]
    when: not (haemoglobin_latest >= 10)
    message: "Haemoglobin not recovered"
  - id: B12-HB-OPT-OUT
    title: Haemoglobin low, when there is one
    severity: warning
    description: A test rule that opts out of absence.
    references: [a source]
    when: missing(haemoglobin_latest) or haemoglobin_latest < 5
    message: "No or very low haemoglobin"
"""


def test_a_rule_the_engine_fires_on_absence_is_not_evaluated_instead(tmp_path: Path) -> None:
    checker = Checker(load_rules([history_pack.pack(tmp_path / "b12", rules=RULES_ON_ABSENCE)]))
    found = _by_rule(checker, ORDER, _context(None))
    assert found["B12-HB-NOT-HIGH"].evaluated is False
    assert found["B12-HB-OPT-OUT"].evaluated is True  # missing(x) decides: the author opted out
    assert found["B12-HB-OPT-OUT"].message == "No or very low haemoglobin"


def test_not_evaluated_findings_are_not_shared_with_another_patients_history(checker: Checker) -> None:
    for context, evaluated in [(_context(None), False), (_context(7.5), True)] * 4:
        assert _by_rule(checker, ORDER, context)["B12-HB-LOW"].evaluated is evaluated


def test_a_missing_weight_is_said_of_a_dose_per_kg() -> None:
    bundled = Path(__file__).parents[1] / "rules" / "enoxaparin"
    checker = Checker(load_rules([bundled]))
    order = {"order_id": "O1", "patient_id": "P1", "drug": "enoxaparin", "dose": "80 mg", "route": "SC",
             "frequency": "every 12 hours", "conditions": "deep vein thrombosis",
             "creatinine_clearance_ml_min": "90 mL/min"}  # fmt: skip
    result = checker.check(InputRecord("t:1", order))
    unevaluated = {f.rule_id: f.message for f in result.findings if not f.evaluated}
    assert unevaluated, result
    assert all("it needs the patient's weight" in message for message in unevaluated.values()), unevaluated
    weighed = checker.check(InputRecord("t:1", {**order, "weight_kg": "80 kg"}))
    assert weighed.status is ResultStatus.PASS, weighed


ANY_DRUG_RULES = """\
rules:
  - id: ANY-HEAVY
    title: Very heavy patient
    severity: warning
    description: A rule of a pack that names no drug, reading a patient fact.
    references: [a source]
    when: weight_kg > 200
    message: "Weight {weight_kg} kg"
"""


def test_a_rule_of_a_pack_with_no_drugs_is_looked_at_for_every_drug(tmp_path: Path) -> None:
    folder = history_pack.pack(tmp_path / "any", "name: any\ntitle: Any drug\n", ANY_DRUG_RULES)
    checker = Checker(load_rules([history_pack.pack(tmp_path / "b12"), folder]))
    found = _by_rule(checker, ORDER, None)
    assert found["ANY-HEAVY"].evaluated is False
    assert found["ANY-HEAVY"].message == "Not evaluated: no weight recorded for the patient."


def test_a_rule_the_run_holds_no_data_for_is_listed_whatever_else_the_patient_lacks(checker: Checker) -> None:
    """No MAR in the run, no haemoglobin for this patient: the run's want of administrations is the
    reason B12-HB-LOW cannot be checked, for this order as for every other."""
    kinds = frozenset({HistoryKind.PATIENT, HistoryKind.LABS})
    result = checker.check(InputRecord("t:1", ORDER, context=_context(None, doses=0, kinds=kinds)))
    assert result.not_evaluated == ("B12-HB-LOW",)
    assert [(f.rule_id, f.evaluated) for f in result.findings] == [("B12-HB-LOW-SAYS", False)]
