"""The checker: one result per record, in order; failures are reported, never passed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from doseguard import Checker, InputRecord, ResultStatus, load_rules
from doseguard.checker import NOT_COVERED
from doseguard.engine import adapter
from doseguard.results import ResultError, Summary
from tests.helpers.orders import STANDARD_ORDER as STANDARD


def test_a_correct_order_passes_with_no_finding(checker: Checker) -> None:
    result = checker.check(InputRecord("t:1", STANDARD))
    assert result.status is ResultStatus.PASS
    assert result.findings == ()
    assert result.rules_version == checker.rules.version


def test_findings_are_ordered_by_severity(checker: Checker) -> None:
    order = {**STANDARD, "dose": "1000 ug", "volume": "1.0 mL", "route": "IV"}
    result = checker.check(InputRecord("t:1", order))
    assert [f.rule_id for f in result.findings] == [
        "B12-ROUTE",
        "NOTATION-TRAILING-ZERO",
        "NOTATION-ERROR-PRONE",
    ]


def test_an_engine_failure_is_an_error_result_not_a_pass(
    checker: Checker, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any) -> Any:
        raise adapter._engine.error("Could not assert fact, error code: 303")

    monkeypatch.setattr(adapter._engine, "assert_fact", broken)
    order = {**STANDARD, "dose": "999 mcg"}  # not in the cache
    result = checker.check(InputRecord("t:1", order))
    assert result.status is ResultStatus.ERROR
    assert "303" in result.errors[0].message
    assert result.order_id == "O1"


def test_a_broken_message_is_an_error_result(checker: Checker, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: Any) -> str:
        raise RuntimeError("template exploded")

    rule = checker.rules.rule("B12-ROUTE")
    monkeypatch.setattr(type(rule.message), "compile", lambda _: broken)  # templates compile in Checker()
    result = Checker(checker.rules).check(
        InputRecord("t:1", {**STANDARD, "route": "PO", "dose": "998 mcg", "volume": "0.998 mL"})
    )
    assert result.status is ResultStatus.ERROR
    assert "template exploded" in result.errors[0].message


def test_unreadable_and_invalid_records_are_reported_in_place(checker: Checker) -> None:
    records = [
        InputRecord("f:1", STANDARD),
        InputRecord("f:2", error="not JSON: Expecting value at column 1"),
        InputRecord("f:3", {**STANDARD, "order_id": "O3", "dose": "lots"}),
        InputRecord("f:4", ["not", "an", "object"]),
        InputRecord("f:5", {**STANDARD, "order_id": "O5"}),
    ]
    results = list(checker.check_all(records))
    assert [r.status for r in results] == [
        ResultStatus.PASS,
        ResultStatus.INVALID,
        ResultStatus.INVALID,
        ResultStatus.INVALID,
        ResultStatus.PASS,
    ]
    assert [r.record for r in results] == [1, 2, 3, 4, 5]
    assert results[2].errors[0].field == "dose"
    assert results[3].errors[0].field == "record"


def test_a_repeated_order_id_is_invalid(checker: Checker) -> None:
    results = list(checker.check_all([InputRecord("f:1", STANDARD), InputRecord("f:2", STANDARD)]))
    assert results[0].status is ResultStatus.PASS
    assert results[1].status is ResultStatus.INVALID
    assert results[1].errors[0] == ResultError("order_id", "duplicates the order_id of record 1")


def test_drug_synonyms_are_covered(checker: Checker) -> None:
    assert checker.check(InputRecord("t:1", {**STANDARD, "drug": "Vitamin B12"})).status is ResultStatus.PASS


def test_one_hundred_thousand_orders_complete_with_one_result_each() -> None:
    """The adapter must survive a long batch: no crash, no lost record, states released.

    Every order differs in a field the rules read, so each one really goes through the engine.
    """
    doses = ("1000 mcg", "500 mcg", "1 mg", "2000 mcg", "100 mcg", "12 mg")
    volumes = ("1 mL", "0.5 mL", "2 mL", "0.1 mL", "1.0 mL")

    def records() -> Any:
        for i in range(100_000):
            order = {**STANDARD, "order_id": f"O{i}", "dose": doses[i % 6], "volume": volumes[i % 5],
                     "administrations_given": i}  # fmt: skip
            if i % 7 == 0:
                order["route"] = "IV"
            if i % 11 == 0:
                order["red_flags"] = ["missed_doses"]
            yield InputRecord(f"gen:{i}", order)

    checker = Checker(load_rules())
    evaluations = 0
    evaluate = checker.engine.fired_encoded

    def counted(fact_json: str) -> frozenset[str]:
        nonlocal evaluations
        evaluations += 1
        return evaluate(fact_json)

    checker.engine.fired_encoded = counted  # type: ignore[method-assign]
    summary = Summary()
    for number, result in enumerate(checker.check_all(records()), start=1):
        assert result.record == number
        summary.add(result)
    assert summary.orders == 100_000
    assert summary.by_status["error"] == 0
    assert summary.by_status["invalid"] == 0
    assert summary.by_status["pass"] > 0
    assert summary.by_rule["B12-ROUTE"] == len(range(0, 100_000, 7))
    assert summary.by_rule["B12-REASSESS"] == len([i for i in range(0, 100_000, 11) if i >= 3])
    assert evaluations == 100_000  # every order differs, so the engine really evaluated each one


def test_an_outcome_is_kept_the_second_time_it_is_met_and_reads_alike(checker: Checker) -> None:
    fresh = Checker(checker.rules)
    order = {**STANDARD, "route": "PO", "dose": "997 mcg", "volume": "0.997 mL"}
    first, second, third = (
        fresh.check(InputRecord("t:1", {**order, "order_id": f"O{n}"}), n) for n in (1, 2, 3)
    )
    assert len(fresh._outcomes) == 1 and len(fresh._cache) == 1  # kept at the second sighting
    assert first.findings == second.findings == third.findings
    assert [r.order_id for r in (first, second, third)] == ["O1", "O2", "O3"]
    assert {r.status for r in (first, second, third)} == {ResultStatus.FLAGGED}


def test_an_order_with_an_overlong_id_is_invalid_even_after_the_same_order_passed(checker: Checker) -> None:
    fresh = Checker(checker.rules)
    records = [
        STANDARD,
        {**STANDARD, "order_id": "O2"},
        {**STANDARD, "order_id": "O2"},
    ]  # the outcome is kept
    records += [
        {**STANDARD, "order_id": "O3", "patient_id": "P" * 1001},
        {**STANDARD, "order_id": "O" * 1001},
    ]
    one_by_one = [fresh.check(InputRecord(f"t:{n}", data), n) for n, data in enumerate(records, start=1)]
    together = Checker(checker.rules).check_many(
        [InputRecord(f"t:{n}", d) for n, d in enumerate(records, start=1)]
    )
    for results in (one_by_one, together):
        assert [r.status for r in results] == [ResultStatus.PASS] * 3 + [ResultStatus.INVALID] * 2
        assert [r.errors[0].field for r in results[3:]] == ["patient_id", "order_id"]


DIVIDING_RULES = """
rules:
  - id: T-PER-DOSE
    title: Average dose given so far
    severity: warning
    description: d
    references: [r]
    when: volume_ml < dose_mcg / administrations_given
    message: "{dose_mcg / administrations_given} mcg a dose"
  - id: T-PER-DOSE-GUARDED
    title: The same, guarded
    severity: info
    description: d
    references: [r]
    when: administrations_given > 0 and volume_ml < dose_mcg / administrations_given
    message: guarded
  - id: T-NOT-PER-DOSE
    title: The same, written the other way round
    severity: info
    description: d
    references: [r]
    when: not (volume_ml >= dose_mcg / administrations_given)
    message: negated
