"""Rule files: every mistake reported as path:line:col: message, all at once, before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from doseguard.errors import RulePackError
from doseguard.rules.loader import bundled_rules_dir, load_rules
from doseguard.rules.model import Severity
from tests.helpers.rule_files import VALID_RULE, write_pack


def problems(folder: Path) -> list[str]:
    with pytest.raises(RulePackError) as caught:
        load_rules([folder])
    return [str(p) for p in caught.value.problems]


def one_problem(tmp_path: Path, text: str) -> str:
    path = write_pack(tmp_path / "pack", text)
    found = problems(tmp_path / "pack")
    assert len(found) == 1, found
    assert found[0].startswith(f"{path}:"), found[0]
    return found[0][len(str(path)) + 1 :]


def test_a_valid_rule_loads_and_compiles(tmp_path: Path) -> None:
    write_pack(tmp_path / "pack", VALID_RULE)
    rules = load_rules([tmp_path / "pack"])
    (rule,) = rules.rules
    assert rule.id == "TEST-HIGH"
    assert rule.severity is Severity.WARNING
    assert rule.fields_read == {"dose_mcg"}
    assert rule.message.render({"dose_mcg": 1500.0}) == "1,500 mcg is more than 1,000 mcg"
    assert len(rules.version) == 12


def test_the_version_changes_when_a_rule_file_changes(tmp_path: Path) -> None:
    write_pack(tmp_path / "pack", VALID_RULE)
    before = load_rules([tmp_path / "pack"]).version
    write_pack(tmp_path / "pack", VALID_RULE.replace("limit: 1000", "limit: 900"))
    assert load_rules([tmp_path / "pack"]).version != before


def test_unknown_key_points_at_the_key_with_a_suggestion(tmp_path: Path) -> None:
    text = VALID_RULE.replace("    severity: warning", "    severity: warning\n    serverity: info")
    assert one_problem(tmp_path, text) == "5:5: unknown key 'serverity'; did you mean 'severity'?"


def test_wrong_value_points_at_the_value(tmp_path: Path) -> None:
    text = VALID_RULE.replace("severity: warning", "severity: warn")
    assert (
        one_problem(tmp_path, text)
        == "4:15: severity: Input should be 'info', 'warning' or 'critical' (got 'warn')"
    )


def test_missing_key_points_at_the_rule(tmp_path: Path) -> None:
    text = VALID_RULE.replace("    title: High dose\n", "")
    assert one_problem(tmp_path, text) == "2:5: missing required key 'title'"


def test_unknown_field_in_a_condition_points_into_the_expression(tmp_path: Path) -> None:
    text = VALID_RULE.replace("when: dose_mcg > limit", "when: dose_mcgs > limit")
    assert (
        one_problem(tmp_path, text)
        == "9:11: unknown field or parameter 'dose_mcgs'; did you mean 'dose_mcg'?"
    )


def test_syntax_error_in_a_condition_points_at_the_column(tmp_path: Path) -> None:
    text = VALID_RULE.replace("when: dose_mcg > limit", "when: dose_mcg = limit")
    assert one_problem(tmp_path, text) == "9:20: unexpected character '=' (compare with ==)"


def test_type_error_in_a_nested_condition_points_at_its_string(tmp_path: Path) -> None:
    text = VALID_RULE.replace(
        "when: dose_mcg > limit", "when:\n      all:\n        - dose_mcg > limit\n        - route > 'IM'"
    )
    assert one_problem(tmp_path, text) == "12:11: '>' compares numbers, but route is a string"


def test_unknown_enumerated_value_gets_a_suggestion(tmp_path: Path) -> None:
    text = VALID_RULE.replace("when: dose_mcg > limit", "when: route == 'IMM'")
    assert one_problem(tmp_path, text) == (
        "9:20: route is never 'IMM'; did you mean 'IM'? (it is one of IM, SC, IV, PO, SL, IN, ID, IT, TOP)"
    )


def test_unknown_function_is_reported(tmp_path: Path) -> None:
    text = VALID_RULE.replace("when: dose_mcg > limit", "when: exist(dose_mcg)")
    assert one_problem(tmp_path, text) == "9:11: unknown function 'exist'; did you mean 'exists'?"


def test_bad_message_placeholder_points_into_the_message(tmp_path: Path) -> None:
    text = VALID_RULE.replace(
        '"{dose_mcg} mcg is more than {limit} mcg"', '"{dose} mcg is more than {limit} mcg"'
    )
    assert one_problem(tmp_path, text) == (
        "10:16: message: in placeholder {dose}: unknown field or parameter 'dose'; did you mean 'dose_mg'?"
    )


def test_duplicate_yaml_key_is_an_error(tmp_path: Path) -> None:
    text = VALID_RULE.replace("    title: High dose\n", "    title: High dose\n    title: Again\n")
    assert one_problem(tmp_path, text) == "4:5: duplicate key 'title'"


def test_duplicate_rule_id_across_files_names_the_first(tmp_path: Path) -> None:
    first = write_pack(tmp_path / "pack", VALID_RULE, "a.yaml")
    second = write_pack(tmp_path / "pack", VALID_RULE, "b.yaml")
    assert problems(tmp_path / "pack") == [
        f"{second}:2:9: duplicate rule id 'TEST-HIGH' (first defined at {first}:2:9)"
    ]


def test_yaml_syntax_error_is_located(tmp_path: Path) -> None:
    assert one_problem(tmp_path, "rules: [\n  - id: X\n") == (
        "2:3: YAML syntax: while parsing a flow node expected the node content, but found '-'"
    )


def test_unsafe_yaml_tags_are_refused(tmp_path: Path) -> None:
    text = VALID_RULE.replace("title: High dose", "title: !!python/object/apply:os.system [echo pwned]")
    assert (
        one_problem(tmp_path, text)
        == "3:12: YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed"
    )
    scalar = VALID_RULE.replace("title: High dose", "title: !!python/name:os.system x")
    assert (
        one_problem(tmp_path, scalar)
        == "3:12: YAML tag 'tag:yaml.org,2002:python/name:os.system' is not allowed"
    )


def test_bad_parameter_value_is_reported(tmp_path: Path) -> None:
    text = VALID_RULE.replace("limit: 1000", "limit: [1, two]")
    assert one_problem(tmp_path, text).startswith("8:14: parameter 'limit' must be a number")


def test_table_entry_for_a_value_the_field_never_takes(tmp_path: Path) -> None:
    text = (
        VALID_RULE.replace("limit: 1000", "limit:\n        deltiod: 2")
        .replace("when: dose_mcg > limit", "when: volume_ml > limit[site]")
        .replace("{dose_mcg} mcg is more than {limit} mcg", "too much")
    )
    assert one_problem(tmp_path, text) == (
        "10:23: table limit has an entry 'deltiod' that site never takes; did you mean 'deltoid'?"
    )


def test_the_loader_knows_no_engine(tmp_path: Path) -> None:
    """A condition only the engine's compiler refuses ("can never be true": tests/engine/test_compiled.py)
    loads: the rule model keeps where its condition was written, not what the engine makes of it."""
    path = write_pack(tmp_path / "pack", VALID_RULE.replace("when: dose_mcg > limit", "when: route in []"))
    (rule,) = load_rules([tmp_path / "pack"]).rules
    assert not hasattr(rule, "compiled")
    assert str(rule.condition_source.when) == f"{path}:9:11"


def test_all_problems_of_a_pack_are_reported_at_once(tmp_path: Path) -> None:
    write_pack(tmp_path / "pack", VALID_RULE.replace("severity: warning", "severity: loud"), "a.yaml")
    write_pack(
        tmp_path / "pack", VALID_RULE.replace("TEST-HIGH", "TEST-B").replace("dose_mcg >", "dose >"), "b.yaml"
    )
    found = problems(tmp_path / "pack")
    assert len(found) == 2
    assert "a.yaml:4:15:" in found[0]
    assert "b.yaml:9:11:" in found[1]


def test_engine_limits_are_refused_at_load_time(tmp_path: Path) -> None:
    values = ", ".join(f"v{i}" for i in range(501))
    text = VALID_RULE.replace("limit: 1000", f"limit: 1000\n      many: [{values}]").replace(
        "when: dose_mcg > limit", "when: drug in many"
    )
    assert "more than 500 values" in one_problem(tmp_path, text)


def test_pack_scope_restricts_rules_to_its_drugs(tmp_path: Path) -> None:
    write_pack(tmp_path / "pack", VALID_RULE)
    write_pack(
        tmp_path / "pack",
        "name: test\ntitle: Test\ndrugs:\n  - name: cyanocobalamin\n    synonyms: [b12]\n",
        "pack.yaml",
    )
    rules = load_rules([tmp_path / "pack"])
    assert rules.drug_names == {"cyanocobalamin": "cyanocobalamin", "b12": "cyanocobalamin"}
    assert "drug" in rules.rules[0].fields_read


def test_missing_folder_is_reported(tmp_path: Path) -> None:
    assert problems(tmp_path / "nope") == [f"{tmp_path / 'nope'}:1:1: no such rule folder"]


def test_the_bundled_packs_load() -> None:
    rules = load_rules()
    assert {pack.spec.name for pack in rules.packs} == {
        "b12", "enoxaparin", "folic_acid", "hydroxocobalamin", "notation"
    }  # fmt: skip
    assert bundled_rules_dir().is_dir()
    expected = {
        "B12-CONC-MISMATCH", "B12-DOSE-VOLUME-MISMATCH", "B12-ORDER-INCOMPLETE", "B12-DOSE-HIGH",
        "B12-DOSE-IMPLAUSIBLE", "B12-ROUTE", "B12-SITE-VOLUME", "B12-SITE-ROUTE", "B12-PHASE-FREQUENCY", "B12-REASSESS",
        "B12-CONTRAINDICATION", "B12-FREQUENCY-TOO-OFTEN", "B12-REPLETION-TOO-LONG", "B12-WEEKLY-TOO-LONG",
        "NOTATION-TRAILING-ZERO", "NOTATION-LEADING-ZERO", "NOTATION-ERROR-PRONE",
        "HYDROXO-PRODUCT-STRENGTH", "HYDROXO-CONC-MISMATCH", "HYDROXO-DOSE-VOLUME-MISMATCH", "HYDROXO-DOSE",
        "HYDROXO-DOSE-IMPLAUSIBLE", "HYDROXO-ROUTE", "HYDROXO-HYPERSENSITIVITY", "HYDROXO-ORDER-INCOMPLETE",
        "HYDROXO-INITIAL-FREQUENCY", "HYDROXO-INITIAL-SHORT", "HYDROXO-INITIAL-LONG", "HYDROXO-NEURO-INITIAL-FIXED",
        "HYDROXO-MAINTENANCE-INTERVAL", "HYDROXO-NEURO-MAINTENANCE-INTERVAL", "B12-NAMED-STRENGTH-MISMATCH",
        "HYDROXO-NAMED-STRENGTH-MISMATCH", "B12-ONE-TIME-INCOMPLETE", "HYDROXO-ONE-TIME-INCOMPLETE",
        "ENOX-ORDER-INCOMPLETE", "ENOX-INDICATION-UNSTATED", "ENOX-TREATMENT-DOSE-PER-KG",
        "ENOX-TREATMENT-FREQUENCY", "ENOX-PROPHYLAXIS-DOSE", "ENOX-PROPHYLAXIS-FREQUENCY",
        "ENOX-RENAL-TREATMENT", "ENOX-RENAL-PROPHYLAXIS", "ENOX-ROUTE",
        "B12-NO-RESPONSE", "B12-MISSED-DOSES", "B12-POTASSIUM-UNCHECKED", "B12-REPLETION-OVERRUN",
        "B12-REVIEW-DUE", "B12-REVIEW-DUE-PREGNANCY", "B12-DUPLICATE-THERAPY", "FOLIC-B12-UNKNOWN",
    }  # fmt: skip
    assert {rule.id for rule in rules.rules} == expected
    for rule in rules.rules:
        assert rule.spec.references, rule.id


def test_errors_inside_folded_and_multi_line_scalars_point_at_the_right_column(tmp_path: Path) -> None:
    """The bundled volume rule is written as a folded block (>-): errors there must land on the text."""
    folded = VALID_RULE.replace(
        "when: dose_mcg > limit", "when: >-\n      dose_mcg > limit\n      and volumne_ml > 1"
    )
    assert (
        one_problem(tmp_path, folded)
        == "11:11: unknown field or parameter 'volumne_ml'; did you mean 'volume_ml'?"
    )
    plain = VALID_RULE.replace("when: dose_mcg > limit", "when: dose_mcg > limit\n      and volumne_ml > 1")
    assert (
        one_problem(tmp_path, plain)
        == "10:11: unknown field or parameter 'volumne_ml'; did you mean 'volume_ml'?"
    )
    message = VALID_RULE.replace(
        'message: "{dose_mcg} mcg is more than {limit} mcg"',
        "message: >-\n      {dose_mcg} mcg is more\n      than {limt} mcg",
    )
    assert one_problem(tmp_path, message).startswith("12:13: message: in placeholder {limt}")


def test_yaml_level_problems_hide_no_other_problem_of_the_file_or_of_other_files(tmp_path: Path) -> None:
    """Four planted mistakes in three files, four problems reported."""
    pack = tmp_path / "pack"
    doubled = VALID_RULE.replace("    title: High dose\n", "    title: High dose\n    title: Again\n")
    a = write_pack(pack, doubled.replace("severity: warning", "severity: loud"), "a.yaml")
    b = write_pack(pack, "rules: [\n  - id: X\n", "b.yaml")
    c = write_pack(pack, VALID_RULE.replace("TEST-HIGH", "TEST-C").replace("dose_mcg >", "dose >"), "c.yaml")
    assert problems(pack) == [
        f"{a}:4:5: duplicate key 'title'",
        f"{a}:5:15: severity: Input should be 'info', 'warning' or 'critical' (got 'loud')",
        f"{b}:2:3: YAML syntax: while parsing a flow node expected the node content, but found '-'",
        f"{c}:9:11: unknown field or parameter 'dose'; did you mean 'dose_mg'?",
    ]


def test_a_file_with_a_yaml_problem_still_takes_part_in_the_duplicate_id_check(tmp_path: Path) -> None:
    doubled = VALID_RULE.replace("    title: High dose\n", "    title: High dose\n    title: Again\n")
    a = write_pack(tmp_path / "pack", doubled, "a.yaml")
    b = write_pack(tmp_path / "pack", VALID_RULE, "b.yaml")
    assert problems(tmp_path / "pack") == [
        f"{a}:4:5: duplicate key 'title'",
        f"{b}:2:9: duplicate rule id 'TEST-HIGH' (first defined at {a}:2:9)",
    ]


def test_a_refused_yaml_value_is_reported_once_and_the_rest_of_the_file_is_checked(tmp_path: Path) -> None:
    text = VALID_RULE.replace("title: High dose", "title: &t High dose").replace(
        "description: A test rule.", "description: *t"
    )
    second = VALID_RULE.replace("TEST-HIGH", "TEST-B").replace("severity: warning", "severity: loud")
    path = write_pack(tmp_path / "pack", text + second.removeprefix("rules:\n"))
    assert problems(tmp_path / "pack") == [
        f"{path}:3:12: YAML aliases (*name) are not allowed",  # PyYAML marks the anchor, not the alias
        f"{path}:13:15: severity: Input should be 'info', 'warning' or 'critical' (got 'loud')",
    ]


def test_a_second_yaml_document_does_not_hide_the_first_ones_problems(tmp_path: Path) -> None:
    text = VALID_RULE.replace("severity: warning", "severity: loud") + "---\nrules: []\n"
    path = write_pack(tmp_path / "pack", text)
    assert problems(tmp_path / "pack") == [
        f"{path}:4:15: severity: Input should be 'info', 'warning' or 'critical' (got 'loud')",
        f"{path}:12:1: one YAML document per file (found a second '---')",
    ]


@pytest.mark.parametrize("nesting", ["[" * 5000 + "]" * 5000, "{a: " * 5000 + "1" + "}" * 5000])
def test_deeply_nested_yaml_is_a_located_problem(tmp_path: Path, nesting: str) -> None:
    path = write_pack(tmp_path / "pack", f"rules:\n  - id: X\n    when: {nesting}\n")
    found = problems(tmp_path / "pack")
    assert len(found) == 1, found
    assert found[0].startswith(f"{path}:3:"), found[0]
    assert found[0].endswith("YAML nested more than 50 levels deep"), found[0]


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("", "the file is empty"),
        ("# only a comment\n", "the file is empty"),
        ("A note about these rules, with a secret - hunter2\n", "this one holds text"),
        ("- a\n- b\n", "this one holds a list"),
        ("42\n", "this one holds a number"),
    ],
)
def test_a_rule_file_that_is_not_a_mapping_says_what_it_holds_without_echoing_it(
    tmp_path: Path, text: str, what: str
) -> None:
    assert one_problem(tmp_path, text) == f"1:1: {what}: a rule file is a mapping with a 'rules:' list"


def test_a_rule_file_that_is_not_utf8_is_located(tmp_path: Path) -> None:
    path = tmp_path / "pack" / "rules.yaml"
    path.parent.mkdir()
    path.write_bytes(b"rules:\n  - id: \xff\xfe\n")
    assert problems(tmp_path / "pack") == [f"{path}:2:9: not UTF-8 text (invalid start byte)"]


def test_a_pack_file_that_is_not_a_mapping_says_so(tmp_path: Path) -> None:
    write_pack(tmp_path / "pack", VALID_RULE)
    pack_file = write_pack(tmp_path / "pack", "just some words\n", "pack.yaml")
    assert problems(tmp_path / "pack") == [
        f"{pack_file}:1:1: this one holds text: a pack file is a mapping (name:, title:, drugs:, ...)"
    ]


def test_rules_pointed_at_a_file_is_located(tmp_path: Path) -> None:
    path = write_pack(tmp_path / "pack", VALID_RULE)
    assert problems(path) == [f"{path}:1:1: not a folder: --rules takes a pack folder or a folder of packs"]


def test_the_problems_of_one_rule_do_not_hide_each_other(tmp_path: Path) -> None:
    """A schema problem, a condition problem and a message problem of one rule: three problems."""
    text = (
        VALID_RULE.replace("severity: warning", "severity: loud")
        .replace("when: dose_mcg > limit", "when: dose_mcgs > limit")
        .replace("{limit} mcg", "{limt} mcg")
    )
    path = write_pack(tmp_path / "pack", text)
    assert problems(tmp_path / "pack") == [
        f"{path}:4:15: severity: Input should be 'info', 'warning' or 'critical' (got 'loud')",
        f"{path}:9:11: unknown field or parameter 'dose_mcgs'; did you mean 'dose_mcg'?",
        f"{path}:10:44: message: in placeholder {{limt}}: unknown field or parameter 'limt'; "
        "did you mean 'limit'?",
    ]


def test_a_duplicate_rule_id_does_not_hide_the_second_rules_other_problems(tmp_path: Path) -> None:
    first = write_pack(tmp_path / "pack", VALID_RULE, "a.yaml")
    second = write_pack(tmp_path / "pack", VALID_RULE.replace("dose_mcg >", "dose >"), "b.yaml")
    assert problems(tmp_path / "pack") == [
        f"{second}:2:9: duplicate rule id 'TEST-HIGH' (first defined at {first}:2:9)",
        f"{second}:9:11: unknown field or parameter 'dose'; did you mean 'dose_mg'?",
    ]


def test_a_bad_parameter_hides_no_problem_that_does_not_depend_on_it(tmp_path: Path) -> None:
    text = VALID_RULE.replace("limit: 1000", "limit: [1, two]").replace("severity: warning", "severity: x")
    path = write_pack(tmp_path / "pack", text)
    found = problems(tmp_path / "pack")
    assert [line.split(": ")[0] for line in found] == [f"{path}:4:15", f"{path}:8:14"], found


def test_a_control_character_in_a_rule_file_is_located_on_one_line(tmp_path: Path) -> None:
    """PyYAML's reader refuses an ESC or a NUL in the text; that was located at 1:1, with PyYAML's
    two-line message (its second line a fake location, ``in "<unicode string>", position 28``)."""
    assert one_problem(tmp_path, "rules:\n  - id: TEST-HIGH\n    title: a\x1bb\n") == (
        "3:13: YAML: character \\x1b is not allowed in YAML text (special characters are not allowed)"
    )


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("010", "010 reads as 8 in YAML (octal: a leading zero)"),
        ("-0750", "-0750 reads as -488 in YAML (octal: a leading zero)"),
        ("1:30", "1:30 reads as 90 in YAML (base 60)"),
        ("1:30.5", "1:30.5 reads as 90.5 in YAML (base 60)"),
    ],
)
def test_a_number_yaml_reads_otherwise_than_a_person_is_refused(
    tmp_path: Path, written: str, message: str
) -> None:
    """``limit: 010`` ran as ``dose_mcg > 8``, ``limit: 1:30`` as ``dose_mcg > 90``, silently."""
    text = VALID_RULE.replace("limit: 1000", f"limit: {written}")
    assert one_problem(tmp_path, text) == (
        f"8:14: {message}: write the number without it, or quote it if it is text"
    )


@pytest.mark.parametrize("written", ["1_000", "0x3e8", "1000.0", "+1000"])
def test_numbers_a_person_reads_as_yaml_does_are_taken(tmp_path: Path, written: str) -> None:
    write_pack(tmp_path / "pack", VALID_RULE.replace("limit: 1000", f"limit: {written}"))
    assert load_rules([tmp_path / "pack"]).rules


@pytest.mark.parametrize(("tagged", "tag"), [("!!binary aGVsbG8=", "binary"), ("!!float 1000", "float")])
def test_an_explicit_tag_on_a_scalar_is_refused(tmp_path: Path, tagged: str, tag: str) -> None:
    """``title: !!binary aGVsbG8=`` loaded as the title 'hello': a tag hides what a rule says."""
    text = VALID_RULE.replace("title: High dose", f"title: {tagged}")
    assert one_problem(tmp_path, text) == f"3:12: YAML tag 'tag:yaml.org,2002:{tag}' is not allowed"


@pytest.mark.parametrize(
    ("folder", "name"), [("rules.v2", "rules-v2"), ("café", "caf-"), ("2026", "pack-2026")]
)
def test_a_pack_folder_named_unlike_a_pack_name_loads(tmp_path: Path, folder: str, name: str) -> None:
    """A pack without pack.yaml is named after its folder; 'rules.v2' stopped every command with
    'internal error: 1 validation error for PackSpec' (the name did not match the pattern)."""
    write_pack(tmp_path / folder, VALID_RULE)
    assert [pack.spec.name for pack in load_rules([tmp_path / folder]).packs] == [name]


def test_the_rules_version_tells_which_pack_each_rule_is_in(tmp_path: Path) -> None:
    """The version hashed each file's name and bytes, not the pack it is in: moving r2.yaml from
    pack a to pack b, or renaming a pack's folder (its name, in every finding), kept the version."""

    def rule(number: int) -> str:
        return VALID_RULE.replace("TEST-HIGH", f"TEST-{number}")

    for arrangement, packs in {
        "one": ("a", "a", "b"),
        "two": ("a", "b", "b"),
        "three": ("aa", "aa", "b"),
    }.items():
        for number, pack in enumerate(packs, start=1):
            write_pack(tmp_path / arrangement / pack, rule(number), f"r{number}.yaml")
    versions = {name: load_rules([tmp_path / name]).version for name in ("one", "two", "three")}
    assert len(set(versions.values())) == 3, versions


