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
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, NoReturn

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from doseguard import __version__
from doseguard.batch.other_orders import (
    OtherOrderReader,
    needs_other_orders,
    other_order_items,
    spool_streams,
)
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
from doseguard.cli.feedback_command import feedback
from doseguard.cli.history_problems import HistoryProblems, load_history
from doseguard.cli.rules_commands import rules
from doseguard.cli.scenario_command import rules_test
from doseguard.cli.serve_command import serve
from doseguard.cli.signals import Stopped, stop_on_signals
from doseguard.errors import ColumnMapError, DoseguardError, InputError, OutputError
from doseguard.io.annotated import annotated_format, annotated_writer
from doseguard.io.chunk_reader import ChunkReader
from doseguard.io.columns import ColumnMap, load_column_map, presets
from doseguard.io.formats import input_format
from doseguard.io.history import HistorySources
from doseguard.io.history_store import STORE_NAME, run_folder
from doseguard.io.html_report import HtmlReportWriter
from doseguard.io.outputs import CLOSED_AT_START, STDOUT, Outputs
from doseguard.io.paths import is_stdin, same_file
from doseguard.io.streams import STDIN, is_stream
from doseguard.io.writers import HUMAN_FORMATS, OUTPUT_FORMATS, ResultWriter, make_sink
from doseguard.orders.normalise import close_field
from doseguard.printable import printable, printable_lines
from doseguard.results import ResultStatus, Summary
from doseguard.rules.files import discover
from doseguard.rules.loader import bundled_rules_dir
from doseguard.rules.model import Severity
from doseguard.rules.source import RuleSource