"""


@pytest.fixture(scope="module")
def dividing_checker(tmp_path_factory: pytest.TempPathFactory) -> Checker:
    folder = tmp_path_factory.mktemp("packs") / "dividing"
    folder.mkdir()
    (folder / "pack.yaml").write_text("name: dividing\ntitle: t\n")
    (folder / "rules.yaml").write_text(DIVIDING_RULES)
    return Checker(load_rules([folder]))


def test_a_rule_that_divides_by_zero_makes_the_order_an_error_not_a_pass(dividing_checker: Checker) -> None:
    """Issue 8, case 8: with 0 given, the comparison was false and the order passed (or, written with
    ``not``, was flagged on a value that was never computed)."""
    order = {**STANDARD, "administrations_given": 0}
    result = dividing_checker.check(InputRecord("t:1", order))
    assert result.status is ResultStatus.ERROR, result
    assert result.findings == ()
    messages = [error.message for error in result.errors]
    assert any(
        "T-PER-DOSE" in m and "administrations_given" in m and "division by zero" in m for m in messages
    )
    assert any("T-NOT-PER-DOSE" in m for m in messages)
    assert not any("T-PER-DOSE-GUARDED" in m for m in messages)  # its guard decides: not an error
    assert {error.field for error in result.errors} == {"administrations_given"}


def test_the_same_rules_are_evaluated_when_the_divisor_is_not_zero(dividing_checker: Checker) -> None:
    order = {**STANDARD, "administrations_given": 2}
    result = dividing_checker.check(InputRecord("t:1", order))
    assert result.status is ResultStatus.FLAGGED
    assert {f.rule_id for f in result.findings} == {"T-PER-DOSE", "T-PER-DOSE-GUARDED", "T-NOT-PER-DOSE"}
    assert dividing_checker.check(InputRecord("t:2", STANDARD)).status is ResultStatus.FLAGGED  # not stated:
    # the two plain comparisons are false and "not (... >= ...)" is true, as before


def test_an_order_that_divides_by_zero_is_an_error_every_time_in_a_batch(dividing_checker: Checker) -> None:
    """Errors are never remembered as outcomes: the second and later sightings are errors too."""
    orders = [InputRecord(f"t:{n}", {**STANDARD, "order_id": f"O{n}", "administrations_given": 0})
              for n in range(1, 6)]  # fmt: skip
    results = dividing_checker.check_many(orders)
    assert [r.status for r in results] == [ResultStatus.ERROR] * 5


# --- messages say the quantity as the order stated it ---------------------------------------------


def _dose_high(checker: Checker, dose: Any, number: int) -> str:
    order = {**STANDARD, "order_id": f"U{number}", "dose": dose, "volume": "2 mL",
             "concentration": None, "product_concentration": None}  # fmt: skip
    result = checker.check(InputRecord(f"t:{number}", order), number)
    (message,) = [f.message for f in result.findings if f.rule_id == "B12-DOSE-HIGH"]
    return message


def test_a_dose_written_in_mg_is_said_in_mg_with_the_mcg_the_rules_compared(checker: Checker) -> None:
    assert _dose_high(checker, "2 mg", 1).startswith("2 mg (2,000 mcg) in one injection")
    assert _dose_high(checker, "2000 mcg", 2).startswith("2,000 mcg in one injection")


def test_orders_with_equal_facts_but_other_units_never_share_a_message() -> None:
    """Structured doses (FHIR) carry no notation, so "2 mg" and "2000 mcg" give the engine the same
    facts: the checker's findings, remembered by those facts, must be remembered by the units too."""
    from doseguard.orders.draft import StructuredQuantity  # noqa: PLC0415

    checker = Checker(load_rules())
    in_mg, in_mcg = StructuredQuantity(2000.0, "2 mg"), StructuredQuantity(2000.0, "2000 mcg")
    first = [_dose_high(checker, dose, n) for n, dose in enumerate((in_mg, in_mcg, in_mg, in_mcg), start=1)]
    assert first[0].startswith("2 mg (2,000 mcg) in one injection")
    assert first[1].startswith("2,000 mcg in one injection")
    assert first[2:] == first[:2]
    other = Checker(load_rules())  # the other way round, on cold caches
    assert [_dose_high(other, dose, n) for n, dose in enumerate((in_mcg, in_mg), start=1)] == first[1::-1]


