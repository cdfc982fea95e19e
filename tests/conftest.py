"""Fixtures shared by the test modules; the plain helpers they are built on are in ``tests/helpers/``.

The Gherkin steps' fixtures (``order``, ``doseguard_rules``, ``doseguard_checker``...) come from the
doseguard pytest plugin: the names here must not shadow them."""

from __future__ import annotations

import pytest

from doseguard.checker import Checker
from doseguard.results import OrderResult
from tests.helpers.bundled import bundled_checker
from tests.helpers.results import sample_results


@pytest.fixture(scope="session")
def checker() -> Checker:
    """A checker of the bundled rules, one for the session (its caches are transparent)."""
    return bundled_checker()


@pytest.fixture
def report_results() -> list[OrderResult]:
    """Results 1-5 of ``tests.helpers.results``, fresh for each test."""
    return sample_results()
