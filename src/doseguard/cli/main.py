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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, NoReturn

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from doseguard import __version__
from doseguard.batch.chunks import STDIN, ChunkReader, input_format, is_stream
from doseguard.batch.runner import BatchOptions, WorkerStartError, run_batch
from doseguard.cli.common import (
    EXIT_FLAGGED,
    EXIT_OK,
    EXIT_USAGE,
    NOT_DONE,
    exit_status_epilog,
    load_or_exit,
    rule_source_options,
)
from doseguard.cli.rules_commands import rules
from doseguard.errors import InputError
from doseguard.io.html_report import HtmlReportWriter
from doseguard.io.writers import HUMAN_FORMATS, OUTPUT_FORMATS, ResultWriter, make_sink
from doseguard.results import Summary
from doseguard.rules.model import Severity
from doseguard.rules.source import RuleSource

FAIL_ON = ("info", "warning", "critical", "never")


@contextlib.contextmanager
def _output(path: str | None) -> Iterator[IO[bytes]]:
    """stdout, or a file that appears only when the run completes (no half-written report is left
    behind when an input turns out to be unreadable)."""
    if path is None or path == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    target = Path(path)
    partial = target.with_name(f".{target.name}.partial")
    try:
        handle = partial.open("wb")
    except OSError as error:
        raise click.UsageError(f"cannot write {path}: {error.strerror}") from None
    try:
        with handle:
            yield handle
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def _quiet_broken_pipe() -> NoReturn:
    """The reader went away (``doseguard ... | head``): not every result was delivered, so not 0, and
    not 1 either, which says an order reached --fail-on (or validate found problems)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(EXIT_USAGE)


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        # click turns a broken pipe into exit status 1 (its default), even outside standalone mode.
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            _quiet_broken_pipe()


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="doseguard")
def cli() -> None:
    """Check medication orders against safety rules written in YAML."""


cli.add_command(rules)


@cli.command(
    epilog=exit_status_epilog(
        "no result reaches --fail-on",
        "one does",
        f"nothing was checked: {NOT_DONE}, rules that do not load, a --select/--ignore naming no rule, "
        "an input that cannot be read",
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
    help="Also write counts and timings as JSON to this file.",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False),
    help="Also write a self-contained HTML report to this file.",
)
@click.option(
    "--jobs", "-j", type=click.IntRange(min=1), default=None, help="Worker processes. Default: one per core."
)
def check(
    inputs: tuple[str, ...],
    source: RuleSource,
    fmt: str | None,
    output: str | None,
    fail_on: str,
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
    for written in (output, report_path, summary_path):
        if written not in (None, "-") and any(_same_file(written, path) for path in inputs):
            raise click.UsageError(f"{written} is also an input: it would be overwritten")
    summary_file = _open_summary(summary_path)
    rule_set = load_or_exit(source)
    to_terminal = output in (None, "-") and sys.stdout.isatty()
    kind = fmt or ("table" if to_terminal else "jsonl")
    summary = Summary(rules_version=rule_set.version)
    threshold = None if fail_on == "never" else Severity(fail_on)
    reader = ChunkReader(list(inputs))
    options = BatchOptions(
        source,
        output="objects" if (report_path or kind in HUMAN_FORMATS) else kind,
        jobs=jobs or os.cpu_count() or 1,
        rules_version=rule_set.version,
    )
    try:
        with _output(output) as stream, _report(report_path) as report, _progress(reader) as progress:
            sink = make_sink(kind, stream, report, color=None if to_terminal else False)
            run_batch(reader, sink, options, summary, progress=progress)
    except (InputError, WorkerStartError) as error:
        click.echo(f"doseguard: {error}", err=True)
        sys.exit(EXIT_USAGE)
    if summary_file is not None:
        with summary_file:
            summary_file.write(
                json.dumps({**summary.as_dict(), "timings": summary.timings()}, indent=2) + "\n"
            )
    if kind != "table" and sys.stderr.isatty():
        counts = summary.as_dict()["by_status"]
        click.echo(
            f"{summary.orders} orders: {counts['pass']} pass, {counts['flagged']} flagged, "
            f"{counts['invalid']} invalid, {counts['error']} error",
            err=True,
        )
    sys.exit(EXIT_FLAGGED if _reaches(summary, threshold) else EXIT_OK)


@contextlib.contextmanager
def _report(path: str | None) -> Iterator[ResultWriter | None]:
    if path is None:
        yield None
        return
    with _output(path) as stream:
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


def _same_file(first: str, second: str) -> bool:
    try:
        return second != STDIN and Path(first).exists() and Path(first).samefile(second)
    except OSError:
        return False


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
    except BrokenPipeError:  # outside a command (click catches it inside: see _Group.invoke)
        _quiet_broken_pipe()
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as error:  # a bug: say so plainly, and never exit 0 or 1 (which mean "checked")
        click.echo(f"doseguard: internal error: {error!r} (please report it)", err=True)
        if os.environ.get("DOSEGUARD_DEBUG"):
            raise
        sys.exit(EXIT_USAGE)
