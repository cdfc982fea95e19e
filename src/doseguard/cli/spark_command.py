"""``doseguard check --spark MASTER INPUT... -o OUTPUT``: the same check, run by Spark.

Inputs are read by Spark's readers (JSON Lines, CSV, Parquet), results written as Parquet or JSON
Lines (:mod:`doseguard.spark.outputs`); the counts come back to the driver for the closing line and
the exit status, as on one machine. Options that need every result on the driver as an object (the
HTML report, the annotated export), or a history store on local disk, are refused, saying so.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping

import click

from doseguard.cli.common import EXIT_USAGE, load_or_exit, say
from doseguard.errors import InputError, OutputError, RulesVersionError, SparkUnavailableError
from doseguard.io.streams import STDIN
from doseguard.results import Summary
from doseguard.rules.source import RuleSource

REFUSED = {
    "--format": "the output's name says its format (.parquet or .jsonl)",
    "--report": "the HTML report is written on one machine: check there, or read the Parquet results",
    "--annotate": "the annotated export is written on one machine",
    "--summary": "read the counts from the results (group by status, severity)",
    "--columns": "column maps are not read on Spark yet: rename the columns in the DataFrame",
    "--jobs": "Spark's executors and cores set the parallelism (--master, spark.executor.cores)",
    "--patients": "history is not read on Spark yet (issue 13, second part)",
    "--administrations": "history is not read on Spark yet (issue 13, second part)",
    "--labs": "history is not read on Spark yet (issue 13, second part)",
    "--history": "history is not read on Spark yet (issue 13, second part)",
    "--other-orders": "history is not read on Spark yet (issue 13, second part)",
}
"""Options of ``check`` that do not apply with ``--spark``, and why."""


def check_on_spark(
    master: str, inputs: tuple[str, ...], source: RuleSource, output: str | None, given: Mapping[str, object]
) -> Summary:
    """Check ``inputs`` on Spark at ``master`` and write ``output``; the counts of the results.
    ``given``: the refusable options and their values (None or False: not given)."""
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
        return _run(master, inputs, source, output)
    except RulesVersionError as error:
        say(f"doseguard: {error}")
        sys.exit(EXIT_USAGE)
    except OutputError as error:
        say(f"doseguard: {error}")
        sys.exit(EXIT_USAGE)


def _run(master: str, inputs: tuple[str, ...], source: RuleSource, output: str) -> Summary:
    from pyspark import StorageLevel  # noqa: PLC0415

    from doseguard.spark.frames import check_prepared, load_on_driver  # noqa: PLC0415
    from doseguard.spark.inputs import read_inputs  # noqa: PLC0415
    from doseguard.spark.outputs import write_results  # noqa: PLC0415
    from doseguard.spark.session import spark_session  # noqa: PLC0415

    shipped = load_on_driver(source)
    started = time.perf_counter()
    spark = spark_session(master)
    ready = time.perf_counter()
    say(f"doseguard: Spark session at {master} started in {ready - started:.1f} s")
    try:
        prepared, specs = read_inputs(spark, list(inputs))
        results = check_prepared(prepared, specs, shipped).persist(StorageLevel.MEMORY_AND_DISK)
        try:
            write_results(results, output)
        except Exception as error:
            if "RulesVersionError" in str(error):
                raise RulesVersionError(shipped.version, _found_version(str(error))) from None
            raise
        summary = Summary(shipped.version)
        for row in results.groupBy("status", "severity").count().collect():
            summary.orders += row["count"]
            summary.by_status[row.status] += row["count"]
            if row.status == "flagged" and row.severity is not None:
                summary.by_severity[row.severity] += row["count"]
        results.unpersist()
        summary.seconds = time.perf_counter() - ready
        say(f"doseguard: read, checked and written on Spark in {summary.seconds:.1f} s")
        return summary
    finally:
        spark.stop()


def _found_version(message: str) -> str:
    """The version an executor built, from its RulesVersionError as Spark reports it."""
    marker = "rules version "
    start = message.find(marker)
    return message[start + len(marker) :].split(",", 1)[0] if start >= 0 else "unknown"
