"""A pack's history: block as the loader reads it: aggregates become fields of the pack's rules, and
every mistake in a declaration is a located problem, all at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from doseguard.errors import RulePackError
from doseguard.rules.evaluate import evaluate
from doseguard.rules.expressions import Call, Name
from doseguard.rules.history import Measure
from doseguard.rules.loader import load_rules
from doseguard.rules.model import Severity
from doseguard.vocabulary import VOCABULARY, HistoryKind
from tests.helpers.rule_files import write_pack

PACK = """\
name: b12
title: Vitamin B12
drugs:
  - name: cyanocobalamin
course_gap_days: 60
unevaluated_severity: warning
history:
  haemoglobin_latest:
    latest: Hgb
    within_days: 30
    description: The response to treatment.
  doses_given:
    count: administrations
    within_days: 90
"""

RULES = """\
rules:
  - id: B12-HB-LOW
    title: Haemoglobin low
    severity: warning
    description: A test rule.
    references: [a source]
    when: haemoglobin_latest < 8 and doses_given >= 3
    message: "Haemoglobin {haemoglobin_latest} g/dL after {doses_given} doses"
  - id: B12-HB-LOW-SAYS
    title: Haemoglobin low, with its own not-evaluated words
    severity: warning
    description: A test rule.
    references: [a source]
    when: haemoglobin_latest < 7
    message: "Haemoglobin {haemoglobin_latest} g/dL"
    unevaluated:
      severity: critical
      message: No recent haemoglobin; check one before the next dose.
