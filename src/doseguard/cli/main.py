"""``doseguard``: the command line.

Behaves like a Unix tool: results on stdout (or ``--output``), diagnostics on stderr, exit status
0 (nothing reaches ``--fail-on``), 1 (something does), 2 (usage error, unreadable input, invalid rule
files; see :mod:`doseguard.cli.common` for every command's). Quiet when piped, a table when a person is
watching.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, NoReturn

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from doseguard import __version__
from doseguard.batch.runner import BatchOptions, run_batch, usable_cores
from doseguard.cli import stdio
from doseguard.cli.common import (
    EXIT_FLAGGED,
    EXIT_OK,
    EXIT_USAGE,
    NOT_DONE,
    exit_status_epilog,
    load_or_exit,
    rule_source_options,
    say,
)
from doseguard.cli.rules_commands import rules
from doseguard.cli.scenario_command import rules_test
from doseguard.cli.signals import Stopped, stop_on_signals
from doseguard.errors import DoseguardError, InputError, OutputError
from doseguard.io.chunk_reader import ChunkReader
from doseguard.io.formats import input_format
from doseguard.io.html_report import HtmlReportWriter
from doseguard.io.outputs import CLOSED_AT_START, STDOUT, Outputs
from doseguard.io.paths import is_stdin, same_file
from doseguard.io.streams import STDIN, is_stream
from doseguard.io.writers import HUMAN_FORMATS, OUTPUT_FORMATS, ResultWriter, make_sink
from doseguard.printable import printable_lines
from doseguard.results import ResultStatus, Summary
from doseguard.rules.files import discover
from doseguard.rules.loader import bundled_rules_dir
from doseguard.rules.model import Severity
from doseguard.rules.source import RuleSource

FAIL_ON = ("info", "warning", "critical", "never")


def _quiet_broken_pipe() -> NoReturn:
    """The reader went away (``doseguard ... | head``): not every result was delivered, so not 0, and
    not 1 either, which says an order reached --fail-on (or validate found problems)."""
    _silence_stdout()
    sys.exit(EXIT_USAGE)


def _silence_stdout() -> None:
    """Point descriptor 1 at /dev/null, so that what is left in stdout's buffer is not written (and
    failed again) at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)


def _say(message: str) -> None:
    """:func:`say` with the program's name in front; a stderr that cannot be written (a hung-up
    terminal) loses the line, and the exit status still tells."""
    with contextlib.suppress(OSError, ValueError):
        say(f"doseguard: {message}")


class _Verbatim(io.StringIO):
    """Takes click's error text as it is (click strips ANSI codes from a non-terminal, and only those):
    the caller escapes every control character."""

    def isatty(self) -> bool:
        return True


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        # click turns a broken pipe into exit status 1 (its default), even outside standalone mode.
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            _quiet_broken_pipe()
        except DoseguardError as error:  # the one place: an input, a selection, workers that cannot start
            _say(str(error))
            sys.exit(EXIT_USAGE)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="doseguard")
def cli() -> None:
    """Check medication orders against safety rules written in YAML."""


rules.add_command(rules_test)  # defined in its own module, registered here: no import circle
cli.add_command(rules)