FAIL_ON = ("info", "warning", "critical", "never")
_PRESETS = "; ".join(f"{name} ({description})" for name, description in presets().items())


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
cli.add_command(serve)
cli.add_command(feedback)


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
    "--annotate",
    "annotate_path",
    type=click.Path(dir_okay=False),
    help="Also write each order as read, with its status, severity, rules and messages (.csv or .jsonl).",
)
@click.option(
    "--columns",
    "columns_spec",
    metavar="MAP|PRESET",
    help="Read an export's own column names (CSV/TSV headers, JSON keys) as order fields: a YAML map "
    f"('columns:' order field: column) or a preset: {_PRESETS}.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes. Default and most: one per usable core (never more than chunks to check).",
)
@click.option(
    "--patients", "patients", metavar="FILE", help="Patient facts (CSV or JSON Lines keyed by patient_id)."
)
@click.option(
    "--administrations",
    "administrations",
    metavar="FILE",
    help="The MAR: patient_id, drug, dose, route, given_at, status (CSV or JSON Lines).",
)
@click.option("--labs", "labs", metavar="FILE", help="Lab results: patient_id, test, value, unit, taken_at.")
@click.option(
    "--history",
    "history",
    metavar="DIR",
    help="A folder of patients, administrations and labs .csv|.jsonl files (and FHIR Bulk NDJSON).",
)
@click.option(
    "--other-orders/--no-other-orders",
    "other_orders",
    default=None,
    help="Read the inputs twice, so that each order's patient's other orders in the batch are history "
    "(duplicate therapy). Default: on with --patients, --administrations, --labs or --history.",
)
@click.option(
    "--spark",
    "spark_master",
    metavar="MASTER",
    help="Check on Apache Spark at MASTER (local[2], spark://host:7077, yarn): JSON Lines, CSV and "
    "Parquet in, -o a .parquet or .jsonl out (pip install 'doseguard[spark]').",
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
    annotate_path: str | None,
    jobs: int | None,
    columns_spec: str | None,
    patients: str | None = None,
    administrations: str | None = None,
    labs: str | None = None,
    history: str | None = None,
    other_orders: bool | None = None,
    spark_master: str | None = None,
) -> None:
    """Check orders in INPUT files (.jsonl, .ndjson, .json, .csv, .tsv, each optionally .gz; '-' for
    stdin).

    JSON Lines and .ndjson may hold FHIR MedicationRequest resources (Bulk Data export); a .json file
    may be a FHIR Bundle. A .csv may be separated by commas, semicolons or tabs.
    """
    if spark_master is not None:
        from doseguard.cli.spark_command import check_on_spark  # noqa: PLC0415 (pyspark only when asked)

        given = {"--format": fmt, "--report": report_path, "--annotate": annotate_path,
                 "--summary": summary_path, "--columns": columns_spec, "--jobs": jobs, "--patients": patients,
                 "--administrations": administrations, "--labs": labs, "--history": history,
                 "--other-orders": other_orders}  # fmt: skip
        done = check_on_spark(spark_master, inputs, source, output, given)
        for note in done.notes:
            _say(printable(note))
        _say(summary_line(done))
        reached = _reaches(done, None if fail_on == "never" else Severity(fail_on))
        not_covered_on_spark = (
            fail_on_not_covered and done.by_status.get(ResultStatus.NOT_COVERED.value, 0) > 0
        )
        sys.exit(EXIT_FLAGGED if reached or not_covered_on_spark else EXIT_OK)
    columns = _column_map(columns_spec)
    sources = HistorySources(patients, administrations, labs, history)
    for problem in sources.problems():
        raise click.UsageError(problem)
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
    if annotate_path is not None and annotated_format(annotate_path) is None:
        raise click.UsageError(
            f"--annotate {annotate_path}: name a .csv or .jsonl file (the format it is written in)"
        )
    named_outputs = (("--output", output), ("--report", report_path), ("--summary", summary_path),
                     ("--annotate", annotate_path))  # fmt: skip
    for option, named in named_outputs:
        if named == "":  # --summary "$SUMMARY" with it unset: not the same as no --summary at all
            raise click.UsageError(f"{option} '': an empty path names no file")
    rule_files = _rule_files(source)
    for written in (output, report_path, summary_path, annotate_path):
        if written in (None, "-"):  # stdout, or no such output
            continue
        if read := next((f for f in rule_files if same_file(written, f)), None):
            what = "the overrides file" if read == source.overrides else f"a rule file ({read})"
            raise click.UsageError(f"{written} is {what}: it would be overwritten")
        if any(same_file(written, path) for path in (*inputs, *sources.paths())):
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
                annotated = outputs.open(annotate_path, "annotated export") if annotate_path else None
            except OutputError as error:
                _say(str(error))
                sys.exit(EXIT_USAGE)
            also: tuple[ResultWriter, ...] = ()
            headers: dict[str, dict[str, str]] = {}  # filled as inputs are read: their columns as written
            if annotate_path and annotated is not None:
                kind_of_annotated = annotated_format(annotate_path) or ""
                also = (annotated_writer(kind_of_annotated, annotated, headers),)
            summary = _run(
                inputs,
                source,
                kind,
                to_terminal,
                results,
                report,
                jobs or cores,
                also,
                columns,
                headers,
                sources,
                sources.other_orders(other_orders),
            )
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
    for note in summary.notes:
        _say(printable(note))
    if summary.ignored_fields:
        _say(printable(ignored_note(summary.ignored_fields)))
    if summary.not_evaluated:
        _say(printable(not_evaluated_note(summary.not_evaluated)))
    if kind != "table" or not sys.stderr.isatty():  # a table on a terminal ends with its totals
        _say(summary_line(summary))
    threshold = None if fail_on == "never" else Severity(fail_on)
    not_covered = fail_on_not_covered and summary.by_status.get(ResultStatus.NOT_COVERED.value, 0) > 0
    sys.exit(EXIT_FLAGGED if _reaches(summary, threshold) or not_covered else EXIT_OK)


