"""What the commands share: exit statuses, the rule-source options, and loading rules or stopping with
every problem listed.

Exit statuses, the same for every command:

- 0: done, nothing to report;
- 1: the command's finding: ``check``, an order at or above ``--fail-on``; ``rules validate``, problems
  in the rule files; ``rules test``, a failing scenario or coverage below ``--min-coverage``;
- 2: the command could not do its job: a usage error, a rule folder or overrides file that does not
  exist, rules that do not load (``validate`` excepted: listing them is its job), an unreadable input.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import click

from doseguard.checker import load_checker
from doseguard.engine.compiled import compile_loaded
from doseguard.errors import EngineError, RulePackError, RuleProblem
from doseguard.printable import printable
from doseguard.rules.model import RuleSet
from doseguard.rules.selection import Selection
from doseguard.rules.source import RuleSource

EXIT_OK, EXIT_FINDING, EXIT_USAGE = 0, 1, 2
EXIT_FLAGGED = EXIT_FINDING  # check: an order reached --fail-on

NOT_DONE = "a usage error, a rule folder or overrides file that does not exist"
"""What stops every command that reads rule packs with exit status 2 (each adds its own)."""

Command = Callable[..., Any]


def exit_status_epilog(ok: str, finding: str | None, not_done: str) -> str:
    """The ``--help`` epilog every command ends with: what its exit statuses 0, 1 and 2 mean."""
    found = f"; 1 {finding}" if finding else ""
    return f"Exit status: 0 {ok}{found}; 2 {not_done}."


def rule_source_options(*, selection: bool) -> Callable[[Command], Command]:
    """The options that say which rules a command works on, the same for every command: ``--rules``
    (repeatable), ``--overrides``, and with ``selection`` also ``--select``, ``--ignore`` and
    ``--include-deprecated``. The command receives one ``source: RuleSource`` argument instead; a named
    folder or overrides file that does not exist, or is not what the option takes, stops it before any
    rule is read (:func:`stop_if_missing`: one located line each, exit 2)."""

    options = [
        click.option(
            "--rules",
            "rule_dirs",
            multiple=True,
            type=click.Path(),  # checked by stop_if_missing, in the loader's words (path:1:1: ...)
            metavar="DIR",
            help="Rule pack folder, or a folder of packs (repeatable). Default: the bundled packs.",
        ),
        click.option(
            "--overrides",
            type=click.Path(),
            metavar="FILE",
            help="A site's overrides file (YAML): rules' severities and parameters changed without "
            "editing the packs.",
        ),
    ]
    if selection:
        options += [
            click.option(
                "--select",
                multiple=True,
                metavar="ID|TAG",
                help="Only these rules, by id or tag (repeatable; a deprecated rule runs when named by id).",
            ),
            click.option("--ignore", multiple=True, metavar="ID|TAG", help="Not these rules (repeatable)."),
            click.option("--include-deprecated", is_flag=True, help="Also deprecated rules."),
        ]

    def decorate(command: Command) -> Command:
        @functools.wraps(command)
        def with_source(
            *args: Any,
            rule_dirs: tuple[str, ...],
            overrides: str | None,
            select: tuple[str, ...] = (),
            ignore: tuple[str, ...] = (),
            include_deprecated: bool = False,
            **kwargs: Any,
        ) -> Any:
            source = RuleSource(tuple(rule_dirs), overrides, Selection(select, ignore, include_deprecated))
            return command(*args, source=source, **kwargs)

        decorated: Command = with_source
        for option in reversed(options):
            decorated = option(decorated)
        return decorated

    return decorate


def say(message: object) -> None:
    """One line on stderr, its control characters escaped: a problem quotes file names and what
    the files hold, and an ESC sequence or a right-to-left override must not reach a terminal raw."""
    click.echo(printable(str(message)), err=True)


def stop_if_missing(source: RuleSource) -> None:
    """Exit 2 when a named rule folder or overrides file does not exist or is not what the option takes
    (a file as --rules, a folder or a device as --overrides): one located line each."""
    missing = source.missing()
    if missing:
        for problem in missing:
            say(problem)
        sys.exit(EXIT_USAGE)


def report_problems(problems: Sequence[RuleProblem], consequence: str = "") -> None:
    """Each problem as ``path:line:col: message``, then how many (``consequence`` follows the count)."""
    for problem in problems:
        say(problem)
    count = len(problems)
    click.echo(f"doseguard: {count} problem{'s' if count != 1 else ''} in rule files{consequence}", err=True)


def exit_with_problems(problems: Sequence[RuleProblem], consequence: str) -> NoReturn:
    report_problems(problems, consequence)
    sys.exit(EXIT_USAGE)


def load_or_exit(source: RuleSource, consequence: str = "; nothing was checked") -> RuleSet:
    """The rules that run: loaded, checked, compiled and a checker built of them once (a pack the
    engine refuses is a usage error here, before any worker starts). Exit 2 when they do not load; a
    --select/--ignore naming no rule raises SelectionError, for the CLI's one DoseguardError handler."""
    stop_if_missing(source)
    try:
        return load_checker(source).rules
    except EngineError as error:
        say(f"doseguard: the rules engine refused the rules: {error}")
        sys.exit(EXIT_USAGE)
    except RulePackError as error:
        exit_with_problems(error.problems, consequence)


def load_all_or_exit(source: RuleSource) -> RuleSet:
    """Every rule of the packs, deprecated ones included (``list`` and ``explain`` show what the packs
    hold, not what one run selects). Exit 2 when they do not load."""
    stop_if_missing(source)
    try:
        return compile_loaded(source.read_all()).rule_set  # a pack the engine cannot take does not load
    except RulePackError as error:
        exit_with_problems(error.problems, " (fix them, then check with: doseguard rules validate)")
