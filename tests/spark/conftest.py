"""One SparkSession for the whole folder (Spark starts in 25-35 CPU seconds): ``local[2,4]``, two
threads and up to four attempts of a task, with speculation on, so that every test runs where tasks
may be retried or run twice."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytest.importorskip("pyspark", reason="pip install 'doseguard[spark]' (CI installs it with [dev])")

from pyspark.sql import SparkSession  # noqa: E402 (after the skip)

MASTER = "local[2,4]"


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    # Executors' Python workers (and the pool's workers they start) import this tree's doseguard and
    # the tests' fault hooks, pickled by reference.
    paths = [str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")]
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from doseguard.spark.session import spark_session  # noqa: PLC0415

    session = spark_session(
        MASTER,
        "doseguard-tests",
        **{
            "spark.speculation": "true",
            "spark.speculation.interval": "100ms",
            "spark.speculation.quantile": "0.5",
            "spark.speculation.multiplier": "1.0",
            "spark.sql.shuffle.partitions": "4",
            "spark.default.parallelism": "2",
            "spark.driver.memory": "1g",
        },
    )
    yield session
    session.stop()
