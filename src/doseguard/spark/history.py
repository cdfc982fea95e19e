"""The patients' history on Spark: the run's history store, built once on the driver and shipped to
every executor, so that every task sees every patient's whole record.

The history files (``--patients``, ``--administrations``, ``--labs``, ``--history DIR``) are read on
the driver by the single-machine readers into the store of ``doseguard check``
(:mod:`doseguard.io.history_store`): each bad record is said in place and a patient's conflicting
rows are found exactly as on one machine. The batch's own orders as history (duplicate therapy) are
read where the orders are, on the executors (the single-machine mappers and
:class:`~doseguard.batch.other_orders.OtherOrderReader`), and only the orders of drugs an ORDERS
aggregate counts come to the driver, in record order. The store goes to the executors as a file
(``SparkContext.addFile``), which each Python worker's pool opens read-only: a broadcast, as Spark
broadcasts the small side of a join. Its limit is the driver's and each executor's local disk and
the driver's time to build it (``docs/scale.md``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql.pandas.types import from_arrow_schema

from doseguard.batch.other_orders import OtherOrderReader, needs_other_orders
from doseguard.errors import HistoryProblem
from doseguard.io.history import HistorySources, build_store
from doseguard.io.readers import records_of
from doseguard.orders.drugs import DrugEntry
from doseguard.patients.model import HistoryItem
from doseguard.patients.rows import order_row, other_order
from doseguard.rules.history import Aggregate
from doseguard.rules.model import RuleSet
from doseguard.spark.executor import CHUNK_RECORDS, InputSpec, chunks_of

OTHER_ORDERS = pa.schema([("record", pa.int64()), ("patient_id", pa.string()), ("row", pa.binary())])
"""An order of the batch as another order of its patient (``row``: ``patients/rows.order_row``)."""


def ship_history(
    prepared: DataFrame,
    inputs: tuple[InputSpec, ...],
    rule_set: RuleSet,
    sources: HistorySources,
    folder: Path,
    *,
    other_orders: bool,
    on_problem: Callable[[HistoryProblem], None],
    warn: Callable[[str], None] = lambda message: None,
) -> str | None:
    """The name (for ``SparkFiles.get``) of the run's store, built in ``folder`` (which must outlive
    every job computing the results) and added to the Spark context; None when there is nothing to
    ship (no sources, and no rule counting other orders or ``other_orders`` off)."""
    orders_too = other_orders and needs_other_orders(rule_set.aggregates.values())
    if not sources and not orders_too:
        return None
    path = folder / f"doseguard-history-{uuid.uuid4().hex}.sqlite"  # a name no other run added
    others = other_order_items(prepared, inputs, rule_set) if orders_too else None
    build_store(path, sources, rule_set.drugs, on_problem, warn, others)
    prepared.sparkSession.sparkContext.addFile(str(path))
    return path.name


def other_order_items(
    prepared: DataFrame, inputs: tuple[InputSpec, ...], rule_set: RuleSet
) -> Iterator[HistoryItem]:
    """Every readable order of ``prepared`` as an other order of its patient, in record order (as the
    single-machine pre-pass writes them), read on the executors."""
    reading = read_other_orders(tuple(rule_set.drugs), tuple(rule_set.aggregates.values()), inputs)
    read = prepared.mapInArrow(reading, from_arrow_schema(OTHER_ORDERS))
    for row in read.orderBy("record").toLocalIterator():
        yield row.patient_id, other_order(orjson.loads(row.row))


def read_other_orders(
    drugs: tuple[DrugEntry, ...],
    aggregates: tuple[Aggregate, ...],
    inputs: tuple[InputSpec, ...],
    chunk_records: int = CHUNK_RECORDS,
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The function ``mapInArrow`` runs: prepared records in, the other orders among them out. A
    record that cannot be read for this is none (its own result says what is wrong with it)."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        reader = OtherOrderReader(drugs, aggregates)  # built here: its caches do not pickle
        for batch in batches:
            columns = batch.to_pydict()
            found: dict[str, list[object]] = {"record": [], "patient_id": [], "row": []}
            chunks = chunks_of(inputs, chunk_records, columns["record"], columns["input"], columns["line"],
                               columns["payload"])  # fmt: skip
            for chunk in chunks:
                for offset, item in enumerate(records_of(chunk)):
                    if item.error is not None or item.problems:
                        continue
                    number = chunk.number(offset)
                    other = reader.read(item.data, number)
                    if other is not None:
                        patient_id, order = other
                        found["record"].append(number)
                        found["patient_id"].append(patient_id)
                        found["row"].append(orjson.dumps(order_row(order)))  # type: ignore[arg-type]
            yield pa.RecordBatch.from_pydict(found, schema=OTHER_ORDERS)

    return run