def test_a_cyanocobalamin_dose_in_units_is_invalid_on_its_dose(checker: Checker) -> None:
    result = checker.check(InputRecord("t:1", {**STANDARD, "dose": "1000 units"}))
    assert result.status is ResultStatus.INVALID
    assert result.errors == (
        ResultError("dose", "cyanocobalamin is dosed by mass (mcg); '1000 units' is not a mass"),
    )


def test_an_order_for_another_drug_dosed_in_units_is_read(checker: Checker) -> None:
    result = checker.check(InputRecord("t:1", {**STANDARD, "drug": "heparin", "dose": "5000 units"}))
    assert result.status is not ResultStatus.INVALID
    assert result.errors == ()


@pytest.mark.parametrize(
    ("dose", "flagged"), [("5000 U", True), ("10 IU", True), ("10 I.U.", True), ("5000 units", False)]
)
def test_the_notation_pack_flags_u_and_iu_in_a_dose_in_units(dose: str, flagged: bool) -> None:
    """The Do Not Use list's "U" and "IU" (read as 0, 4 or cc): write "units"."""
    notation = Checker(load_rules([Path(__file__).resolve().parent.parent / "rules" / "notation"]))
    result = notation.check(InputRecord("t:1", {**STANDARD, "drug": "heparin", "dose": dose}))
    assert result.errors == ()
    assert ("NOTATION-ERROR-PRONE" in [f.rule_id for f in result.findings]) is flagged


# --- orders that are not checked on purpose: not covered, inactive -----------------------------------

INSULIN = {"order_id": "I1", "patient_id": "P9", "drug": "insulin aspart", "dose": "6 units", "route": "SC",
           "site": "abdomen", "frequency": "before meals", "duration": "ongoing"}  # fmt: skip


def test_an_order_for_a_drug_no_pack_covers_is_not_checked_and_says_so(checker: Checker) -> None:
    """Its fields are not held to the covered drugs' vocabulary: units, SC, "before meals", abdomen."""
    result = checker.check(InputRecord("t:1", INSULIN))
    assert result.status is ResultStatus.NOT_COVERED
    assert result.errors == ()
    assert [(f.rule_id, f.severity.value, f.pack) for f in result.findings] == [
        (NOT_COVERED, "info", "doseguard")
    ]
    assert "'insulin aspart'" in result.findings[0].message
    assert (result.order_id, result.patient_id) == ("I1", "P9")


