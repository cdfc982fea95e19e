"""``doseguard rules ...``: commands for the people who write and review rule packs.

Every command that reads packs takes the same ``--rules`` / ``--overrides`` options as ``check``
(:func:`doseguard.cli.common.rule_source_options`). Exit statuses (:mod:`doseguard.cli.common`): 0 done;
1 ``validate`` found problems in rule files, ``test`` a failing scenario or coverage short of
``--min-coverage``; 2 a usage error (a folder or file that does not exist, an unknown rule id, an
unknown option) or, for ``list``, ``explain`` and ``test``, rule files that do not load (``validate``
lists every problem, exit 1).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import click

from doseguard.checker import Checker
from doseguard.cli.common import (
    EXIT_FINDING,
    EXIT_OK,
    EXIT_USAGE,
    NOT_DONE,
    exit_status_epilog,
    load_all_or_exit,
    report_problems,
    rule_source_options,
    say,
    stop_if_missing,
)
from doseguard.engine.compiled import compile_loaded, compile_rules
from doseguard.errors import (
    EngineError,
    FeatureFileError,
    ProblemKind,
    RulePackError,
    RuleProblem,
    SourceLocation,
)
from doseguard.rules.files import feature_folders
from doseguard.rules.model import Rule, RuleSet
from doseguard.rules.schema import schema_text
from doseguard.rules.source import RuleSource
from doseguard.rules.views import (
    explain_text,
    listed_notices,
    notice_summary,
    notice_text,
    rule_summary,
    rule_table,
    vocabulary_data,
    vocabulary_text,
)
from doseguard.suggestions import closest, did_you_mean
from doseguard.testing.coverage import stable_rules_without_scenarios

EXIT_PROBLEMS = EXIT_FINDING
"""``rules validate``: the rule files have problems (each one is listed)."""

FOLDER = click.Path(exists=True, file_okay=False)


@click.group(
    epilog="Exit status: 0 ok; 1 the command's finding (validate: problems in the rule files; test: a "
    "failing scenario or coverage below --min-coverage); 2 the command could not do its job (a usage "
    "error, a rule folder or file that does not exist, rules that do not load)."
)
def rules() -> None:
    """Work with rule packs: validate, list, explain, test, and the language they are written in."""


# --- validate ---------------------------------------------------------------------------------------


@dataclass
class Validation:
    """The outcome of loading packs for ``validate``: the rules, or every problem found."""

    rule_set: RuleSet | None = None
    problems: list[RuleProblem] = field(default_factory=list)
    engine_refusal: str | None = None
    features: list[str] = field(default_factory=list)  # where scenarios of stable rules were looked for

    @property
    def valid(self) -> bool:
        return self.rule_set is not None and not self.problems and self.engine_refusal is None

    @property
    def warnings(self) -> list[RuleProblem]:
        """What the rules that loaded warn about (never a reason to refuse them)."""
        return [w for rule in self.rule_set.rules for w in rule.warnings] if self.rule_set else []

    def as_dict(self) -> dict[str, Any]:
        """The ``--format json`` document; version and counts are null when the packs did not load."""
        loaded = self.rule_set if self.engine_refusal is None else None
        problems = [p.as_dict() for p in self.problems]  # the keys check's results use too
        if self.engine_refusal is not None:
            problems.append(
                {"file": None, "line": None, "column": None, "message": self.engine_refusal,
                 "kind": ProblemKind.ENGINE, "rule_id": None}
            )  # fmt: skip
        return {
            "valid": self.valid,
            "version": loaded.version if loaded else None,
            "rules": len(loaded.rules) if loaded else None,
            "packs": len(loaded.packs) if loaded else None,
            "features": self.features,
            "problems": problems,
            "warnings": [w.as_dict() for w in self.warnings],
        }


def validate_packs(source: RuleSource, features: Sequence[str] | None = None) -> Validation:
    """Load every rule of the packs (deprecated ones too: they must stay valid to be switched back
    on), compile them and build a checker of them once, as ``check`` does, so a pack that validates
    also runs, and require scenarios of every stable rule in ``features`` (default: found beside the
    packs)."""
    try:
        compiled = compile_loaded(source.read_all())  # the loader's problems and the engine's, together
    except RulePackError as error:
        return Validation(problems=list(error.problems))
    rule_set = compiled.rule_set
    try:
        Checker(rule_set, compiled)
    except EngineError as error:
        return Validation(rule_set, engine_refusal=f"the rules engine refused the rules: {error}")
    searched = list(features) if features else default_feature_folders(rule_set)
    try:
        problems = scenario_problems(rule_set, searched)
    except ImportError:  # reading Gherkin needs pytest-bdd: the "testing" extra, not installed
        if features:
            raise click.UsageError(
                "checking scenarios needs pytest-bdd: pip install 'doseguard[testing]'"
            ) from None
        searched, problems = [], []
    return Validation(rule_set, problems=problems, features=searched)


def default_feature_folders(rule_set: RuleSet) -> list[str]:
    """Where scenarios are looked for when none are named: each pack's ``features/`` folder, else one
    beside it or above a folder of packs (:func:`doseguard.rules.files.feature_folders`)."""
    return feature_folders(pack.directory for pack in rule_set.packs)


def scenario_problems(rule_set: RuleSet, folders: Sequence[str]) -> list[RuleProblem]:
    """A stable rule must have scenarios: one problem per stable rule no scenario checks."""
    if not folders:
        return []
    try:
        missing = stable_rules_without_scenarios(rule_set, folders)
    except FeatureFileError as error:
        return [
            RuleProblem(SourceLocation(error.path, error.line, 1), error.message, kind=ProblemKind.FEATURE)
        ]
    searched = ", ".join(folders)
    return [
        RuleProblem(
            rule.source,
            f"{rule.id} is stable but no scenario in {searched} checks it: write a scenario that fires it "
            "and a near miss, or set its status to test",
            kind=ProblemKind.NO_SCENARIOS,
            rule_id=rule.id,
        )
        for rule in missing
    ]


@rules.command(
    "validate",
    epilog=exit_status_epilog(
        "the packs are valid",
        "they have problems (each listed as path:line:col: message)",
        f"{NOT_DONE}, --features without pytest-bdd installed",
    ),
)
@click.argument("folders", nargs=-1, type=click.Path())  # checked as --rules folders are
@rule_source_options(selection=False)
@click.option(
    "--features",
    multiple=True,
    type=FOLDER,
    help="Folder of .feature files where stable rules must have scenarios (repeatable). "
    "Default: a features/ folder in, beside or above each pack; none found: not checked.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: each problem as path:line:col: message on stderr. json: one document on stdout.",
)
def validate(folders: tuple[str, ...], source: RuleSource, features: tuple[str, ...], fmt: str) -> None:
    """Check rule packs in FOLDERS and --rules folders (default: the bundled packs) and report every
    problem at once."""
    source = replace(source, paths=(*folders, *source.paths))
    stop_if_missing(source)
    outcome = validate_packs(source, features)
    if fmt == "json":
        click.echo(json.dumps(outcome.as_dict(), indent=2))
    else:
        _print_validation(outcome)
    sys.exit(EXIT_OK if outcome.valid else EXIT_PROBLEMS)


def _print_validation(outcome: Validation) -> None:
    for warning in outcome.warnings:
        say(warning)
    if outcome.valid and outcome.rule_set is not None:
        rule_set = outcome.rule_set
        counts = f"{len(rule_set.rules)} rules in {len(rule_set.packs)} packs"
        click.echo(f"{counts} are valid (version {rule_set.version})")
        if not outcome.features:
            click.echo(
                "doseguard: no features/ folder found: scenarios of stable rules not checked", err=True
            )
        return
    if outcome.engine_refusal is not None:
        for problem in outcome.problems:
            say(problem)
        say(f"doseguard: {outcome.engine_refusal}")
        return
    report_problems(outcome.problems)


# --- list and explain -------------------------------------------------------------------------------


@rules.command("list", epilog=exit_status_epilog("listed", None, f"{NOT_DONE}, rules that do not load"))
@rule_source_options(selection=False)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def list_rules(source: RuleSource, fmt: str) -> None:
    """List every rule of the packs (deprecated ones too) and doseguard's built-in notices: id,
    severity, status, pack and title.

    Severities are the ones in force, after --overrides.
    """
    rule_set = load_all_or_exit(source)
    notices = listed_notices(rule_set)
    if fmt == "json":
        listed = [*map(rule_summary, rule_set.rules), *map(notice_summary, notices)]
        click.echo(json.dumps(listed, indent=2))
    else:
        click.echo(rule_table(rule_set.rules, notices))


@rules.command(
    "explain",
    epilog=exit_status_epilog("explained", None, f"{NOT_DONE}, rules that do not load, no rule ID in them"),
)
@click.argument("rule_id", metavar="ID")
@rule_source_options(selection=False)
@click.option(
    "--compiled", is_flag=True, help="Print only the durable-rules condition the rule becomes (JSON)."
)
def explain(rule_id: str, source: RuleSource, compiled: bool) -> None:
    """Explain rule ID: what it checks and why, its condition, parameters (with a site's overrides)
    and references."""
    rule_set = load_all_or_exit(source)
    notice = next((n for n in listed_notices(rule_set) if n.id == rule_id.upper()), None)
    if notice is not None:
        if compiled:
            raise click.UsageError(f"{notice.id} is built into doseguard: it has no engine condition")
        click.echo(notice_text(notice))
        return
    rule = find_rule(rule_set, rule_id)
    if compiled:
        click.echo(json.dumps(compile_rules(rule_set)[rule.id].compiled, indent=2))
        return
    pack = next((p for p in rule_set.packs if p.spec.name == rule.pack), None)
    click.echo(explain_text(rule, pack))


def find_rule(rule_set: RuleSet, rule_id: str) -> Rule:
    """The rule with this id (ids are upper case, so 'b12-route' finds B12-ROUTE); else exit 2 with
    the closest id."""
    by_id = {rule.id: rule for rule in rule_set.rules}
    found = by_id.get(rule_id) or by_id.get(rule_id.upper())
    if found is None:
        meant = closest(rule_id, by_id, any_case=True)
        say(f"doseguard: no rule {rule_id!r} in the loaded packs{did_you_mean(meant)}")
        sys.exit(EXIT_USAGE)
    return found


# --- the language -----------------------------------------------------------------------------------


@rules.command("vocabulary", epilog=exit_status_epilog("listed", None, f"{NOT_DONE}, rules that do not load"))
@rule_source_options(selection=False)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def vocabulary(source: RuleSource, fmt: str) -> None:
    """The fields a rule can read (type, unit, allowed values), the loaded packs' history aggregates
    (pack.yaml history:), the operators and the functions."""
    rule_set = load_all_or_exit(source)
    if fmt == "json":
        click.echo(json.dumps(vocabulary_data(rule_set), indent=2, ensure_ascii=False))
    else:
        click.echo(vocabulary_text(rule_set))


@rules.command("schema")
def schema() -> None:
    """Print the JSON Schema (draft 2020-12) of rule files and pack.yaml.

    Editors validate as you type when a rule file starts with
    '# yaml-language-server: $schema=<path to>/rule-pack.schema.json'. The schema checks the
    structure only; 'doseguard rules validate' also type-checks the expressions.
    """
    click.echo(schema_text(), nl=False)