@cli.command(
    epilog=exit_status_epilog(
        "no result reaches --fail-on (not_covered and inactive orders never reach --fail-on: they were "
        "not checked, and nothing is wrong with them)",
        "one does, or with --fail-on-not-covered an order is not_covered",
        f"the run could not be done: {NOT_DONE}, rules that do not load, a --select/--ignore naming no "
        "rule, an input that cannot be read, an output that cannot be written, a reader that went away "
        "(| head); 128 + n when stopped by signal n (no output file written)",
    )
)
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@rule_source_options(selection=True)
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
    help="Write results here instead of stdout (a file appears only when the run completes).",
)
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    default="critical",
    show_default=True,
    help="Exit 1 when a result reaches this severity (invalid and error records count as critical).",
)
@click.option(
    "--fail-on-not-covered",
    is_flag=True,
    help="Also exit 1 when an order's drug is one no loaded pack covers (status not_covered), whatever "
    "--fail-on and even with the notice silenced (--ignore DOSEGUARD-DRUG-NOT-COVERED).",
)
@click.option(
    "--summary",
    "summary_path",
    type=click.Path(dir_okay=False),
    help="Also write counts and timings as JSON to this file.",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False),
    help="Also write a self-contained HTML report to this file.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes. Default and most: one per usable core (never more than chunks to check).",
)
def check(
    inputs: tuple[str, ...],
    source: RuleSource,
    fmt: str | None,
    output: str | None,
    fail_on: str,
    fail_on_not_covered: bool,
    summary_path: str | None,
    report_path: str | None,
    jobs: int | None,
) -> None:
    """Check orders in INPUT files (.jsonl, .ndjson, .json, .csv, each optionally .gz; '-' for stdin).

    JSON Lines and .ndjson may hold FHIR MedicationRequest resources (Bulk Data export); a .json file
    may be a FHIR Bundle.
    """
    for path in inputs:
        if path != STDIN and not is_stream(path):  # a FIFO or <(...) is read as it comes, sniffed
            try:
                input_format(path)
            except InputError as error:
                raise click.UsageError(str(error)) from None
            if not Path(path).is_file():
                raise click.UsageError(f"{path}: no such file")
    if inputs.count(STDIN) > 1:
        raise click.UsageError("'-' (stdin) can be read only once")
    if STDIN in inputs and 0 in CLOSED_AT_START:  # stdin was closed at start
        raise click.UsageError("'-': stdin is closed, there is nothing to read")
    for option, named in (("--output", output), ("--report", report_path), ("--summary", summary_path)):
        if named == "":  # --summary "$SUMMARY" with it unset: not the same as no --summary at all
            raise click.UsageError(f"{option} '': an empty path names no file")
    rule_files = _rule_files(source)
    for written in (output, report_path, summary_path):
        if written in (None, "-"):  # stdout, or no such output
            continue
        if read := next((f for f in rule_files if same_file(written, f)), None):
            what = "the overrides file" if read == source.overrides else f"a rule file ({read})"
            raise click.UsageError(f"{written} is {what}: it would be overwritten")
        if any(same_file(written, path) for path in inputs):
            raise click.UsageError(f"{written} is also an input: it would be overwritten")
        if is_stdin(written):
            raise click.UsageError(f"{written} is also an input (stdin): it would be overwritten")
    cores = usable_cores()
    if jobs is not None and jobs > cores:
        _say(f"--jobs {jobs} is more than the {cores} usable cores: starting {cores} workers at most")
    to_terminal = output in (None, "-") and sys.stdout.isatty()
    kind = fmt or ("table" if to_terminal else "jsonl")
    outputs = Outputs()
    try:
        with stop_on_signals(), outputs:
            try:
                results = outputs.open(output or STDOUT, "results")
                report = outputs.open(report_path, "report") if report_path else None
                summary_file = outputs.open(summary_path, "summary") if summary_path else None
            except OutputError as error:
                _say(str(error))
                sys.exit(EXIT_USAGE)
            summary = _run(inputs, source, kind, to_terminal, results, report, jobs or cores)
            try:
                if summary_file is not None:
                    document = {**summary.as_dict(), "timings": summary.timings()}
                    summary_file.write(json.dumps(document, indent=2).encode() + b"\n")
                outputs.commit()
            except OutputError as error:
                _fail_output(error)
    except Stopped as stop:  # a signal that waited for the commit comes after it
        stop.outputs_written = outputs.committed
        raise
    if kind != "table" and sys.stderr.isatty():
        counts = summary.as_dict()["by_status"]
        click.echo(
            f"{summary.orders} orders: {counts['pass']} pass, {counts['flagged']} flagged, "
            f"{counts['invalid']} invalid, {counts['error']} error, {counts['not_covered']} not covered, "
            f"{counts['inactive']} inactive",
            err=True,
        )
    threshold = None if fail_on == "never" else Severity(fail_on)
    not_covered = fail_on_not_covered and summary.by_status.get(ResultStatus.NOT_COVERED.value, 0) > 0
    sys.exit(EXIT_FLAGGED if _reaches(summary, threshold) or not_covered else EXIT_OK)


