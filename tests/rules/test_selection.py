"""Which rules run: --select / --ignore by id or tag, and deprecated rules only when asked."""

from __future__ import annotations

import textwrap

import pytest

from doseguard.errors import SelectionError
from doseguard.rules.loader import load_rules
from doseguard.rules.model import NOT_COVERED, RuleSet
from doseguard.rules.selection import Selection, select_rules

PACK = """\
rules:
  - id: TEST-HIGH
    title: High dose
    severity: warning
    status: stable
    description: A test rule.
    references: [a source]
    tags: [dose]
    when: dose_mcg > 1000
    message: "high"
  - id: TEST-LOW
    title: Low dose
    severity: info
    description: A test rule.
    references: [a source]
    tags: [dose, experimental-ideas]
    when: dose_mcg < 10
    message: "low"
  - id: TEST-OLD
    title: An old rule
    severity: warning
    status: deprecated
    description: Replaced by TEST-HIGH.
    references: [a source]
    tags: [dose]
    when: dose_mcg > 5000
    message: "old"
"""


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> RuleSet:
    folder = tmp_path_factory.mktemp("pack")
    (folder / "rules.yaml").write_text(textwrap.dedent(PACK), encoding="utf-8")
    return load_rules([folder])


def ids(rule_set: RuleSet) -> list[str]:
    return [rule.id for rule in rule_set.rules]


def test_deprecated_rules_do_not_run_by_default(rules: RuleSet) -> None:
    assert ids(select_rules(rules, Selection())) == ["TEST-HIGH", "TEST-LOW"]


def test_deprecated_rules_run_when_asked(rules: RuleSet) -> None:
    assert ids(select_rules(rules, Selection(include_deprecated=True))) == [
        "TEST-HIGH",
        "TEST-LOW",
        "TEST-OLD",
    ]
    assert ids(select_rules(rules, Selection(select=("TEST-OLD",)))) == ["TEST-OLD"]
    # Selected by a tag it shares with others, a deprecated rule still stays out.
    assert ids(select_rules(rules, Selection(select=("dose",)))) == ["TEST-HIGH", "TEST-LOW"]


def test_select_and_ignore_by_id_or_tag(rules: RuleSet) -> None:
    assert ids(select_rules(rules, Selection(select=("TEST-LOW",)))) == ["TEST-LOW"]
    assert ids(select_rules(rules, Selection(ignore=("experimental-ideas",)))) == ["TEST-HIGH"]
    assert ids(select_rules(rules, Selection(select=("dose",), ignore=("TEST-HIGH",)))) == ["TEST-LOW"]


def test_the_version_says_which_rules_ran(rules: RuleSet) -> None:
    everything = select_rules(rules, Selection(include_deprecated=True))
    assert everything.version == rules.version  # all of them: the files' version
    default = select_rules(rules, Selection())
    fewer = select_rules(rules, Selection(select=("TEST-LOW",)))
    assert len({rules.version, default.version, fewer.version}) == 3


def test_a_misspelt_name_is_an_error_not_a_silent_no_op(rules: RuleSet) -> None:
    with pytest.raises(SelectionError) as caught:
        select_rules(rules, Selection(ignore=("TEST-HIHG", "doses", "nothing-like-it")))
    assert caught.value.unknown == {
        "TEST-HIHG": "TEST-HIGH",
        "doses": "dose",
        "nothing-like-it": None,
    }
    assert "'TEST-HIHG' is neither a rule id nor a tag; did you mean 'TEST-HIGH'?" in str(caught.value)


def test_a_selection_that_leaves_nothing_to_run_is_an_error(rules: RuleSet) -> None:
    """A run with no rule would report every order as a pass."""
    for selection in (
        Selection(select=("dose",), ignore=("dose",)),
        Selection(ignore=("TEST-HIGH", "TEST-LOW")),
    ):
        with pytest.raises(SelectionError, match="leaves no rule to run"):
            select_rules(rules, selection)


# --- the built-in notice -----------------------------------------------------------------------------


def test_ignore_silences_the_not_covered_notice_and_changes_the_version(rules: RuleSet) -> None:
    assert [notice.id for notice in rules.notices] == [NOT_COVERED]
    silenced = select_rules(rules, Selection(ignore=(NOT_COVERED,)))
    assert silenced.notices == () and silenced.notice(NOT_COVERED) is None
    assert ids(silenced) == ids(select_rules(rules, Selection()))
    assert silenced.version != rules.version


def test_a_misspelt_notice_id_is_an_error_with_the_notice_suggested(rules: RuleSet) -> None:
    with pytest.raises(SelectionError) as caught:
        select_rules(rules, Selection(ignore=("DOSEGUARD-DRUG-NOT-COVRED",)))
    assert NOT_COVERED in str(caught.value)


def test_selecting_rules_keeps_the_notice(rules: RuleSet) -> None:
    assert select_rules(rules, Selection(select=("TEST-HIGH",))).notice(NOT_COVERED) is not None