def summary_line(summary: Summary) -> str:
    """The run in one line, for a cron log: orders, then every result status (flagged with its worst
    severities), thousands with a separator."""
    counts = summary.as_dict()
    severities = counts["flagged_by_highest_severity"]
    worst = ", ".join(f"{severities[s.value]:,} {s.value}" for s in sorted(Severity, key=lambda s: -s.rank))
    statuses = ", ".join(
        f"{count:,} {status.replace('_', ' ')}"
        + (f" ({worst})" if status == ResultStatus.FLAGGED.value else "")
        for status, count in counts["by_status"].items()
    )
    noun = "order" if summary.orders == 1 else "orders"
    return f"{summary.orders:,} {noun}: {statuses}"  # not "checked": some are not, on purpose


def _run(
    inputs: tuple[str, ...],
    source: RuleSource,
    kind: str,
    to_terminal: bool,
    results: IO[bytes],
    report_stream: IO[bytes] | None,
    jobs: int,
    also: tuple[ResultWriter, ...] = (),
    columns: ColumnMap | None = None,
    headers: dict[str, dict[str, str]] | None = None,
    sources: HistorySources | None = None,
    other_orders: bool = False,
) -> Summary:
    """Load the rules and check every input, writing ``kind`` to the opened outputs (committed by the
    caller); colors are left to the terminal when ``to_terminal``."""
    rule_set = load_or_exit(source)
    summary = Summary(rules_version=rule_set.version)
    unused = HistoryProblems()
    options = BatchOptions(
        source,
        output="objects" if (report_stream or also or kind in HUMAN_FORMATS) else kind,
        jobs=jobs,
        rules_version=rule_set.version,
        notify=_say,
        columns=columns,
    )
    with run_folder() as folder:
        # Other orders of the patient are history when asked for and a loaded aggregate counts them:
        # the orders are then read twice (stdin and FIFOs from a copy in the run's folder:
        # batch/other_orders.py). Not by default without history, which keeps a plain run one pass.
        orders_too = other_orders and needs_other_orders(rule_set.aggregates.values())
        spooled = spool_streams(inputs, folder) if orders_too else {}
        reader = ChunkReader(
            list(inputs),
            columns=columns,
            headers=headers,
            drugs=rule_set.drugs,
            on_history_problem=unused.say,
            spooled=spooled,
        )
        if sources or orders_too:
            options.history = str(folder / STORE_NAME)
            orders = (
                ChunkReader(list(inputs), columns=columns, drugs=rule_set.drugs,
                            on_history_problem=lambda problem: None, spooled=spooled)
                if orders_too else None
            )  # fmt: skip
            others = (
                other_order_items(orders, OtherOrderReader(rule_set.drugs, rule_set.aggregates.values()),
                                  orders.columns)
                if orders is not None else None
            )  # fmt: skip
            load_history(sources or HistorySources(), rule_set, folder / STORE_NAME, unused, others)
        _check_all(inputs, source, kind, to_terminal, results, report_stream, also, reader, options, summary)
    unused.note(summary)
    return summary


def _check_all(
    inputs: tuple[str, ...],
    source: RuleSource,
    kind: str,
    to_terminal: bool,
    results: IO[bytes],
    report_stream: IO[bytes] | None,
    also: tuple[ResultWriter, ...],
    reader: ChunkReader,
    options: BatchOptions,
    summary: Summary,
) -> None:
    try:
        header = _report_header(inputs, source)
        with _report(report_stream, header) as report, _progress(reader) as progress:
            color = None if to_terminal else False
            sink = make_sink(kind, results, report, color=color, also=also, html_options=header)
            run_batch(reader, sink, options, summary, progress=progress)
            if progress is not None:
                progress.finish()
    except OutputError as error:
        _fail_output(error)
    for path in reader.empty_inputs:  # an export that came out empty is said, not passed over
        _say(f"warning: {printable_lines(path)} held no order records: nothing was checked")