def _run(
    inputs: tuple[str, ...],
    source: RuleSource,
    kind: str,
    to_terminal: bool,
    results: IO[bytes],
    report_stream: IO[bytes] | None,
    jobs: int,
) -> Summary:
    """Load the rules and check every input, writing ``kind`` to the opened outputs (committed by the
    caller); colors are left to the terminal when ``to_terminal``."""
    rule_set = load_or_exit(source)
    summary = Summary(rules_version=rule_set.version)
    reader = ChunkReader(list(inputs))
    options = BatchOptions(
        source,
        output="objects" if (report_stream or kind in HUMAN_FORMATS) else kind,
        jobs=jobs,
        rules_version=rule_set.version,
        notify=_say,
    )
    try:
        with _report(report_stream) as report, _progress(reader) as progress:
            sink = make_sink(kind, results, report, color=None if to_terminal else False)
            run_batch(reader, sink, options, summary, progress=progress)
    except OutputError as error:
        _fail_output(error)
    return summary


def _fail_output(error: OutputError) -> NoReturn:
    """An output could not be written (a full disk, a closed stdout): one line, exit 2."""
    if error.path == "stdout":
        _silence_stdout()
    _say(str(error))
    sys.exit(EXIT_USAGE)


@contextlib.contextmanager
def _report(stream: IO[bytes] | None) -> Iterator[ResultWriter | None]:
    if stream is None:
        yield None
        return
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    yield HtmlReportWriter(text)
    text.flush()
    text.detach()


@contextlib.contextmanager
def _progress(reader: ChunkReader) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr when a person is watching; nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    total = reader.total_bytes()
    columns = [
        TextColumn("checking"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[orders]:,} orders, {task.fields[rate]:,.0f}/s"),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("check", total=total, orders=0, rate=0.0)
        started = time.perf_counter()

        def update(done_bytes: int, orders: int) -> None:
            elapsed = max(time.perf_counter() - started, 1e-9)
            bar.update(task, completed=done_bytes, orders=orders, rate=orders / elapsed)

        yield update


def _rule_files(source: RuleSource) -> list[str]:
    """The files the rules are read from (the overrides file, each pack's pack and rule files): an
    output must not replace one (``--summary rules/b12/dose.yaml``, a slip of the tab key)."""
    files = [source.overrides] if source.overrides else []
    for folder in source.paths or (str(bundled_rules_dir()),):
        for pack in discover(Path(folder)).packs:
            files += [str(f) for f in (pack.pack_file, *pack.rule_files) if f is not None]
    return files


def _reaches(summary: Summary, threshold: Severity | None) -> bool:
    if threshold is None:
        return False
    if summary.by_status.get("invalid", 0) or summary.by_status.get("error", 0):
        return True
    return any(summary.by_severity.get(s.value, 0) for s in Severity if s.rank >= threshold.rank)


def main() -> None:
    """Entry point: translate broken pipes, signals and interrupts into quiet Unix exits."""
    stdio.guard_stdio()
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as error:
        shown = _Verbatim()
        error.show(file=shown)
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.write(printable_lines(shown.getvalue()))
        sys.exit(EXIT_USAGE)
    except Stopped as stop:
        if stop.outputs_written:
            _say(f"stopped by {stop.name} as the run completed: every output was written")
        else:
            _say(f"stopped by {stop.name}: the run did not complete, and no output file was written")
        sys.exit(stop.exit_status)
    except click.exceptions.Abort:
        sys.exit(130)
    except BrokenPipeError:  # outside a command (click catches it inside: see _Group.invoke)
        _quiet_broken_pipe()
    except KeyboardInterrupt:
        sys.exit(130)
    except OSError as error:  # writing stdout or stderr outside ``check`` (EBADF, ENOSPC, EIO)
        if error.errno is not None:
            _silence_stdout()
            where = f" ({error.filename})" if error.filename else ""
            _say(f"cannot write the output{where}: {error.strerror or error}")
            sys.exit(EXIT_USAGE)
        _say(f"internal error: {error!r} (please report it)")
        sys.exit(EXIT_USAGE)
    except Exception as error:  # a bug: say so plainly, and never exit 0 or 1 (which mean "checked")
        _say(f"internal error: {error!r} (please report it)")
        if os.environ.get("DOSEGUARD_DEBUG"):  # the traceback, but never exit 1 ("a finding")
            with contextlib.suppress(OSError, ValueError):
                traceback.print_exc()
        sys.exit(EXIT_USAGE)
