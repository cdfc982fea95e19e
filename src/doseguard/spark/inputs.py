"""Inputs read by Spark's own readers into the prepared frame executors check (:data:`PREPARED`).

JSON Lines are read as text (``spark.read.text``): each line goes to the executor as its bytes and is
parsed there by the single-machine reader (``record_of_line``), so a malformed line, a repeated key or
a FHIR MedicationRequest reads exactly as in ``doseguard check``. CSV is read by Spark's CSV reader
(every cell a string, ``""`` for an empty one) and each row's cells are mapped under the header as the
single-machine reader maps them; a row with too few or too many cells is re-split on the executor and
is invalid, naming the counts. Parquet (and any DataFrame) rows go as JSON objects (``to_json``,
nulls left out: not stated).

Record numbers and line numbers are given before any shuffle, from each partition's position in the
file scan (:func:`with_index`), which is the same every time a task is run or retried.
"""

from __future__ import annotations

from pathlib import Path

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from doseguard.errors import InputError
from doseguard.io.columns import column_name
from doseguard.spark.executor import LINES, OBJECTS, ROWS, InputSpec

CORRUPT = "_doseguard_corrupt"
"""The column Spark's CSV reader fills with a row whose cells do not match the header."""
_PARTITION_SHIFT = 33  # monotonically_increasing_id: partition index in the upper 31 bits

SUFFIXES = {".jsonl": LINES, ".ndjson": LINES, ".csv": ROWS, ".tsv": ROWS, ".parquet": OBJECTS}


def kind_of(path: str) -> str:
    """LINES, ROWS or OBJECTS from the file's name (``.gz`` allowed but for Parquet)."""
    name = path.lower().rstrip("/")
    name = name.removesuffix(".gz") if not name.endswith(".parquet.gz") else name
    for suffix, kind in SUFFIXES.items():
        if name.endswith(suffix):
            return kind
    raise InputError(path, "on Spark, inputs are .jsonl/.ndjson, .csv/.tsv (optionally .gz) or .parquet")


def with_index(frame: DataFrame, name: str) -> DataFrame:
    """``frame`` with a column ``name``: each row's 0-based position, partitions in order (what
    ``RDD.zipWithIndex`` gives, computed in the JVM: one small job counts each partition's rows)."""
    tagged = frame.withColumn("_part", F.spark_partition_id()).withColumn(
        "_id", F.monotonically_increasing_id()
    )
    counts: dict[int, int] = dict(tagged.groupBy("_part").count().collect())
    offsets: list[Column] = []
    total = 0
    for part in sorted(counts):
        offsets += [F.lit(part), F.lit(total)]
        total += counts[part]
    start = F.element_at(F.create_map(*offsets), F.col("_part")) if offsets else F.lit(0)
    position = start + F.col("_id") - F.shiftleft(F.col("_part").cast("long"), _PARTITION_SHIFT)
    return tagged.withColumn(name, position.cast("long")).drop("_part", "_id")


def read_inputs(spark: SparkSession, paths: list[str]) -> tuple[DataFrame, tuple[InputSpec, ...]]:
    """Every input's records, numbered in input order, and what executors need to know of each."""
    parts: list[DataFrame] = []
    specs: list[InputSpec] = []
    for index, path in enumerate(paths):
        kind = kind_of(path)
        if kind == LINES:
            part, spec = _json_lines(spark, path)
        elif kind == ROWS:
            part, spec = _csv(spark, path)
        else:
            part, spec = frame_input(spark.read.parquet(path), path)
        parts.append(part.withColumn("input", F.lit(index).cast("int")))
        specs.append(spec)
    united = parts[0]
    for part in parts[1:]:
        united = united.unionByName(part)
    return number_records(united), tuple(specs)


def number_records(frame: DataFrame) -> DataFrame:
    """The prepared columns, each record numbered from 1 in the order of the frame's partitions."""
    numbered = with_index(frame, "record").withColumn("record", F.col("record") + 1)
    # Bytes, not text: a JSON line reaches the single-machine reader as it was in the file (one whose
    # bytes are not UTF-8 is invalid, naming the byte, as on one machine).
    return numbered.select("record", "input", "line", "patient_key", F.col("payload").cast("binary"))


def frame_input(frame: DataFrame, name: str) -> tuple[DataFrame, InputSpec]:
    """A DataFrame of orders (a Parquet file's, or one a user built): each row as a JSON object."""
    payload = F.to_json(F.struct(*[F.col(f"`{c}`") for c in frame.columns]))
    patient = F.col("`patient_id`").cast("string") if "patient_id" in frame.columns else F.lit(None)
    rows = with_index(frame.select(payload.alias("payload"), patient.alias("patient_key")), "line")
    return rows.withColumn("line", F.col("line") + 1), InputSpec(name, OBJECTS)


def _json_lines(spark: SparkSession, path: str) -> tuple[DataFrame, InputSpec]:
    lines = with_index(spark.read.text(path), "line").withColumn("line", F.col("line") + 1)
    # Blank lines (whitespace only, as bytes.isspace) are no records; they keep their numbers.
    lines = lines.where(~F.col("value").rlike("^[ \\t\\n\\r\\x0b\\f]*$"))
    patient = F.get_json_object(F.col("value"), "$.patient_id")
    return lines.select(F.col("value").alias("payload"), patient.alias("patient_key"), "line"), InputSpec(
        path, LINES
    )


def _csv(spark: SparkSession, path: str) -> tuple[DataFrame, InputSpec]:
    delimiter = "\t" if path.lower().removesuffix(".gz").endswith(".tsv") else _delimiter(path)
    options = {"header": "true", "sep": delimiter, "escape": '"', "mode": "PERMISSIVE",
               "columnNameOfCorruptRecord": CORRUPT}  # fmt: skip
    written = spark.read.options(**options).csv(path).columns
    schema = StructType(
        [StructField(c, StringType()) for c in written] + [StructField(CORRUPT, StringType())]
    )
    rows = with_index(spark.read.options(**options).schema(schema).csv(path), "line")
    cells = F.to_json(F.array(*[F.col(f"`{c}`") for c in written]))
    payload = F.when(F.col(CORRUPT).isNull(), cells).otherwise(
        F.to_json(F.struct(F.col(CORRUPT).alias("corrupt")))
    )
    header = tuple(column_name(cell.strip().lstrip("\ufeff")) for cell in written)
    patient = F.col(f"`{written[header.index('patient_id')]}`") if "patient_id" in header else F.lit(None)
    prepared = rows.select(
        payload.alias("payload"), patient.alias("patient_key"), (F.col("line") + 2).alias("line")
    )
    return prepared, InputSpec(path, ROWS, header, delimiter)


def _delimiter(path: str) -> str:
    """The header's separator, as the single-machine reader reads it: semicolons or tabs when the
    first line holds more of them than commas."""
    import gzip  # noqa: PLC0415

    try:
        if path.lower().endswith(".gz"):
            with gzip.open(path, "rt", encoding="utf-8-sig", errors="replace") as stream:
                first = stream.readline()
        else:
            with Path(path).open(encoding="utf-8-sig", errors="replace") as stream:
                first = stream.readline()
    except OSError as error:
        raise InputError(path, f"cannot read: {error.strerror or error}") from None
    counts = {sep: first.count(sep) for sep in (",", ";", "\t")}
    return max(counts, key=lambda sep: (counts[sep], sep == ","))
