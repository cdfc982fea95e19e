"""The checker with the patient behind the order: patient fields merged in, history aggregates
computed into the facts, and never an outcome shared between records of different patient context."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from doseguard import Checker, InputRecord, ResultStatus, load_rules
from doseguard.patients.model import Administration, HistoryKind, LabResult, PatientContext
from tests.helpers import history_pack
from tests.helpers.orders import STANDARD_ORDER as STANDARD

ORDERED_AT = datetime(2026, 3, 1, 9, tzinfo=UTC)
ALLERGIC = PatientContext("P1", frozenset({HistoryKind.PATIENT}), {"allergies": ["cobalt"]})
NOT_ALLERGIC = PatientContext("P1", frozenset({HistoryKind.PATIENT}), {"allergies": ["penicillin"]})
CONTRAINDICATION = "B12-CONTRAINDICATION"


def _rule_ids(checker: Checker, record: InputRecord) -> list[str]:
    return [finding.rule_id for finding in checker.check(record).findings]


def test_a_patient_allergy_in_the_context_flags_the_order(checker: Checker) -> None:
    assert CONTRAINDICATION in _rule_ids(checker, InputRecord("t:1", STANDARD, context=ALLERGIC))
    assert CONTRAINDICATION not in _rule_ids(checker, InputRecord("t:2", STANDARD, context=NOT_ALLERGIC))


def test_the_record_itself_is_not_changed_by_its_context(checker: Checker) -> None:
    record = dict(STANDARD)
    checker.check(InputRecord("t:1", record, context=ALLERGIC))
    assert record == STANDARD


def test_no_outcome_is_shared_between_records_of_different_patient_facts() -> None:
    """Each record is met often enough for every cache to keep it (kept on second sight)."""
    checker = Checker(load_rules())
    plain, allergic = InputRecord("t", STANDARD), InputRecord("t", STANDARD, context=ALLERGIC)
    for record, expected in [(plain, False), (allergic, True)] * 4 + [(allergic, True), (plain, False)] * 4:
        assert (CONTRAINDICATION in _rule_ids(checker, record)) is expected


@pytest.fixture(scope="module")
def history_checker(tmp_path_factory: pytest.TempPathFactory) -> Checker:
    folder = history_pack.pack(tmp_path_factory.mktemp("packs") / "b12")
    return Checker(load_rules([folder]))


def _history(haemoglobin: float | None, doses: int) -> PatientContext:
    labs = (
        ()
        if haemoglobin is None
        else (LabResult("haemoglobin", haemoglobin, ORDERED_AT - timedelta(days=2)),)
    )
    given = tuple(
        Administration(
            "cyanocobalamin", ORDERED_AT - timedelta(days=2 * (n + 1)), dose_mcg=1000.0, route="IM"
        )
        for n in range(doses)
    )
    kinds = frozenset({HistoryKind.PATIENT, HistoryKind.LABS, HistoryKind.ADMINISTRATIONS})
    return PatientContext("P1", kinds, {}, given, labs)


ORDER = {**STANDARD, "ordered_at": ORDERED_AT.isoformat()}


def test_history_aggregates_reach_the_rules_and_their_messages(history_checker: Checker) -> None:
    result = history_checker.check(InputRecord("t:1", ORDER, context=_history(7.5, 3)))
    finding = next(f for f in result.findings if f.rule_id == "B12-HB-LOW")
    assert finding.message == "Haemoglobin 7.5 g/dL after 3 doses"


def test_a_course_that_responded_is_not_flagged(history_checker: Checker) -> None:
    result = history_checker.check(InputRecord("t:1", ORDER, context=_history(12.5, 3)))
    assert "B12-HB-LOW" not in [f.rule_id for f in result.findings]


def test_no_outcome_is_shared_between_records_of_different_history(history_checker: Checker) -> None:
    low, high = _history(7.5, 3), _history(12.5, 3)
    for context, expected in [(low, True), (high, False)] * 4 + [(high, False), (low, True)] * 4:
        record = InputRecord("t", ORDER, context=context)
        assert ("B12-HB-LOW" in _rule_ids(history_checker, record)) is expected


def test_history_after_the_order_is_not_read(history_checker: Checker) -> None:
    context = _history(7.5, 3)
    earlier = {**ORDER, "ordered_at": (ORDERED_AT - timedelta(days=30)).isoformat()}
    result = history_checker.check(InputRecord("t:1", earlier, context=context))
    assert result.status is not ResultStatus.ERROR
    assert "B12-HB-LOW" not in [f.rule_id for f in result.findings]


def test_an_unreadable_patient_fact_makes_the_order_invalid(checker: Checker) -> None:
    context = PatientContext("P1", frozenset({HistoryKind.PATIENT}), {"weight_kg": "heavy"})
    result = checker.check(InputRecord("t:1", STANDARD, context=context))
    assert result.status is ResultStatus.INVALID
    assert [error.field for error in result.errors] == ["weight_kg"]


def test_a_record_met_again_with_the_same_history_shares_its_outcome(
    history_checker: Checker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Remembered by the record, the kinds held and the aggregates (all a rule reads of the history),
    a Bundle's or a batch's repeated order is not normalised again."""
    checker = Checker(history_checker.rules, history_checker.compiled)
    calls = []
    normalise = checker.normaliser.normalise
    monkeypatch.setattr(checker.normaliser, "normalise", lambda data: calls.append(1) or normalise(data))
    record = InputRecord("t", ORDER, context=_history(7.5, 3))
    outcomes = {tuple(f.message for f in checker.check(record).findings) for _ in range(6)}
    assert outcomes == {("Haemoglobin 7.5 g/dL after 3 doses",)}
    assert len(calls) == 2  # kept the second time it is met


