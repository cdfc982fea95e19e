"""Check a Spark DataFrame of orders: a DataFrame of results, one per record, as ``doseguard check`` gives.

The rules are loaded, validated and compiled once on the driver (a pack the engine refuses fails here,
before any task), then shipped to executors as their files' contents (:mod:`doseguard.spark.shipped`).
Records are numbered before any shuffle, repartitioned by patient (a history rule needs a patient's
whole record), checked in ``mapInArrow`` (:mod:`doseguard.spark.executor`), and the repeated-order-id
policy is applied over all results with a window: the first record claiming an id keeps its result,
later claimants are invalid and name it, as on one machine.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import logging
import pickle
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import from_arrow_schema

from doseguard.batch.worker import BeforeSend
from doseguard.checker import Checker
from doseguard.errors import InputError
from doseguard.io.history import HistorySources
from doseguard.results import ResultStatus
from doseguard.rules.model import RuleSet
from doseguard.rules.selection import Selection
from doseguard.rules.source import RuleSource
from doseguard.spark.executor import (
    CHUNK_RECORDS,
    BeforeBatch,
    ExecutorSetup,
    InputSpec,
    check_batches,
    mark_repeats,
)
from doseguard.spark.history import ship_history
from doseguard.spark.inputs import frame_input, number_records
from doseguard.spark.schema import RESULTS
from doseguard.spark.shipped import ShippedRules

RESULT_SCHEMA = from_arrow_schema(RESULTS)
"""The results DataFrame's schema (:data:`doseguard.spark.schema.RESULTS`)."""


def check_orders(
    df: DataFrame,
    *,
    rules: Sequence[str] = (),
    overrides: str | None = None,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    name: str = "dataframe",
    partitions: int | None = None,
    patients: str | None = None,
    administrations: str | None = None,
    labs: str | None = None,
    history: str | None = None,
    other_orders: bool | None = None,
) -> DataFrame:
    """The results of checking each row of ``df`` (columns named as order fields) with the rule packs
    ``rules`` (default: the bundled ones). A row's source is ``name:row`` (1-based, in the frame's
    order); ``df`` must give its rows in the same order each time it is computed (a file or a table
    does; a frame built from a shuffle without a sort does not).

    ``patients``, ``administrations``, ``labs`` and ``history`` are the files of ``doseguard check``'s
    options of those names, on the driver's disk, read once there (a bad record logged on
    ``doseguard.spark``, as ``check`` says it on stderr); ``other_orders`` (default: when history is
    given) makes the frame's own orders each other's history."""
    source = RuleSource(tuple(rules), overrides, Selection(tuple(select), tuple(ignore)))
    sources = HistorySources(patients, administrations, labs, history)
    if problems := sources.problems():  # before any Spark job
        raise InputError(name, "; ".join(problems))
    shipped, rule_set = load_with_rules(source)
    prepared, spec = frame_input(df, name)
    numbered = number_records(prepared.withColumn("input", F.lit(0).cast("int")))
    store = ship_history(
        numbered, (spec,), rule_set, sources, _kept_folder(),
        other_orders=sources.other_orders(other_orders),
        on_problem=lambda problem: _log.warning("%s", problem), warn=_log.warning,
    )  # fmt: skip
    return check_prepared(numbered, (spec,), shipped, partitions=partitions, history=store)


_log = logging.getLogger("doseguard.spark")


@functools.cache
def _kept_folder() -> Path:
    """Where stores shipped by :func:`check_orders` are kept: a results frame may be computed again
    as long as the application lives, so they are removed when this process ends."""
    folder = Path(tempfile.mkdtemp(prefix="doseguard-spark-history-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def load_on_driver(source: RuleSource) -> ShippedRules:
    """The rules read, validated and compiled on the driver (raises RulePackError, SelectionError or
    EngineError as ``doseguard check`` would), as they are shipped."""
    return load_with_rules(source)[0]


def load_with_rules(source: RuleSource) -> tuple[ShippedRules, RuleSet]:
    """:func:`load_on_driver`, and the rule set itself (its drugs and aggregates read the history)."""
    shipped, rule_set = ShippedRules.of(source)
    Checker(rule_set)  # compiled once here: a pack the engine refuses stops the run before any task
    return shipped, rule_set


def check_prepared(
    prepared: DataFrame,
    inputs: tuple[InputSpec, ...],
    rules: ShippedRules,
    *,
    partitions: int | None = None,
    chunk_records: int = CHUNK_RECORDS,
    before_send: BeforeSend | None = None,
    before_batch: BeforeBatch | None = None,
    history: str | None = None,
) -> DataFrame:
    """Results of a prepared frame (:data:`doseguard.spark.schema.PREPARED`) in ``partitions`` tasks,
    sent to the workers ``chunk_records`` at a time (a poison record is isolated by halving its
    chunk: smaller chunks, fewer worker restarts; larger, less traffic); ``history``: the run's
    store as :func:`doseguard.spark.history.ship_history` named it; ``before_send`` and
    ``before_batch`` are for tests only (faults injected in the workers and the Python workers)."""
    spark = prepared.sparkSession
    count = partitions or 2 * spark.sparkContext.defaultParallelism
    # The token names what the pool is built from: a later run of the same rules in the same Spark
    # application (a notebook, the tests) finds its Python workers' pools started (tens of seconds
    # on a loaded machine), another run's rules or faults start their own.
    token = hashlib.sha256(pickle.dumps((rules, before_send, history))).hexdigest()
    setup = ExecutorSetup(rules, inputs, token, chunk_records, before_send=before_send,
                          before_batch=before_batch, history=history)  # fmt: skip
    checked = prepared.repartition(count, "patient_key").mapInArrow(check_batches(setup), RESULT_SCHEMA)
    claim = F.when(F.col("status") != ResultStatus.INVALID.value, F.col("order_id"))
    # A result claiming no id is alone in its window (its own record as key): no skew on nulls.
    key = F.coalesce(claim, F.concat(F.lit("\u0000"), F.col("record").cast("string")))
    first = F.min("record").over(Window.partitionBy("_claim_key"))
    marked = checked.withColumn("_claim_key", key).withColumn("first_claim", first).drop("_claim_key")
    return marked.mapInArrow(mark_repeats(rules.version), RESULT_SCHEMA)
