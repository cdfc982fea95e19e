"""``doseguard check --spark MASTER INPUT... -o OUTPUT``: the same check, run by Spark.

Inputs are read by Spark's readers (JSON Lines, CSV, Parquet), results written as Parquet or JSON
Lines (:mod:`doseguard.spark.outputs`); the counts come back to the driver for the closing line and
the exit status, as on one machine. The history options read their files on the driver, into the
store every executor is given (:mod:`doseguard.spark.history`), each bad record said as ``check``
says it. Options that need every result on the driver as an object (the HTML report, the annotated
export) are refused, saying so.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, cast

import click

from doseguard.cli.common import EXIT_USAGE, load_or_exit, say
from doseguard.cli.history_problems import HistoryProblems
from doseguard.errors import InputError, OutputError, RulesVersionError, SparkUnavailableError
from doseguard.io.history import HistorySources
from doseguard.io.history_store import run_folder
from doseguard.io.streams import STDIN
from doseguard.results import Summary
from doseguard.rules.source import RuleSource

if TYPE_CHECKING:
    from pyspark import StorageLevel
    from pyspark.sql import DataFrame

REFUSED = {
    "--format": "the output's name says its format (.parquet or .jsonl)",
    "--report": "the HTML report is written on one machine: check there, or read the Parquet results",
    "--annotate": "the annotated export is written on one machine",
    "--summary": "read the counts from the results (group by status, severity)",
    "--columns": "column maps are not read on Spark yet: rename the columns in the DataFrame",
    "--jobs": "Spark's executors and cores set the parallelism (--master, spark.executor.cores)",
}
"""Options of ``check`` that do not apply with ``--spark``, and why."""


HISTORY_OPTIONS = ("--patients", "--administrations", "--labs", "--history", "--other-orders")


def check_on_spark(
    master: str, inputs: tuple[str, ...], source: RuleSource, output: str | None, given: Mapping[str, object]
) -> Summary:
    """Check ``inputs`` on Spark at ``master`` and write ``output``; the counts of the results.
    ``given``: the options and their values (None or False: not given)."""
    history = {option: given.get(option) for option in HISTORY_OPTIONS}
    given = {option: value for option, value in given.items() if option not in HISTORY_OPTIONS}
    sources = HistorySources(*(cast("str | None", history[o]) for o in HISTORY_OPTIONS[:4]))
    for problem in sources.problems():
        raise click.UsageError(problem)
    other_orders = cast("bool | None", history["--other-orders"])
    for option, value in given.items():
        if value not in (None, False, ()):
            raise click.UsageError(f"{option} cannot be used with --spark: {REFUSED[option]}")
    if output in (None, "-"):
        raise click.UsageError("--spark needs -o OUTPUT (.parquet or .jsonl): results are written by Spark")
    if STDIN in inputs:
        raise click.UsageError("'-' (stdin) cannot be read by Spark: name files")
    try:
        from doseguard.spark.session import require_spark  # noqa: PLC0415 (pyspark is an optional extra)

        require_spark()
    except SparkUnavailableError as error:
        say(f"doseguard: {error}")
        sys.exit(EXIT_USAGE)
    from doseguard.spark import outputs  # noqa: PLC0415
    from doseguard.spark.inputs import kind_of  # noqa: PLC0415

    try:
        outputs.output_format(output)
        outputs.refuse_existing(output)
        for path in inputs:
            kind_of(path)
    except (InputError, OutputError) as error:
        raise click.UsageError(str(error)) from None
    load_or_exit(source)  # every rule problem listed, exit 2, before Spark starts
    try:
        return _run(master, inputs, source, output, sources,
                    sources.other_orders(other_orders))  # fmt: skip
    except RulesVersionError as error:
        say(f"doseguard: {error}")
        sys.exit(EXIT_USAGE)
    except OutputError as error:
        say(f"doseguard: {error}")
        sys.exit(EXIT_USAGE)


def _run(
    master: str,
    inputs: tuple[str, ...],
    source: RuleSource,
    output: str,
    sources: HistorySources,
    other_orders: bool,
) -> Summary:
    from pyspark import StorageLevel  # noqa: PLC0415

    from doseguard.spark.frames import check_prepared, load_with_rules  # noqa: PLC0415
    from doseguard.spark.history import ship_history  # noqa: PLC0415
    from doseguard.spark.inputs import read_inputs  # noqa: PLC0415
    from doseguard.spark.session import spark_session  # noqa: PLC0415

    shipped, rule_set = load_with_rules(source)
    started = time.perf_counter()
    spark = spark_session(master)
    ready = time.perf_counter()
    say(f"doseguard: Spark session at {master} started in {ready - started:.1f} s")
    unused = HistoryProblems()
    try:
        with run_folder() as folder:
            prepared, specs = read_inputs(spark, list(inputs))
            before = time.perf_counter()
            store = ship_history(prepared, specs, rule_set, sources, folder, other_orders=other_orders,
                                 on_problem=unused.say, warn=_warn)  # fmt: skip
            if store is not None:
                say(f"doseguard: history read and shipped in {time.perf_counter() - before:.1f} s")
            summary = _check_and_write(check_prepared(prepared, specs, shipped, history=store), output,
                                       shipped.version, StorageLevel.MEMORY_AND_DISK)  # fmt: skip
        unused.note(summary)
        summary.seconds = time.perf_counter() - ready
        say(f"doseguard: read, checked and written on Spark in {summary.seconds:.1f} s")
        return summary
    finally:
        spark.stop()


def _check_and_write(results: DataFrame, output: str, version: str, level: StorageLevel) -> Summary:
    """The results written to ``output``, and their counts (the results kept between the two jobs)."""
    from doseguard.spark.outputs import write_results  # noqa: PLC0415

    results = results.persist(level)
    try:
        try:
            write_results(results, output)
        except Exception as error:
            if "RulesVersionError" in str(error):
                raise RulesVersionError(version, _found_version(str(error))) from None
            raise
        summary = Summary(version)
        for row in results.groupBy("status", "severity").count().collect():
            summary.orders += row["count"]
            summary.by_status[row.status] += row["count"]
            if row.status == "flagged" and row.severity is not None:
                summary.by_severity[row.severity] += row["count"]
        return summary
    finally:
        results.unpersist()


def _warn(message: str) -> None:
    say(f"doseguard: warning: {message}")


def _found_version(message: str) -> str:
    """The version an executor built, from its RulesVersionError as Spark reports it."""
    marker = "rules version "
    start = message.find(marker)
    return message[start + len(marker) :].split(",", 1)[0] if start >= 0 else "unknown"