def _column_map(spec: str | None) -> ColumnMap | None:
    """The ``--columns`` map, or exit 2 with each of its problems on a line (``map.yaml:3:3: ...``)."""
    if spec is None:
        return None
    try:
        return load_column_map(spec)
    except ColumnMapError as error:
        for problem in error.problems:
            _say(printable(str(problem)))
        _say("the --columns map cannot be used")
        sys.exit(EXIT_USAGE)


def ignored_note(ignored: Mapping[str, int]) -> str:
    """The run's one note on what its inputs held that is no order field (not read)."""
    said = []
    for name, count in sorted(ignored.items()):
        meant = close_field(name)
        hint = f"; did you mean {meant!r}?" if meant is not None else ""
        said.append(f"{name!r} ({count:,} records{hint})")
    return f"not order fields, not read: {', '.join(said)}"


def not_evaluated_note(rules: Mapping[str, int]) -> str:
    """The run's one note on the rules it could not evaluate because it holds no data of a kind they
    read (no lab results at all): each order's result lists them under ``not_evaluated``."""
    said = ", ".join(
        f"{rule} ({count:,} {'order' if count == 1 else 'orders'})" for rule, count in sorted(rules.items())
    )
    return (
        f"not evaluated, for want of patient history the run does not hold: {said}; give it "
        "--administrations, --labs, --history or --other-orders (or FHIR resources beside the orders) "
        "to check them"
    )


def _fail_output(error: OutputError) -> NoReturn:
    """An output could not be written (a full disk, a closed stdout): one line, exit 2."""
    if error.path == "stdout":
        _silence_stdout()
    _say(str(error))
    sys.exit(EXIT_USAGE)


def _report_header(inputs: tuple[str, ...], source: RuleSource) -> dict[str, Any]:
    """What the HTML report's header says: the inputs, the overrides file and when it was made (now,
    with the local zone; ``SOURCE_DATE_EPOCH``, in UTC, for a report that must be the same bytes)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    made = datetime.fromtimestamp(int(epoch), tz=UTC) if epoch.isdigit() else datetime.now().astimezone()
    shown = tuple("stdin" if path == STDIN else printable_lines(path) for path in inputs)
    return {"inputs": shown, "overrides": source.overrides, "made_at": made}


@contextlib.contextmanager
def _report(stream: IO[bytes] | None, header: dict[str, Any]) -> Iterator[ResultWriter | None]:
    if stream is None:
        yield None
        return
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    yield HtmlReportWriter(text, **header)
    text.flush()
    text.detach()


class _ProgressBar:
    """Draws a run's progress: the bytes of the input whose results are written (so the percentage
    and the count of orders agree), then, when the run is done, 100% with the final count."""

    def __init__(self, bar: Progress, total: int | None) -> None:
        self.bar = bar
        self.total = total
        self.task = bar.add_task("check", total=total, orders=0, rate=0.0)
        self.started = time.perf_counter()
        self.orders = 0

    def __call__(self, done_bytes: int, orders: int) -> None:
        self.orders = orders
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        self.bar.update(self.task, completed=done_bytes, orders=orders, rate=orders / elapsed)

    def finish(self) -> None:
        """The run is done: the last bytes counted may be short of the size (a gzip's own bytes)."""
        if self.total is not None:
            self.bar.update(self.task, completed=self.total)
        self.bar.refresh()


@contextlib.contextmanager
def _progress(reader: ChunkReader, console: Console | None = None) -> Iterator[_ProgressBar | None]:
    """A progress bar on stderr when a person is watching; nothing otherwise. It stays on its line
    when the run ends (that line ends with a newline), so the totals printed after it stand apart."""
    if console is None:
        if not sys.stderr.isatty():
            yield None
            return
        console = Console(stderr=True)
    columns = [
        TextColumn("checking"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[orders]:,} orders, {task.fields[rate]:,.0f}/s"),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=console, transient=False) as bar:
        yield _ProgressBar(bar, reader.total_bytes())


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
