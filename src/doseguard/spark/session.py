"""A SparkSession for doseguard, or a clear error when Spark cannot run here."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from doseguard.errors import SparkUnavailableError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def require_spark() -> None:
    """Raise SparkUnavailableError when pyspark or a Java runtime is missing (said before Spark's
    own start-up fails with a Java stack trace)."""
    if importlib.util.find_spec("pyspark") is None or importlib.util.find_spec("pyarrow") is None:
        raise SparkUnavailableError("pyspark", "pyspark is not installed: pip install 'doseguard[spark]'")
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if java is None or not os.access(java, os.X_OK):
        raise SparkUnavailableError(
            "java",
            "no Java runtime (PySpark needs Java 17 or later): install one, e.g. openjdk-17-jre-headless",
        )


def spark_session(master: str, app_name: str = "doseguard", **config: str) -> SparkSession:
    """The session for ``master`` (``local[2]``, ``spark://host:7077``, ``yarn``); executors run this
    Python (PYSPARK_PYTHON, unless set) so that they import the same doseguard."""
    require_spark()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession  # noqa: PLC0415 (pyspark is an optional extra)

    builder = SparkSession.builder.master(master).appName(app_name)
    if master.startswith("local"):  # one machine: Spark's driver and blocks on the loopback, as told
        config = {"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1", **config}
    settings = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        **config,
    }
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