"""


def pack(folder: Path, pack_text: str = PACK, rules: str = RULES) -> Path:
    write_pack(folder, pack_text, "pack.yaml")
    write_pack(folder, rules)
    return folder


def problems(*folders: Path) -> list[str]:
    with pytest.raises(RulePackError) as caught:
        load_rules(list(folders))
    return [str(p) for p in caught.value.problems]


def test_a_pack_with_a_history_block_loads(tmp_path: Path) -> None:
    rules = load_rules([pack(tmp_path / "b12")])
    (b12,) = rules.packs
    assert b12.course_gap_days == 60
    assert set(rules.aggregates) == {"haemoglobin_latest", "doses_given"}
    hb = rules.aggregates["haemoglobin_latest"]
    assert (hb.measure, hb.what, hb.kind, hb.drugs, hb.course_gap_days) == (
        Measure.LATEST, "haemoglobin", HistoryKind.LABS, ("cyanocobalamin",), 60,
    )  # fmt: skip
    assert rules.vocabulary["haemoglobin_latest"].needs is HistoryKind.LABS
    assert set(VOCABULARY) < set(rules.vocabulary)
    low, says = rules.rules
    assert {"haemoglobin_latest", "doses_given"} <= low.fields_read
    assert (low.unevaluated_severity, low.unevaluated_message) == (Severity.WARNING, None)
    assert says.unevaluated_severity is Severity.CRITICAL
    assert says.unevaluated_message == "No recent haemoglobin; check one before the next dose."
    fact = {"drug": "cyanocobalamin", "haemoglobin_latest": 7.5, "doses_given": 3.0}
    assert evaluate(low.condition, fact) is True
    assert low.message.render(fact) == "Haemoglobin 7.5 g/dL after 3 doses"


def test_a_pack_without_history_defaults(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    write_pack(folder, "name: plain\ntitle: Plain\n", "pack.yaml")
    write_pack(
        folder,
        RULES.split("  - id: B12-HB-LOW-SAYS", maxsplit=1)[0]
        .replace("haemoglobin_latest < 8 and doses_given >= 3", "dose_mcg > 1")
        .replace("{haemoglobin_latest} g/dL after {doses_given} doses", "high"),
    )
    rules = load_rules([folder])
    assert rules.packs[0].course_gap_days == 90
    assert rules.rules[0].unevaluated_severity is Severity.INFO
    assert rules.aggregates == {}


def test_a_rule_reading_an_undeclared_aggregate_is_refused_with_did_you_mean(tmp_path: Path) -> None:
    found = problems(
        pack(tmp_path / "b12", rules=RULES.replace("haemoglobin_latest < 7", "haemoglobin_lates < 7"))
    )
    assert found == [
        f"{tmp_path / 'b12' / 'rules.yaml'}:14:11: unknown field or parameter 'haemoglobin_lates'; "
        "did you mean 'haemoglobin_latest'?"
    ]


def test_a_rule_cannot_read_another_packs_aggregate(tmp_path: Path) -> None:
    pack(tmp_path / "b12")
    other = tmp_path / "other"
    write_pack(other, "name: other\ntitle: Other\n", "pack.yaml")
    write_pack(other, RULES.split("  - id: B12-HB-LOW-SAYS", maxsplit=1)[0].replace("B12-HB-LOW", "OTHER-HB"))
    found = problems(tmp_path / "b12", other)
    assert len(found) == 2, found
    assert all("unknown field or parameter" in text and str(other) in text for text in found)


def located(tmp_path: Path, history: str) -> list[str]:
    folder = pack(
        tmp_path / "b12",
        PACK.split("history:", maxsplit=1)[0] + "history:\n" + history,
        RULES.replace("haemoglobin_latest", "dose_mcg").replace("doses_given", "dose_mcg"),
    )
    prefix = f"{folder / 'pack.yaml'}:"
    found = problems(folder)
    assert all(text.startswith(prefix) for text in found), found
    return [text[len(prefix) :] for text in found]


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        (
            "  hb:\n    latest: haemoglobn\n",
            "9:13: latest: unknown lab test 'haemoglobn'; did you mean 'haemoglobin'?",
        ),
        ("  hb:\n    within_days: 30\n", "8:3: history aggregate 'hb': an aggregate needs one kind key"),
        (
            "  hb:\n    latest: potassium\n    count: orders\n",
            "8:3: history aggregate 'hb': an aggregate has one kind key, this one has 2",
        ),
        (
            "  hb:\n    latest: potassium\n    status: given\n",
            "10:13: status: is for administrations aggregates only",
        ),
        (
            "  hb:\n    count: administrations\n    within_days: 0\n",
            "10:18: within_days: Input should be greater than 0",
        ),
        (
            "  hb:\n    count: administrations\n    days_after_first_dose: [10, 5]\n",
            "10:28: days_after_first_dose: from 10 is after to 5",
        ),
        ("  hb:\n    count: orders\n    forms: [tablet]\n", "10:13: forms.0: unknown dose form 'tablet'"),
        ("  hb:\n    count: orders\n    windw: 3\n", "10:5: unknown key 'windw'"),
        ("  hb:\n    lastest: b12\n", "9:5: unknown key 'lastest'; did you mean 'latest'?"),
        ("  hb:\n    days_since_last: b12\n", "9:22: days_since_last: takes administrations, not 'b12'"),
        ("  Hb_Latest:\n    latest: b12\n", "8:3: history aggregate 'Hb_Latest': a name is lower_snake_case"),
        (
            "  dose_mcg:\n    latest: b12\n",
            "8:3: history aggregate 'dose_mcg' has the name of a field; choose another name",
        ),
        (
            "  hb: 3\n",
            "8:7: history aggregate 'hb': a declaration is a mapping of keys (latest: haemoglobin, within_days: 30, ...)",
        ),
    ],
)
def test_each_mistake_gives_its_located_message(tmp_path: Path, history: str, expected: str) -> None:
    found = located(tmp_path, history)
    assert len(found) == 1, found
    assert found[0].startswith(expected), found


def test_every_mistake_at_once(tmp_path: Path) -> None:
    found = located(
        tmp_path,
        "  one:\n    latest: haemoglobn\n  two:\n    within_days: 3\n  three:\n    count: orders\n    status: any\n",
    )
    assert [text.split(":")[0] for text in found] == ["9", "10", "14"], found


def test_course_gap_days_must_be_positive(tmp_path: Path) -> None:
    folder = pack(tmp_path / "b12", PACK.replace("course_gap_days: 60", "course_gap_days: 0"))
    (found,) = problems(folder)
    assert found.endswith("pack.yaml:5:18: course_gap_days: Input should be greater than 0 (got 0)"), found


def test_a_bad_aggregate_does_not_echo_in_the_rules_reading_it(tmp_path: Path) -> None:
    folder = pack(tmp_path / "b12", PACK.replace("latest: Hgb", "latest: Hgx"))
    (found,) = problems(folder)
    assert "unknown lab test 'Hgx'" in found


def test_a_parameter_may_not_have_an_aggregates_name(tmp_path: Path) -> None:
    rules = RULES.replace(
        "    when: haemoglobin_latest < 7",
        "    parameters:\n      doses_given: 3\n    when: haemoglobin_latest < 7",
    )
    (found,) = problems(pack(tmp_path / "b12", rules=rules))
    assert found.endswith(
        "rules.yaml:15:7: parameter 'doses_given' has the name of a history aggregate of the pack; choose another name"
    ), found


def test_a_plain_unevaluated_message_only(tmp_path: Path) -> None:
    rules = RULES.replace("message: No recent haemoglobin;", "message: No {haemoglobin_latest};")
    (found,) = problems(pack(tmp_path / "b12", rules=rules))
    assert "unevaluated.message: a not-evaluated message is plain text" in found


def other_pack(folder: Path, history: str) -> Path:
    text = (
        "name: other\ntitle: Other\ndrugs:\n  - name: cyanocobalamin\ncourse_gap_days: 60\nhistory:\n"
        + history
    )
    write_pack(folder, text, "pack.yaml")
    write_pack(
        folder, RULES.split("  - id: B12-HB-LOW-SAYS", maxsplit=1)[0].replace("B12-HB-LOW", "OTHER-HB")
    )
    return folder


def test_two_packs_may_share_one_declaration(tmp_path: Path) -> None:
    same = "  haemoglobin_latest:\n    latest: haemoglobin\n    within_days: 30\n  doses_given:\n    count: administrations\n    within_days: 90\n"
    rules = load_rules([pack(tmp_path / "b12"), other_pack(tmp_path / "other", same)])
    assert rules.aggregates["haemoglobin_latest"].pack == "b12"
    assert "haemoglobin_latest" in rules.packs[1].aggregates


def test_two_packs_may_not_declare_one_name_differently(tmp_path: Path) -> None:
    different = "  haemoglobin_latest:\n    latest: haemoglobin\n    within_days: 60\n  doses_given:\n    count: administrations\n    within_days: 90\n"
    found = problems(pack(tmp_path / "b12"), other_pack(tmp_path / "other", different))
    assert len(found) == 1, found
    assert found[0].startswith(
        f"{tmp_path / 'other' / 'pack.yaml'}:7:3: history aggregate 'haemoglobin_latest' is declared differently by pack 'b12' (at {tmp_path / 'b12' / 'pack.yaml'}:8:3)"
    ), found


def test_unstated_and_labels_work_with_aggregate_names(tmp_path: Path) -> None:
    rules = RULES.replace(
        'message: "Haemoglobin {haemoglobin_latest} g/dL"',
        'message: "Not stated: {unstated(haemoglobin_latest, doses_given)}"',
    )
    loaded = load_rules([pack(tmp_path / "b12", rules=rules)])
    says = loaded.rules[1]
    assert "latest haemoglobin" in says.message.render({"doses_given": 2.0})
    missing = Call("missing", (Name("doses_given"),))
    assert evaluate(missing, {}) is True
