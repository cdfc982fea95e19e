"""``doseguard rules test [RULES] [FEATURES]``: run a pack's Gherkin scenarios and measure rule coverage.

The rules are named as ``check`` names them (``--rules`` repeatable, ``--overrides``, ``--select``,
``--ignore``, ``--include-deprecated``), so a site tests its severities and parameters as it runs them;
the older positional RULES still works (see :func:`rules_and_features`). The rule files
are loaded and checked first (a broken pack must not ship with a green test run), then
every scenario under FEATURES runs in this process with the step library, and the report says, per
rule, which scenarios prove it fires, which prove it stays quiet on a near miss, and which failed; then
the rule coverage (see :mod:`doseguard.testing.coverage` for exactly what counts).

Exit statuses: 0 every scenario passed and coverage reached ``--min-coverage``; 1 a scenario failed or
coverage fell short; 2 a usage error, rule files that do not load, or feature files that are not Gherkin.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from doseguard.cli.common import (
    EXIT_FINDING,
    EXIT_OK,
    EXIT_USAGE,
    NOT_DONE,
    exit_status_epilog,
    load_or_exit,
    rule_source_options,
)
from doseguard.rules.files import FEATURES_FOLDER, feature_folders, pack_folders
from doseguard.rules.loader import bundled_rules_dir
from doseguard.rules.model import RuleSet
from doseguard.rules.source import RuleSource

if TYPE_CHECKING:  # the runner imports pytest: only `rules test` pays for it
    from doseguard.testing.coverage import CoverageReport, RuleCoverage, ScenarioOutcome, ScenarioRef

WIDTH = 100
COUNTING = (
    'A rule is covered when a passing scenario asserts it fires ("is flagged", "the message of", a row '
    'of "exactly these findings") and another asserts it does not ("is not flagged"); coverage is '
    'covered rules / rules under test. Failing scenarios, tags and "the order passes" count for no rule.'
)


@click.command(
    "test",
    epilog=exit_status_epilog(
        "every scenario passed and coverage reached --min-coverage",
        "a scenario failed or coverage fell short",
        f"nothing was tested: {NOT_DONE}, rules that do not load, a --select/--ignore naming no rule, "
        "no scenarios or feature files that are not Gherkin, pytest-bdd not installed",
    ),
)
@click.argument("folders", nargs=-1, metavar="[RULES] [FEATURES]", type=click.Path(exists=True))
@rule_source_options(selection=True)
@click.option(
    "--min-coverage",
    type=click.FloatRange(0, 100),
    default=None,
    metavar="PCT",
    help="Exit 1 when rule coverage is below PCT percent.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules_test(folders: tuple[str, ...], source: RuleSource, min_coverage: float | None, fmt: str) -> None:
    """Run the Gherkin scenarios of FEATURES (a folder, searched recursively, or one .feature file;
    default: each pack's features/ folder, or one beside or above it, else ./features) against the
    packs in RULES and --rules folders (default: the bundled packs), with --overrides and
    --select/--ignore applied as 'check' applies them, and report per rule and rule coverage.

    A single folder is FEATURES with --rules ('rules test --rules mtx mtx/features') or when it holds
    only .feature files ('rules test features --overrides site.yaml'); else it is RULES."""
    source, named = rules_and_features(folders, source)
    searched = [named] if named is not None else default_features(source)
    features = ", ".join(searched)
    if importlib.util.find_spec("pytest_bdd") is None:
        click.echo("doseguard: 'rules test' needs pytest-bdd: pip install 'doseguard[testing]'", err=True)
        sys.exit(EXIT_USAGE)
    rule_set = load_or_exit(source, "; nothing was tested")

    from doseguard.testing.coverage import measure  # noqa: PLC0415  (imports pytest: only here)
    from doseguard.testing.runner import run_scenarios  # noqa: PLC0415

    run = run_scenarios(source, [Path(folder) for folder in searched])
    if run.collection_errors or run.exit_code in (3, 4):
        for problem in run.collection_errors or [run.output]:
            click.echo(f"doseguard: {problem}", err=True)
        click.echo("doseguard: feature files could not be read; nothing was tested", err=True)
        sys.exit(EXIT_USAGE)
    if not run.scenarios:
        click.echo(f"doseguard: no scenarios in {features} (looked for *.feature files)", err=True)
        sys.exit(EXIT_USAGE)
    report = measure(rule_set, run.scenarios)
    short = min_coverage is not None and report.percent < min_coverage
    if fmt == "json":
        document = report_dict(report, rule_set, features, min_coverage)
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        click.echo(report_text(report, rule_set, features, min_coverage))
    sys.exit(EXIT_FINDING if report.failures or short else EXIT_OK)


def rules_and_features(folders: tuple[str, ...], source: RuleSource) -> tuple[RuleSource, str | None]:
    """Read the positional folders: ``RULES FEATURES`` as before ``--rules`` existed (RULES joins the
    ``--rules`` folders); a single folder is FEATURES when ``--rules`` is given or when it holds
    ``.feature`` files and no rule files (as RULES it would be an error), else RULES."""
    if len(folders) > 2:
        raise click.UsageError(f"at most two folders, [RULES] [FEATURES]; got {len(folders)}")
    if not folders:
        return source, None
    if len(folders) == 1 and (source.paths or _holds_features_only(Path(folders[0]))):
        return source, folders[0]
    source = replace(source, paths=(folders[0], *source.paths))
    return source, folders[1] if len(folders) == 2 else None


def default_features(source: RuleSource) -> list[str]:
    """The packs' own scenarios (:func:`doseguard.rules.files.feature_folders`), else ``features/`` of
    the working folder, as before scenarios sat beside their packs; a usage error when neither is."""
    roots = [Path(path) for path in source.paths] or [bundled_rules_dir()]
    found = feature_folders(pack_folders(roots))
    if not found and Path(FEATURES_FOLDER).is_dir():
        found = [FEATURES_FOLDER]
    if not found:
        raise click.UsageError(
            f"no {FEATURES_FOLDER}/ folder here or in, beside or above the packs: "
            "name the folder of .feature files"
        )
    return found


def _holds_features_only(folder: Path) -> bool:
    if not folder.is_dir():
        return folder.suffix == ".feature"
    has_yaml = any(folder.rglob("*.yaml")) or any(folder.rglob("*.yml"))
    return not has_yaml and any(folder.rglob("*.feature"))


# JSON -------------------------------------------------------------------------------------------


def report_dict(
    report: CoverageReport, rule_set: RuleSet, features: str, min_coverage: float | None
) -> dict[str, Any]:
    met = min_coverage is None or report.percent >= min_coverage
    return {
        "features": features,
        "rules_version": rule_set.version,
        "passed": not report.failures and met,
        "scenarios": {
            "total": len(report.scenarios),
            **{outcome: report.count(outcome) for outcome in ("passed", "failed", "skipped")},
        },
        "rules": [_rule_dict(rule) for rule in report.rules],
        "failures": [_failure_dict(failure) for failure in report.failures],
        "coverage": {
            "rules": len(report.rules),
            "covered": report.covered,
            "percent": round(report.percent, 2),
            "without_firing": list(report.without_firing),
            "without_not_firing": list(report.without_not_firing),
            "min_coverage": min_coverage,
            "met": met,
        },
    }


def _ref(ref: ScenarioRef) -> dict[str, Any]:
    return {"feature": ref.feature, "line": ref.line, "name": ref.name, "example": ref.example}


def _rule_dict(rule: RuleCoverage) -> dict[str, Any]:
    return {
        "id": rule.rule.id,
        "severity": rule.rule.severity.value,
        "status": rule.rule.spec.status.value,
        "pack": rule.rule.pack,
        "covered": rule.covered,
        "fires": [_ref(r) for r in rule.fires],
        "does_not_fire": [_ref(r) for r in rule.does_not_fire],
        "failures": [_ref(f.scenario) for f in rule.failures],
        "tagged_but_unchecked": [_ref(r) for r in rule.tagged_but_unchecked],
    }


def _failure_dict(failure: ScenarioOutcome) -> dict[str, Any]:
    return {
        "scenario": _ref(failure.scenario),
        "step": failure.failed_step or None,
        "message": failure.message,
        "rules": sorted(failure.rule_ids),
        "tags": list(failure.tags),
    }


# Text -------------------------------------------------------------------------------------------


def report_text(report: CoverageReport, rule_set: RuleSet, features: str, min_coverage: float | None) -> str:
    counts = ", ".join(
        f"{report.count(outcome)} {outcome}"
        for outcome in ("passed", "failed", "skipped")
        if report.count(outcome)
    )
    total = len(report.scenarios)
    lines = [
        f"{total} scenario{'s' if total != 1 else ''} in {features} against {len(rule_set.rules)} rules "
        f"(version {rule_set.version}): {counts}",
        "",
    ]
    for rule in report.rules:
        lines += _rule_lines(rule)
    if report.failures:
        lines += [f"Failures ({len(report.failures)}):"]
        for failure in report.failures:
            lines += [f"  {failure.scenario}"]
            lines += [f"    {failure.failed_step}"] if failure.failed_step else []
            lines += [f"    {line}" for line in failure.message.splitlines()]
        lines += [""]
    lines += _coverage_lines(report, min_coverage)
    return "\n".join(lines)


def _rule_lines(rule: RuleCoverage) -> list[str]:
    missing = [
        what for what, refs in (("fires", rule.fires), ("does not fire", rule.does_not_fire)) if not refs
    ]
    state = (
        "covered"
        if rule.covered
        else "NOT COVERED: no scenario shows it "
        + " or ".join({"fires": "firing", "does not fire": "quiet on a near miss"}[m] for m in missing)
    )
    spec = rule.rule.spec
    lines = [f"{rule.rule.id} ({spec.severity.value}, {spec.status.value}, pack {rule.rule.pack}): {state}"]
    for what, refs in (
        ("fires", rule.fires),
        ("does not fire", rule.does_not_fire),
        ("FAILED", tuple(f.scenario for f in rule.failures)),
        ("tagged, but asserts nothing about it", rule.tagged_but_unchecked),
    ):
        if refs:
            lines += [f"  {what} ({len(refs)}):", *(f"    {ref}" for ref in refs)]
    return [*lines, ""]


def _coverage_lines(report: CoverageReport, min_coverage: float | None) -> list[str]:
    lines = [f"Rule coverage: {report.covered} of {len(report.rules)} rules ({report.percent:.1f}%)"]
    for label, ids in (
        ("no scenario fires it:      ", report.without_firing),
        ("no scenario shows it quiet:", report.without_not_firing),
    ):
        lines += textwrap.wrap(
            ", ".join(ids) or "(none)", WIDTH, initial_indent=f"  {label} ", subsequent_indent=" " * 31
        )
    lines += textwrap.wrap(f"({COUNTING})", WIDTH, initial_indent="  ", subsequent_indent="   ")
    verdicts = []
    if report.failures:
        count = len(report.failures)
        verdicts.append(f"{count} scenario{'s' if count != 1 else ''} failed")
    if min_coverage is not None and report.percent < min_coverage:
        verdicts.append(f"coverage {report.percent:.1f}% is below --min-coverage {min_coverage:g}%")
    lines += ["", f"FAILED: {'; '.join(verdicts)}" if verdicts else "OK"]
    return lines