DRUG_PACK = "name: test\ntitle: Test\ndrugs:\n  - name: cyanocobalamin\n"


def test_a_packs_drug_lists_its_forms_and_codes(tmp_path: Path) -> None:
    write_pack(tmp_path / "pack", VALID_RULE)
    write_pack(
        tmp_path / "pack",
        DRUG_PACK + '    forms: [Injection]\n    codes:\n      rxnorm: [309594, "11248"]\n'
        '      ndc: ["0517-0031", "00517003125"]\n',
        "pack.yaml",
    )
    (drug,) = load_rules([tmp_path / "pack"]).drugs
    assert drug.forms == ["injection"]
    assert (drug.codes.rxnorm, drug.codes.ndc) == (["309594", "11248"], ["0517-0031", "00517003125"])


@pytest.mark.parametrize(
    ("lines", "where", "said"),
    [
        ("    forms: [injection, tablet]\n", "5:24:", "unknown dose form 'tablet'"),
        ("    forms: [injecton]\n", "5:13:", "did you mean 'injection'?"),
        ("    codes:\n      rxnorm: [RX309594]\n", "6:16:", "'RX309594' is not an RxNorm code"),
        (
            "    codes:\n      ndc: ['0517003125']\n",
            "6:13:",
            "10 digits without hyphens, which can be 3 NDCs",
        ),
        ("    codes:\n      ndc: [517003125]\n", "6:13:", "write an NDC as quoted text"),
        ("    codes:\n      ndc: ['0517-31']\n", "6:13:", "'0517-31' is not an NDC"),
        ("    codes:\n      snomed: ['123']\n", "6:7:", "unknown key 'snomed'"),
    ],
)
def test_a_wrong_form_or_code_in_pack_yaml_is_located(
    tmp_path: Path, lines: str, where: str, said: str
) -> None:
    write_pack(tmp_path / "pack", VALID_RULE)
    path = write_pack(tmp_path / "pack", DRUG_PACK + lines, "pack.yaml")
    (found,) = problems(tmp_path / "pack")
    assert found.startswith(f"{path}:{where}"), found
    assert said in found


def test_a_code_listed_for_two_drugs_is_located_where_it_is_listed_again(tmp_path: Path) -> None:
    write_pack(tmp_path / "pack", VALID_RULE)
    path = write_pack(
        tmp_path / "pack",
        DRUG_PACK + "    codes: {ndc: ['0517-0031-25']}\n"
        "  - name: hydroxocobalamin\n    codes: {ndc: ['00517-0031-25'], rxnorm: ['5493']}\n",
        "pack.yaml",
    )
    (found,) = problems(tmp_path / "pack")
    assert found.startswith(
        f"{path}:7:19: ndc '00517-0031-25' is also listed for cyanocobalamin (at {path}:5:19)"
    )
