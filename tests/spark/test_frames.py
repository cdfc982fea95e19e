"""doseguard on Spark gives the results of one machine: the same lines for the same records, a poison
record an error, exactly one result per record when tasks fail, are retried or run twice."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from benchmarks.generate import realistic
from pyspark.sql import DataFrame, SparkSession

from doseguard.errors import RulesVersionError
from doseguard.rules.source import RuleSource
from doseguard.spark.frames import check_orders, check_prepared, load_on_driver
from doseguard.spark.inputs import read_inputs
from doseguard.spark.shipped import ShippedFolder, ShippedRules
from tests.batch.faults import KillOn
from tests.helpers.bundled import bundled_rules
from tests.spark.data import ORDERS, POISON, mixed_csv, mixed_jsonl, single_machine
from tests.spark.faults import FailFirstAttempt


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("spark-inputs")
    return [mixed_jsonl(folder / "orders.jsonl"), mixed_csv(folder / "orders.csv")]


@pytest.fixture(scope="module")
def expected(inputs: list[Path]) -> list[dict[str, Any]]:
    """One machine's results, with the same poison record killing its worker."""
    return single_machine(inputs, bundled_rules().version, KillOn(POISON))


def lines_of(results: DataFrame) -> list[dict[str, Any]]:
    """The results' lines in record order (sorted here: a Spark sort would sample, checking twice)."""
    return sorted(
        (json.loads(row.result) for row in results.select("result").collect()),
        key=lambda line: line["record"],
    )


def test_a_mixed_file_gives_the_results_of_one_machine(
    spark: SparkSession, inputs: list[Path], expected: list[dict[str, Any]]
) -> None:
    prepared, specs = read_inputs(spark, [str(p) for p in inputs])
    results = check_prepared(
        prepared,
        specs,
        load_on_driver(RuleSource()),
        partitions=2,
        chunk_records=16,
        before_send=KillOn(POISON),
    )
    got = lines_of(results)
    assert got == expected
    statuses = {line["status"] for line in got}
    assert {"pass", "flagged", "invalid", "error"} <= statuses  # the file is mixed
    (poisoned,) = [line for line in got if line["status"] == "error"]
    assert poisoned["order_id"] == POISON
    assert "crashed" in poisoned["errors"][0]["message"]
    repeated = [line for line in got if "duplicates the order_id" in json.dumps(line["errors"])]
    assert [line["order_id"] for line in repeated] == ["ORD-00000005", "ORD-00000007"]
    (latin1,) = [line for line in got if line["source"].endswith("orders.jsonl:71")]
    assert latin1["status"] == "invalid" and "UTF-8" in json.dumps(latin1["errors"])
    assert len(got) == ORDERS - 2 + 5  # two blank lines; five CSV rows


def test_result_columns_say_what_the_line_says(spark: SparkSession, inputs: list[Path]) -> None:
    prepared, specs = read_inputs(spark, [str(inputs[1])])
    rows = check_prepared(prepared, specs, load_on_driver(RuleSource()), partitions=2).collect()
    rows.sort(key=lambda row: row.record)
    for row in rows:
        line = json.loads(row.result)
        assert (row.record, row.source, row.order_id, row.status) == (
            line["record"], line["source"], line["order_id"], line["status"],
        )  # fmt: skip
        assert [f.rule_id for f in row.findings] == [f["rule_id"] for f in line["findings"]]
        assert [e.message for e in row.errors] == [e["message"] for e in line["errors"]]
    assert rows[2].severity == "critical" and "cells" in rows[2].errors[0].message  # the short row


def test_tasks_that_fail_and_are_retried_give_exactly_one_result_per_record(
    spark: SparkSession, inputs: list[Path], tmp_path: Path
) -> None:
    """Every task's first attempt fails, its Python worker exiting (even partitions: as an executor
    killed) or the task raising (odd ones): Spark retries them (maxFailures 4), speculation may run
    copies, and the results are still one per record, the same as one machine's."""
    expected = single_machine(inputs, bundled_rules().version)
    prepared, specs = read_inputs(spark, [str(p) for p in inputs])
    fault = FailFirstAttempt(str(tmp_path), "both")
    results = check_prepared(prepared, specs, load_on_driver(RuleSource()), partitions=2, before_batch=fault)
    got = lines_of(results)
    assert sorted(mark.name.split("-")[0] for mark in tmp_path.iterdir()) == ["exit", "raise"]
    assert [line["record"] for line in got] == list(range(1, len(expected) + 1))
    assert got == expected


def test_a_data_frame_of_orders_is_checked_as_its_json_lines_would_be(
    spark: SparkSession, tmp_path: Path
) -> None:
    orders = list(realistic(10))
    (tmp_path / "good.jsonl").write_text("".join(json.dumps(o) + "\n" for o in orders))
    expected = single_machine([tmp_path / "good.jsonl"], bundled_rules().version)
    frame = spark.read.json(str(tmp_path / "good.jsonl"))
    got = lines_of(check_orders(frame, name="frame", partitions=2))
    assert [line["source"] for line in got] == [f"frame:{n}" for n in range(1, 11)]
    strip = [{k: v for k, v in line.items() if k != "source"} for line in got]
    assert strip == [{k: v for k, v in line.items() if k != "source"} for line in expected]


def test_parquet_is_read_as_its_rows(spark: SparkSession, tmp_path: Path) -> None:
    source = tmp_path / "good.jsonl"
    orders = list(realistic(20))
    source.write_text("".join(json.dumps(o) + "\n" for o in orders))
    parquet = tmp_path / "orders.parquet"
    spark.read.json(str(source)).coalesce(1).write.parquet(str(parquet))
    prepared, specs = read_inputs(spark, [str(parquet)])
    got = lines_of(check_prepared(prepared, specs, load_on_driver(RuleSource()), partitions=2))
    expected = single_machine([source], bundled_rules().version)
    assert [line["status"] for line in got] == [line["status"] for line in expected]
    assert [line["findings"] for line in got] == [line["findings"] for line in expected]
    assert got[0]["source"] == f"{parquet}:1"


def test_rules_that_differ_on_an_executor_are_refused(tmp_path: Path) -> None:
    shipped, _ = ShippedRules.of(RuleSource())
    folder = shipped.folders[0]
    name, content = folder.files[-1]
    changed = ShippedFolder(folder.name, (*folder.files[:-1], (name, content + b"\n# edited\n")))
    other = ShippedRules((changed,), shipped.version, shipped.overrides, shipped.selection)
    with pytest.raises(RulesVersionError) as refused:
        other.rebuild(tmp_path)
    assert refused.value.expected == shipped.version
    assert refused.value.found != shipped.version
    _, rebuilt = shipped.rebuild(tmp_path / "same")
    assert rebuilt.version == shipped.version


def test_a_job_whose_executors_build_other_rules_fails_saying_so(
    spark: SparkSession, inputs: list[Path]
) -> None:
    shipped = load_on_driver(RuleSource())
    folder = shipped.folders[0]
    name, content = folder.files[-1]
    changed = ShippedFolder(folder.name, (*folder.files[:-1], (name, content + b"\n# edited\n")))
    other = ShippedRules((changed,), shipped.version, shipped.overrides, shipped.selection)
    prepared, specs = read_inputs(spark, [str(inputs[1])])
    with pytest.raises(Exception, match="RulesVersionError") as failed:
        check_prepared(prepared, specs, other, partitions=2).collect()
    assert shipped.version in str(failed.value)
