"""``doseguard check --spark``: the README's command, end to end, and what it refuses."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from doseguard.errors import OutputError
from doseguard.rules.source import RuleSource
from doseguard.spark.frames import check_prepared, load_on_driver
from doseguard.spark.inputs import read_inputs
from doseguard.spark.outputs import write_results
from tests.helpers.bundled import bundled_rules
from tests.spark.data import ROOT, doseguard, mixed_csv, mixed_jsonl, single_machine

EXAMPLES = ROOT / "examples"


def readme_command() -> list[str]:
    """The README's ``doseguard check --spark 'local[2]'`` example, as its words."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    (line,) = [
        line for line in text.splitlines() if line.startswith("doseguard check --spark 'local[2]' examples/")
    ]
    return shlex.split(line.split("#")[0])


def test_the_readme_command_writes_the_results_of_one_machine(spark: SparkSession, tmp_path: Path) -> None:
    """The README's command, run on its own (it starts its own Spark, local[2]) in a folder whose
    examples are the mixed files: malformed lines, a blank one, repeated ids, a short CSV row."""
    words = readme_command()
    assert words[:4] == ["doseguard", "check", "--spark", "local[2]"]
    (tmp_path / "examples").mkdir()
    inputs = [
        mixed_jsonl(tmp_path / "examples" / "orders.jsonl"),
        mixed_csv(tmp_path / "examples" / "orders.csv"),
    ]
    assert [str(p.relative_to(tmp_path)) for p in inputs] == words[4:6]
    output = tmp_path / words[words.index("-o") + 1]
    done = doseguard(*words[2:], cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # critical findings and invalid records: exit 1
    expected = single_machine(
        [p.relative_to(tmp_path) for p in inputs], bundled_rules().version, cwd=tmp_path
    )
    got = [json.loads(line) for line in output.read_text().splitlines()]
    assert got == expected
    assert f"doseguard: {len(expected):,} orders: " in done.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no hidden sibling left
    again = doseguard(*words[2:], cwd=tmp_path)
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
        (["--history", "h", "-o", "out.jsonl"], "--history h: no such folder"),
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
