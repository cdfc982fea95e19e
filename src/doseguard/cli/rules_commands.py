"""``doseguard rules ...``: commands for the people who write and review rule packs.

Exit statuses: 0 done; 1 ``validate`` found problems in rule files; 2 a usage error (a folder or file
that does not exist, an unknown rule id, an unknown option) or, for ``list`` and ``explain``, rule
files that do not load (``validate`` lists every problem).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from doseguard.cli.common import EXIT_FLAGGED, EXIT_OK, EXIT_USAGE
from doseguard.cli.rules_views import (
    explain_text,
    rule_summary,
    rule_table,
    vocabulary_data,
    vocabulary_text,
)
from doseguard.engine.adapter import DurableEngine
from doseguard.errors import EngineError, RulePackError, RuleProblem, SourceLocation
from doseguard.rules.loader import load_rules
from doseguard.rules.model import Rule, RuleSet
from doseguard.rules.schema import schema_text
from doseguard.rules.typecheck import suggest
from doseguard.testing.coverage import FeatureFileError, stable_rules_without_scenarios

EXIT_PROBLEMS = EXIT_FLAGGED
"""``rules validate``: the rule files have problems (each one is listed)."""

FOLDER = click.Path(exists=True, file_okay=False)

rules_option = click.option(
    "--rules",
    "rule_dirs",
    multiple=True,
    type=FOLDER,
    help="Rule pack folder, or a folder of packs (repeatable). Default: the bundled packs.",
)
overrides_option = click.option(
    "--overrides",
    type=click.Path(exists=True, dir_okay=False),
    help="A site's overrides file (YAML), applied as 'check' applies it.",
)


@click.group()
def rules() -> None:
    """Work with rule packs: validate, list, explain, and the language they are written in."""


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

    def as_dict(self) -> dict[str, Any]:
        """The ``--format json`` document; version and counts are null when the packs did not load."""
        loaded = self.rule_set if self.engine_refusal is None else None
        problems = [p.as_dict() for p in self.problems]  # the keys check's results use too
        if self.engine_refusal is not None:
            problems.append(
                {"file": None, "line": None, "column": None, "message": self.engine_refusal,
                 "kind": "engine", "rule_id": None}
            )  # fmt: skip
        return {
            "valid": self.valid,
            "version": loaded.version if loaded else None,
            "rules": len(loaded.rules) if loaded else None,
            "packs": len(loaded.packs) if loaded else None,
            "features": self.features,
            "problems": problems,
        }


def validate_packs(
    folders: Sequence[str], overrides: str | None, features: Sequence[str] | None = None
) -> Validation:
    """Load every rule of the packs (deprecated ones too: they must stay valid to be switched back
    on), hand them to the engine once, as ``check`` does, so a pack that validates also runs, and
    require scenarios of every stable rule in ``features`` (default: found beside the packs)."""
    try:
        rule_set = load_rules(list(folders) or None, overrides=overrides)
    except RulePackError as error:
        return Validation(problems=list(error.problems))
    try:
        DurableEngine(rule_set.rules)
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
    """Where scenarios are looked for when none are named: a ``features/`` folder in each pack, beside
    it, or above a folder of packs (the repository layout: rules/b12 and features/)."""
    found: list[str] = []
    for pack in rule_set.packs:
        folder = Path(pack.directory)
        for candidate in (folder / "features", folder.parent / "features", folder.parent.parent / "features"):
            if candidate.is_dir() and str(candidate) not in found:
                found.append(str(candidate))
                break
    return found


def scenario_problems(rule_set: RuleSet, folders: Sequence[str]) -> list[RuleProblem]:
    """A stable rule must have scenarios: one problem per stable rule no scenario checks."""
    if not folders:
        return []
    try:
        missing = stable_rules_without_scenarios(rule_set, folders)
    except FeatureFileError as error:
        return [RuleProblem(SourceLocation(error.path, error.line, 1), error.message, kind="feature")]
    searched = ", ".join(folders)
    return [
        RuleProblem(
            rule.source,
            f"{rule.id} is stable but no scenario in {searched} checks it: write a scenario that fires it "
            "and a near miss, or set its status to test",
            kind="no-scenarios",
            rule_id=rule.id,
        )
        for rule in missing
    ]


@rules.command("validate")
@click.argument("folders", nargs=-1, type=FOLDER)
@overrides_option
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
def validate(folders: tuple[str, ...], overrides: str | None, features: tuple[str, ...], fmt: str) -> None:
    """Check rule packs in FOLDERS (default: the bundled packs) and report every problem at once.

    Exit status: 0 the packs are valid; 1 they have problems (each one listed, with its file, line and
    column); 2 a usage error, e.g. a FOLDER or --overrides file that does not exist.
    """
    outcome = validate_packs(folders, overrides, features)
    if fmt == "json":
        click.echo(json.dumps(outcome.as_dict(), indent=2))
    else:
        _print_validation(outcome)
    sys.exit(EXIT_OK if outcome.valid else EXIT_PROBLEMS)


def _print_validation(outcome: Validation) -> None:
    if outcome.valid and outcome.rule_set is not None:
        rule_set = outcome.rule_set
        counts = f"{len(rule_set.rules)} rules in {len(rule_set.packs)} packs"
        click.echo(f"{counts} are valid (version {rule_set.version})")
        if not outcome.features:
            click.echo(
                "doseguard: no features/ folder found: scenarios of stable rules not checked", err=True
            )
        return
    for problem in outcome.problems:
        click.echo(str(problem), err=True)
    if outcome.engine_refusal is not None:
        click.echo(f"doseguard: {outcome.engine_refusal}", err=True)
        return
    count = len(outcome.problems)
    click.echo(f"doseguard: {count} problem{'s' if count != 1 else ''} in rule files", err=True)


# --- list and explain -------------------------------------------------------------------------------


def load_all(rule_dirs: Sequence[str], overrides: str | None) -> RuleSet:
    """Every rule of the packs, deprecated ones included: ``list`` and ``explain`` show what the packs
    hold, not what one run selects. Rule files that do not load stop the command (exit 2)."""
    try:
        return load_rules(list(rule_dirs) or None, overrides=overrides)
    except RulePackError as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        count = len(error.problems)
        click.echo(
            f"doseguard: {count} problem{'s' if count != 1 else ''} in rule files "
            "(fix them, then check with: doseguard rules validate)",
            err=True,
        )
        sys.exit(EXIT_USAGE)


@rules.command("list")
@rules_option
@overrides_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def list_rules(rule_dirs: tuple[str, ...], overrides: str | None, fmt: str) -> None:
    """List every rule of the packs (deprecated ones too): id, severity, status, pack and title.

    Severities are the ones in force, after --overrides.
    """
    rule_set = load_all(rule_dirs, overrides)
    if fmt == "json":
        click.echo(json.dumps([rule_summary(rule) for rule in rule_set.rules], indent=2))
    else:
        click.echo(rule_table(rule_set.rules))


@rules.command("explain")
@click.argument("rule_id", metavar="ID")
@rules_option
@overrides_option
@click.option(
    "--compiled", is_flag=True, help="Print only the durable-rules condition the rule becomes (JSON)."
)
def explain(rule_id: str, rule_dirs: tuple[str, ...], overrides: str | None, compiled: bool) -> None:
    """Explain rule ID: what it checks and why, its condition, parameters (with a site's overrides)
    and references. Exit status 2 when no loaded pack has rule ID."""
    rule_set = load_all(rule_dirs, overrides)
    rule = find_rule(rule_set, rule_id)
    if compiled:
        click.echo(json.dumps(rule.compiled, indent=2))
        return
    pack = next((p for p in rule_set.packs if p.spec.name == rule.pack), None)
    click.echo(explain_text(rule, pack))


def find_rule(rule_set: RuleSet, rule_id: str) -> Rule:
    """The rule with this id (ids are upper case, so 'b12-route' finds B12-ROUTE); else exit 2 with
    the closest id."""
    by_id = {rule.id: rule for rule in rule_set.rules}
    found = by_id.get(rule_id) or by_id.get(rule_id.upper())
    if found is None:
        click.echo(f"doseguard: no rule {rule_id!r} in the loaded packs{suggest(rule_id, by_id)}", err=True)
        sys.exit(EXIT_USAGE)
    return found


# --- the language -----------------------------------------------------------------------------------


@rules.command("vocabulary")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def vocabulary(fmt: str) -> None:
    """The fields a rule can read (type, unit, allowed values), the operators and the functions."""
    if fmt == "json":
        click.echo(json.dumps(vocabulary_data(), indent=2, ensure_ascii=False))
    else:
        click.echo(vocabulary_text())


@rules.command("schema")
def schema() -> None:
    """Print the JSON Schema (draft 2020-12) of rule files and pack.yaml.

    Editors validate as you type when a rule file starts with
    '# yaml-language-server: $schema=<path to>/rule-pack.schema.json'. The schema checks the
    structure only; 'doseguard rules validate' also type-checks the expressions.
    """
    click.echo(schema_text(), nl=False)


import doseguard.cli.rules_test  # noqa: E402, F401  (registers "rules test" on the group above)
