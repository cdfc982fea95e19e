"""Fixtures shared by the test modules; the plain helpers they are built on are in ``tests/helpers/``.

The Gherkin steps' fixtures (``order``, ``doseguard_rules``, ``doseguard_checker``...) come from the
doseguard pytest plugin: the names here must not shadow them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from doseguard.checker import Checker
from doseguard.results import OrderResult
from tests.helpers.bundled import bundled_checker
from tests.helpers.postgres import Cluster, postgres_bin, start_cluster
from tests.helpers.results import sample_results


@pytest.fixture(scope="session")
def checker() -> Checker:
    """A checker of the bundled rules, one for the session (its caches are transparent)."""
    return bundled_checker()


@pytest.fixture
def report_results() -> list[OrderResult]:
    """Results 1-5 of ``tests.helpers.results``, fresh for each test."""
    return sample_results()


# --- databases: the feedback store runs on SQLite and on a real PostgreSQL -------------------------
# Without PostgreSQL installed its tests skip, unless DOSEGUARD_REQUIRE_POSTGRES=1 (set by .ci/run),
# where a missing server fails them.


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
