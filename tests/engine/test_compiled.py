"""What the engine cannot take is reported as located rule-file problems, when the rules are compiled
(when a checker is built), in the words and places the loader used when it compiled them itself; and
together with the loader's own problems, in file order, as one list."""

from __future__ import annotations

from pathlib import Path

import pytest

from doseguard.checker import Checker
from doseguard.engine import compiled as compiled_module
from doseguard.engine.compiled import compile_loaded, compile_rules
from doseguard.errors import RulePackError
from doseguard.records import InputRecord
from doseguard.rules.loader import load_rules, read_rules
from doseguard.rules.selection import Selection, select_rules

RULE = """\
  - id: {id}
    title: T
    severity: warning
    description: A test rule.
    references: [a source]
    when: {when}
    message: "m"
"""
WIDE = " or ".join(f"dose_mcg > {i}" for i in range(1, 62))
TOO_MANY_PATHS = (
    "the condition expands into 61 alternative paths; the engine fails when one order matches more than "
    "60 (split the rule, or use fewer table entries or 'or's)"
)


def write_rules(folder: Path, name: str, rules: list[tuple[str, str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("rules:\n" + "".join(RULE.format(id=i, when=w) for i, w in rules), encoding="utf-8")
    return path


def problems(folder: Path) -> list[str]:
    """Every problem of the pack, the loader's and the engine's, as the commands list them."""
    with pytest.raises(RulePackError) as caught:
        compile_loaded(read_rules([folder]))
    return [str(p) for p in caught.value.problems]


def test_a_condition_that_can_never_be_true(tmp_path: Path) -> None:
    path = write_rules(tmp_path / "pack", "a.yaml", [("A-NEVER", "route in []")])
    assert problems(tmp_path / "pack") == [f"{path}:7:11: this condition can never be true"]


def test_what_the_compiler_refuses_points_at_the_part_it_refuses(tmp_path: Path) -> None:
    path = write_rules(tmp_path / "pack", "a.yaml", [("C-MUL", "dose_mcg * volume_ml > 5")])
    assert problems(tmp_path / "pack") == [
        f"{path}:7:32: one side of a comparison must be a field, or a field plus or minus other terms"
    ]


def test_numbers_the_engine_cannot_read(tmp_path: Path) -> None:
    path = write_rules(
        tmp_path / "pack",
        "a.yaml",
        [("D-TINY", "dose_mcg > 0.0000000001"), ("D-HUGE", "dose_mcg > 10000000000000")],
    )
    use = "is outside what the engine reads: use numbers from 0.000000001 to 1000000000000 (or 0)"
    assert problems(tmp_path / "pack") == [
        f"{path}:7:11: the number 1e-10 {use}",
        f"{path}:14:11: the number 10000000000000.0 {use}",
    ]


def test_a_rule_with_more_paths_than_the_engine_takes(tmp_path: Path) -> None:
    path = write_rules(tmp_path / "pack", "a.yaml", [("F-OK", "dose_mcg > 1"), ("F-WIDE", WIDE)])
    with pytest.raises(RulePackError) as caught:
        compile_loaded(read_rules([tmp_path / "pack"]))
    (problem,) = caught.value.problems
    assert str(problem) == f"{path}:14:11: {TOO_MANY_PATHS}"
    assert (problem.kind, problem.rule_id) == ("engine-limit", "F-WIDE")


def test_the_251st_rule_sharing_one_condition_is_refused_at_that_rule(tmp_path: Path) -> None:
    path = write_rules(tmp_path / "pack", "a.yaml", [(f"E-R{i}", "dose_mcg > 5") for i in range(252)])
    assert problems(tmp_path / "pack") == [f"{path}:{250 * 7 + 2}:5: more than 250 rules share one condition"]


def test_loader_and_engine_problems_are_one_list_in_file_order(tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    a = write_rules(
        folder,
        "a.yaml",
        [
            ("G-1", "route in []"),
            ("G-2", "dose_mcgs > 1"),
            ("G-3", WIDE),
            ("G-4", "volume_ml * dose_mcg > 1"),
        ],
    )
    b = write_rules(folder, "b.yaml", [("G-5", "bogus > 1"), ("G-6", "route in []")])
    assert problems(folder) == [
        f"{a}:7:11: this condition can never be true",
        f"{a}:14:11: unknown field or parameter 'dose_mcgs'; did you mean 'dose_mcg'?",
        f"{a}:21:11: {TOO_MANY_PATHS}",
        f"{a}:28:32: one side of a comparison must be a field, or a field plus or minus other terms",
        f"{b}:7:11: unknown field or parameter 'bogus'",
        f"{b}:14:11: this condition can never be true",
    ]


def test_problems_of_rules_written_on_one_line_keep_their_columns(tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    folder.mkdir()
    rule = "{{id: {}, title: T, severity: warning, description: d, references: [r], when: {!r}, message: m}}"
    (folder / "a.yaml").write_text(
        f"rules: [{rule.format('H-1', 'route in []')}, {rule.format('H-2', 'dose > 1')}]\n", encoding="utf-8"
    )
    assert problems(folder) == [
        f"{folder / 'a.yaml'}:1:87: this condition can never be true",
        f"{folder / 'a.yaml'}:1:194: unknown field or parameter 'dose'; did you mean 'dose_mg'?",
    ]


def test_a_checker_compiles_its_rules_when_it_is_built(tmp_path: Path) -> None:
    path = write_rules(tmp_path / "pack", "a.yaml", [("F-OK", "dose_mcg > 1"), ("A-NEVER", "route in []")])
    rule_set = load_rules([tmp_path / "pack"])  # the loader knows no engine
    with pytest.raises(RulePackError) as caught:
        Checker(rule_set)
    assert [str(p) for p in caught.value.problems] == [f"{path}:14:11: this condition can never be true"]


def test_a_checker_compiles_once_and_never_while_checking(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    real = compiled_module.compile_condition

    def counted(condition: object) -> object:
        calls.append(condition)
        return real(condition)  # type: ignore[arg-type]

    monkeypatch.setattr(compiled_module, "compile_condition", counted)
    rule_set = load_rules()
    checker = Checker(rule_set)
    assert len(calls) == len(rule_set.rules)
    order = {"order_id": "O1", "patient_id": "P1", "drug": "cyanocobalamin", "dose": "1000 mcg"}
    for batch in range(3):
        checker.check_many([InputRecord("t", {**order, "order_id": f"O{batch}"})], batch + 1)
    assert len(calls) == len(rule_set.rules)


def test_a_checker_of_a_selection_takes_its_rules_from_the_whole_packs_compiled_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    everything = compile_rules(load_rules())
    monkeypatch.setattr(compiled_module, "compile_condition", None)  # any compiling now fails
    chosen = select_rules(everything.rule_set, Selection(select=("B12-ROUTE",)))
    checker = Checker(chosen, everything)
    assert checker.engine._rule_ids == {"B12-ROUTE"}


def test_compiled_rules_are_given_only_for_the_rules_they_were_compiled_from() -> None:
    everything = compile_rules(load_rules())
    with pytest.raises(ValueError, match="B12-ROUTE is not one of the rules compiled here"):
        everything.of([load_rules().rule("B12-ROUTE")])  # the same id, another load


def test_the_bundled_rules_compile_as_the_engine_reads_them() -> None:
    everything = compile_rules(load_rules())
    route = everything["B12-ROUTE"]
    assert route.branches == 1 and isinstance(route.compiled, dict)
    assert [rule.id for rule in everything.of(everything.rule_set.rules)] == [
        rule.id for rule in everything.rule_set.rules
    ]


def test_a_pack_file_error_and_an_engine_error_are_listed_together(tmp_path: Path) -> None:
    """The loader's problems come with the rules that loaded, so the engine's can join them."""
    folder = tmp_path / "pack"
    path = write_rules(folder, "a.yaml", [("A-NEVER", "route in []")])
    (folder / "pack.yaml").write_text("name: Bad Name\ntitle: t\n", encoding="utf-8")
    assert problems(folder) == [
        f"{path}:7:11: this condition can never be true",
        f"{folder / 'pack.yaml'}:1:7: name: String should match pattern '^[a-z][a-z0-9_-]*$' (got 'Bad Name')",
    ]


def test_a_loader_problem_and_an_engine_problem_at_one_place_keep_the_order_they_were_found_in(
    tmp_path: Path,
) -> None:
    """The file's YAML is read before its rules are compiled: at one place, its problem comes first."""
    folder = tmp_path / "pack"
    path = write_rules(folder, "a.yaml", [("J-A", "&w route in []"), ("J-B", "*w")])
    assert problems(folder) == [
        f"{path}:7:11: YAML aliases (*name) are not allowed",
        f"{path}:7:11: this condition can never be true",
    ]
