"""History on Spark: each order checked with its patient's whole record (the MAR, labs, patient
facts, the batch's other orders of the patient) gives the line of one machine, and every history
record that cannot be used is said, once, as ``doseguard check`` says it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import SparkSession

from doseguard.errors import HistoryProblem
from doseguard.io.history import HistorySources
from doseguard.rules.source import RuleSource
from doseguard.spark.frames import check_orders, check_prepared, load_with_rules
from doseguard.spark.history import ship_history
from doseguard.spark.inputs import read_inputs
from tests.helpers.cli import invoke, results
from tests.spark.data import doseguard

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import history

ORDERS = 240
FROM_HISTORY = {"B12-DUPLICATE-THERAPY", "B12-NO-RESPONSE", "B12-MISSED-DOSES", "B12-REVIEW-DUE"}
"""Rules that fire only from a patient's record (the batch's other orders, the MAR, the labs)."""
BAD_LABS = "PT-0000003,haemoglobin,high,g/dL,2026-03-01T00:00:00Z\n"
PATIENTS = (
    "patient_id,weight_kg,egfr\n"
    "PT-0000001,70,85\n"
    "PT-0000002,64,\n"
    "PT-0000002,65,\n"  # a conflict, said at this line: neither weight is used for PT-0000002
    "PT-0000005,heavy,\n"  # said on PT-0000005's orders, naming patients.csv:5
)


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> history.HistoryFiles:
    files = history.write_history(tmp_path_factory.mktemp("spark-history"), ORDERS)
    with files.labs.open("a", encoding="utf-8") as labs:
        labs.write(BAD_LABS)
    (files.folder / "patients.csv").write_text(PATIENTS, encoding="utf-8")
    return files


@pytest.fixture(scope="module")
def one_machine(case: history.HistoryFiles) -> tuple[list[dict[str, Any]], str]:
    """``doseguard check --history DIR`` on one machine: its lines, and what it said on stderr."""
    done = invoke("check", case.orders, "--history", case.folder, "--jobs", "1", "--fail-on", "never")
    assert done.exit_code == 0, done.stderr
    return results(done.stdout), done.stderr


def test_orders_checked_with_their_patients_history_give_the_lines_of_one_machine(
    spark: SparkSession, case: history.HistoryFiles, one_machine: tuple[list[dict[str, Any]], str]
) -> None:
    expected, said = one_machine
    shipped, rule_set = load_with_rules(RuleSource())
    prepared, specs = read_inputs(spark, [str(case.orders)])
    problems: list[HistoryProblem] = []
    store = ship_history(
        prepared, specs, rule_set, HistorySources(history=str(case.folder)), case.folder / "..",
        other_orders=True, on_problem=problems.append,
    )  # fmt: skip
    assert store is not None
    checked = check_prepared(prepared, specs, shipped, partitions=3, chunk_records=16, history=store)
    got = sorted((json.loads(row.result) for row in checked.select("result").collect()),
                 key=lambda line: line["record"])  # fmt: skip
    assert got == expected
    # the history was read: findings only a patient's record gives, and the records it could not use
    rules = {finding["rule_id"] for line in got for finding in line["findings"]}
    assert rules >= FROM_HISTORY
    assert [str(problem) for problem in problems] == [
        line.removeprefix("doseguard: ") for line in said.splitlines() if ".csv:" in line
    ]
    assert len(problems) == 2  # 'high' (labs.csv), the conflicting weight (patients.csv)
    conflicted = [line for line in got if line["patient_id"] == "PT-0000002"]
    assert conflicted and all("patients.csv:4" in json.dumps(line["warnings"]) for line in conflicted)
    heavy = [line for line in got if line["patient_id"] == "PT-0000005"]
    assert heavy and all(line["status"] == "invalid" and "patients.csv:5" in json.dumps(line["errors"])
                         for line in heavy)  # fmt: skip


def test_a_dataframe_and_the_history_files_give_the_findings_of_one_machine(
    spark: SparkSession, case: history.HistoryFiles, one_machine: tuple[list[dict[str, Any]], str]
) -> None:
    expected, _ = one_machine
    frame = spark.read.json(str(case.orders))
    checked = check_orders(frame, history=str(case.folder), partitions=2)
    got = {row.order_id: json.loads(row.result) for row in checked.select("order_id", "result").collect()}
    want = {line["order_id"]: line for line in expected}
    assert got.keys() == want.keys()
    for order_id, line in want.items():
        assert (got[order_id]["status"], got[order_id]["findings"]) == (line["status"], line["findings"])


def test_check_on_spark_with_history_writes_and_says_what_one_machine_does(
    case: history.HistoryFiles, one_machine: tuple[list[dict[str, Any]], str], tmp_path: Path
) -> None:
    """``doseguard check --spark 'local[2]' ORDERS --history DIR -o OUT``, run on its own."""
    expected, said = one_machine
    output = tmp_path / "results.jsonl"
    done = doseguard("--spark", "local[2]", case.orders, "--history", case.folder, "-o", output,
                     "--fail-on", "never", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert [json.loads(line) for line in output.read_text().splitlines()] == expected
    bad = [line for line in said.splitlines() if ".csv:" in line]
    assert bad and [line for line in done.stderr.splitlines() if ".csv:" in line] == bad
    assert "2 history records or values were not used" in done.stderr


def test_a_store_an_executor_does_not_have_fails_the_job_naming_it(
    spark: SparkSession, case: history.HistoryFiles
) -> None:
    """Never a pass without the history: the job fails, and says which store and why (it said
    sqlite's 'unable to open database file')."""
    shipped, _ = load_with_rules(RuleSource())
    prepared, specs = read_inputs(spark, [str(case.orders)])
    missing = "doseguard-history-never-added.sqlite"
    with pytest.raises(Exception, match=f"history store .*{missing}: .*no such file"):
        check_prepared(prepared, specs, shipped, partitions=1, history=missing).collect()