def test_a_drug_no_pack_covers_is_said_to_be_unchecked(checker: Checker) -> None:
    result = checker.check(InputRecord("t:1", {**STANDARD, "drug": "amoxicillin"}))
    assert result.status is ResultStatus.NOT_COVERED
    assert [f.rule_id for f in result.findings] == [NOT_COVERED]
    assert "amoxicillin" in result.findings[0].message


def test_a_not_covered_order_gets_no_notation_finding(checker: Checker) -> None:
    """Not checked means not checked: its doses may be in units no notation rule reads, so a partial
    check would read as a checked order. (With the notation pack alone, no drug is "not covered".)"""
    result = checker.check(InputRecord("t:1", {**STANDARD, "drug": "methotrexate", "dose": "25.0 mg"}))
    assert (result.status, [f.rule_id for f in result.findings]) == (ResultStatus.NOT_COVERED, [NOT_COVERED])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"order_id": None}, "order_id"),
        ({"patient_id": "  "}, "patient_id"),
        ({"order_id": ["x"]}, "order_id"),
    ],
)
def test_a_not_covered_order_still_needs_its_ids(
    checker: Checker, changes: dict[str, Any], field: str
) -> None:
    """Only the ids are still held to the contract: the other fields' problems are not reported."""
    result = checker.check(InputRecord("t:1", {**INSULIN, **changes}))
    assert result.status is ResultStatus.INVALID
    assert [error.field for error in result.errors] == [field]


def test_a_not_covered_order_with_another_field_of_the_wrong_type_is_still_not_covered(
    checker: Checker,
) -> None:
    result = checker.check(InputRecord("t:1", {**INSULIN, "dose": 6, "administrations_given": -1}))
    assert result.status is ResultStatus.NOT_COVERED


def test_a_repeated_order_id_among_not_covered_orders_is_invalid(checker: Checker) -> None:
    results = list(checker.check_all([InputRecord("f:1", INSULIN), InputRecord("f:2", INSULIN)]))
    assert [r.status for r in results] == [ResultStatus.NOT_COVERED, ResultStatus.INVALID]


def test_a_not_covered_outcome_is_shared_by_orders_that_differ_only_in_their_ids() -> None:
    checker = Checker(load_rules())
    records = [InputRecord(f"f:{i}", {**INSULIN, "order_id": f"I{i}"}) for i in range(3)]
    results = list(checker.check_all(records))
    assert [r.status for r in results] == [ResultStatus.NOT_COVERED] * 3
    assert len({(r.findings, r.warnings) for r in results}) == 1
    assert [r.order_id for r in results] == ["I0", "I1", "I2"]


def test_a_cancelled_order_with_a_wrong_dose_is_not_alerted_on(checker: Checker) -> None:
    result = checker.check(InputRecord("t:1", {**STANDARD, "dose": "10 mg", "status": "Canceled"}))
    assert (result.status, result.findings, result.errors) == (ResultStatus.INACTIVE, (), ())
    assert any("'Canceled'" in w and "not checked" in w for w in result.warnings)
    assert result.severity is None


def test_an_inactive_order_still_needs_its_ids(checker: Checker) -> None:
    result = checker.check(
        InputRecord("t:1", {**STANDARD, "dose": "ten", "status": "stopped", "patient_id": ""})
    )
    assert result.status is ResultStatus.INVALID
    assert [error.field for error in result.errors] == ["patient_id"]


def test_an_inactive_order_for_a_drug_no_pack_covers_is_inactive(checker: Checker) -> None:
    result = checker.check(InputRecord("t:1", {**INSULIN, "status": "completed"}))
    assert (result.status, result.findings) == (ResultStatus.INACTIVE, ())


@pytest.mark.parametrize("status", ["active", "draft", "on-hold", "Pending", "Verified"])
def test_an_active_or_pending_order_is_checked(checker: Checker, status: str) -> None:
    assert checker.check(InputRecord("t:1", {**STANDARD, "status": status})).status is ResultStatus.PASS
    wrong = checker.check(InputRecord("t:1", {**STANDARD, "status": status, "route": "IV"}))
    assert [f.rule_id for f in wrong.findings] == ["B12-ROUTE"]


def test_an_order_with_a_status_doseguard_does_not_know_is_checked_with_a_warning(checker: Checker) -> None:
    result = checker.check(InputRecord("t:1", {**STANDARD, "status": "D/C", "route": "IV"}))
    assert [f.rule_id for f in result.findings] == ["B12-ROUTE"]
    assert any(w.startswith("status: 'D/C'") for w in result.warnings)
