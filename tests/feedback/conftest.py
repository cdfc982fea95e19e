"""The feedback store's tests run against SQLite and a real PostgreSQL (a throwaway cluster started once
for the session). Without PostgreSQL installed its tests skip, unless ``DOSEGUARD_REQUIRE_POSTGRES=1``
(set by ``.ci/run``), where a missing server fails them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.postgres import Cluster, postgres_bin, start_cluster


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    bin_dir = postgres_bin()
    if bin_dir is None:
        reason = "PostgreSQL is not installed (/usr/lib/postgresql/*/bin/initdb; apt-get install postgresql)"
        if os.environ.get("DOSEGUARD_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{reason}, and DOSEGUARD_REQUIRE_POSTGRES=1 requires it")
        pytest.skip(reason)
    cluster = start_cluster(bin_dir)
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database's URL, on each of the two databases."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'feedback.sqlite3'}"
    cluster: Cluster = request.getfixturevalue("postgres_cluster")
    return cluster.new_database()