def test_an_unreadable_ordered_at_never_shares_an_outcome(history_checker: Checker) -> None:
    record = InputRecord("t", {**ORDER, "ordered_at": "yesterday"}, context=_history(7.5, 3))
    for _ in range(4):
        result = history_checker.check(record)
        assert result.status is ResultStatus.INVALID
        assert [error.field for error in result.errors] == ["ordered_at"]


ENOXAPARIN_TREATMENT = {
    "order_id": "E1", "patient_id": "P1", "drug": "enoxaparin", "dose": "80 mg", "route": "SC",
    "frequency": "every 12 hours", "conditions": "deep vein thrombosis", "ordered_at": "2026-03-01T09:00:00Z",
}  # fmt: skip


def _weighed(weight: str, when: datetime, renal: str = "90 mL/min") -> PatientContext:
    """A patient weighed (and their creatinine clearance measured) at ``when``, as FHIR says it."""
    return PatientContext(
        "P1", frozenset({HistoryKind.PATIENT}), {"weight_kg": weight, "creatinine_clearance_ml_min": renal},
        field_times={"weight_kg": when, "creatinine_clearance_ml_min": when},
    )  # fmt: skip


def _not_evaluated(checker: Checker, context: PatientContext) -> dict[str, str]:
    result = checker.check(InputRecord("t:1", ENOXAPARIN_TREATMENT, context=context))
    return {f.rule_id: f.message for f in result.findings if not f.evaluated}


def test_a_weight_and_renal_function_measured_long_before_the_order_are_not_taken_as_current(
    checker: Checker,
) -> None:
    """A weight recorded in 2019 judged a 2026 enoxaparin dose per kg as if the patient weighed that
    now (an 80 mg dose "1 mg/kg" for a patient who since lost 25 kg): a weight or renal function from
    more than 30 days before the order says nothing of it, and the rules that need it say why."""
    recent = _not_evaluated(checker, _weighed("80 kg", ORDERED_AT - timedelta(days=3)))
    assert recent == {}
    stale = _not_evaluated(checker, _weighed("80 kg", datetime(2019, 5, 1, tzinfo=UTC)))
    assert stale, "rules needing the weight must say they were not evaluated"
    for message in stale.values():
        assert "more than 30 days before the order" in message, message
        assert "no weight recorded" not in message, message


def test_a_stale_weight_shares_no_outcome_with_an_unrecorded_one(checker: Checker) -> None:
    """What is said differs ("recorded too long ago" against "not recorded"): never one outcome."""
    unweighed = PatientContext("P1", frozenset({HistoryKind.PATIENT}), {"creatinine_clearance_ml_min": "90"})
    old = _weighed("80 kg", datetime(2019, 5, 1, tzinfo=UTC))
    for _ in range(3):
        unrecorded, stale = _not_evaluated(checker, unweighed), _not_evaluated(checker, old)
        assert unrecorded and stale
        assert all("30 days" not in message for message in unrecorded.values())
        assert all("30 days" in message for message in stale.values())
