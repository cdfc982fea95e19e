"""``doseguard``: the command line.

Behaves like a Unix tool: results on stdout (or ``--output``), diagnostics on stderr, exit status
0 (nothing reaches ``--fail-on``), 1 (something does), 2 (usage error, unreadable input, invalid rule
files). Quiet when piped, a table when a person is watching.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import click

from doseguard import __version__
from doseguard.checker import Checker
from doseguard.errors import InputError, RulePackError
from doseguard.io.readers import STDIN, input_format, read_inputs
from doseguard.io.writers import OUTPUT_FORMATS, make_writer, write_all
from doseguard.results import Summary
from doseguard.rules.loader import load_rules
from doseguard.rules.model import RuleSet, Severity

EXIT_OK, EXIT_FLAGGED, EXIT_USAGE = 0, 1, 2
FAIL_ON = ("info", "warning", "critical", "never")


def _load(paths: tuple[str, ...]) -> RuleSet:
    try:
        return load_rules(list(paths) or None)
    except RulePackError as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        count = len(error.problems)
        click.echo(
            f"doseguard: {count} problem{'s' if count != 1 else ''} in rule files; nothing was checked",
            err=True,
        )
        sys.exit(EXIT_USAGE)


@contextlib.contextmanager
def _output(path: str | None) -> Iterator[IO[str]]:
    if path is None or path == "-":
        yield sys.stdout
        return
    try:
        handle = Path(path).open("w", encoding="utf-8", newline="")  # noqa: SIM115 (closed by the with below)
    except OSError as error:
        raise click.UsageError(f"cannot write {path}: {error.strerror}") from None
    with handle:
        yield handle


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="doseguard")
def cli() -> None:
    """Check medication orders against safety rules written in YAML."""


@cli.command()
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option(
    "--rules",
    "rules",
    multiple=True,
    type=click.Path(),
    help="Rule pack folder (repeatable). Default: the bundled packs.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(OUTPUT_FORMATS),
    help="Output format. Default: table on a terminal, else jsonl.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write results here instead of stdout.",
)
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    default="critical",
    show_default=True,
    help="Exit 1 when a result reaches this severity (invalid and error records count as critical).",
)
@click.option(
    "--summary",
    "summary_path",
    type=click.Path(dir_okay=False),
    help="Also write counts as JSON to this file.",
)
def check(
    inputs: tuple[str, ...],
    rules: tuple[str, ...],
    fmt: str | None,
    output: str | None,
    fail_on: str,
    summary_path: str | None,
) -> None:
    """Check orders in INPUT files (.jsonl, .ndjson, .json, .csv; '-' for stdin)."""
    for path in inputs:
        if path != STDIN:
            try:
                input_format(path)
            except InputError as error:
                raise click.UsageError(str(error)) from None
            if not Path(path).is_file():
                raise click.UsageError(f"{path}: no such file")
    summary_file = _open_summary(summary_path)
    rule_set = _load(rules)
    checker = Checker(rule_set)
    to_terminal = output in (None, "-") and sys.stdout.isatty()
    kind = fmt or ("table" if to_terminal else "jsonl")
    summary = Summary(rules_version=rule_set.version)
    threshold = None if fail_on == "never" else Severity(fail_on)
    try:
        with _output(output) as stream:
            writer = make_writer(kind, stream, color=None if to_terminal else False)
            write_all(checker.check_all(read_inputs(inputs)), writer, summary)
    except InputError as error:
        click.echo(f"doseguard: {error}", err=True)
        sys.exit(EXIT_USAGE)
    if summary_file is not None:
        with summary_file:
            summary_file.write(json.dumps(summary.as_dict(), indent=2) + "\n")
    if kind != "table" and sys.stderr.isatty():
        counts = summary.as_dict()["by_status"]
        click.echo(
            f"{summary.orders} orders: {counts['pass']} pass, {counts['flagged']} flagged, "
            f"{counts['invalid']} invalid, {counts['error']} error",
            err=True,
        )
    sys.exit(EXIT_FLAGGED if _reaches(summary, threshold) else EXIT_OK)


def _open_summary(path: str | None) -> IO[str] | None:
    """Open ``--summary`` before the run: an unwritable path is a usage error, not a lost report."""
    if path is None:
        return None
    try:
        return Path(path).open("w", encoding="utf-8")
    except OSError as error:
        raise click.UsageError(f"cannot write the summary to {path}: {error.strerror}") from None


def _reaches(summary: Summary, threshold: Severity | None) -> bool:
    if threshold is None:
        return False
    if summary.by_status.get("invalid", 0) or summary.by_status.get("error", 0):
        return True
    return any(summary.by_severity.get(s.value, 0) for s in Severity if s.rank >= threshold.rank)


@cli.group()
def rules() -> None:
    """Work with rule packs."""


@rules.command("validate")
@click.argument("folders", nargs=-1, type=click.Path())
def validate(folders: tuple[str, ...]) -> None:
    """Check rule packs; print every problem as path:line:col: message."""
    rule_set = _load(folders)
    click.echo(
        f"{len(rule_set.rules)} rules in {len(rule_set.packs)} packs are valid (version {rule_set.version})"
    )


def main() -> None:
    """Entry point: translate broken pipes and interrupts into quiet Unix exits."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as error:
        error.show()
        sys.exit(EXIT_USAGE)
    except click.exceptions.Abort:
        sys.exit(130)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(EXIT_FLAGGED)
    except KeyboardInterrupt:
        sys.exit(130)
