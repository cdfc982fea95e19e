"""``doseguard check --spark``: the README's command, end to end, and what it refuses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from doseguard.errors import OutputError
from doseguard.rules.source import RuleSource
from doseguard.spark.frames import check_prepared, load_on_driver
from doseguard.spark.inputs import read_inputs
from doseguard.spark.outputs import write_results
from tests.helpers.bundled import bundled_rules
from tests.spark.conftest import ROOT
from tests.spark.data import mixed_csv, mixed_jsonl, single_machine

EXAMPLES = ROOT / "examples"


def doseguard(*args: object, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-m", "doseguard", "check", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, env=env, timeout=600, check=False,
    )  # fmt: skip


def test_check_on_spark_writes_the_results_of_one_machine(spark: SparkSession, tmp_path: Path) -> None:
    """The command starts its own Spark (local[2]); run beside the tests' session, it is the README's."""
    inputs = [mixed_jsonl(tmp_path / "orders.jsonl"), mixed_csv(tmp_path / "orders.csv")]
    done = doseguard("--spark", "local[2]", "orders.jsonl", "orders.csv", "-o", "results.jsonl", cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # critical findings and invalid records: exit 1
    expected = single_machine([Path(p.name) for p in inputs], bundled_rules().version, cwd=tmp_path)
    got = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert got == expected
    assert f"doseguard: {len(expected):,} orders: " in done.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no hidden sibling left
    again = doseguard("--spark", "local[2]", "orders.jsonl", "-o", "results.jsonl", cwd=tmp_path)
    assert again.returncode == 2 and "exists" in again.stderr


def test_parquet_results_are_renamed_into_place_and_never_replace(
    spark: SparkSession, tmp_path: Path
) -> None:
    path = mixed_csv(tmp_path / "orders.csv")
    prepared, specs = read_inputs(spark, [str(path)])
    results = check_prepared(prepared, specs, load_on_driver(RuleSource()), partitions=2)
    target = tmp_path / "out.parquet"
    write_results(results, str(target))
    rows = spark.read.parquet(str(target)).orderBy("record").collect()
    assert [json.loads(row.result) for row in rows] == single_machine([path], bundled_rules().version)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.csv", "out.parquet"]  # nothing hidden left
    with pytest.raises(OutputError, match="exists"):
        write_results(results, str(target))


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--report", "r.html"], "--report cannot be used with --spark"),
        (["--annotate", "a.csv"], "--annotate cannot be used with --spark"),
        (["--history", "h"], "history is not read on Spark"),
        ([], "--spark needs -o OUTPUT"),
        (["-o", "out.csv"], "name a .parquet or .jsonl output"),
    ],
)
def test_options_that_cannot_apply_on_spark_are_refused(
    tmp_path: Path, options: list[str], said: str
) -> None:
    (tmp_path / "orders.jsonl").write_text((EXAMPLES / "orders.jsonl").read_text())
    done = doseguard("--spark", "local[2]", "orders.jsonl", *options, cwd=tmp_path)
    assert done.returncode == 2
    assert said in done.stderr
