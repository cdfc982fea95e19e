"""``doseguard.check``: orders checked from Python, for jobs (a nightly script, a notebook, a worker).

Orders are read exactly as ``doseguard check`` reads them: a file by the CLI's own readers, a mapping
as the JSON Lines format reads a line (it is written as one), so a record is ``invalid`` for the same
reasons in both. The checker of a (rules, overrides) pair is built once per process and kept, so a
job calling ``check`` in a loop does not load and compile the rules each time."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from doseguard.checker import Checker
from doseguard.records import InputRecord
from doseguard.results import OrderResult
from doseguard.rules.loader import load_rules

PathLike = str | os.PathLike[str]
Orders = PathLike | Iterable[Mapping[str, Any] | InputRecord]
RulePaths = PathLike | Sequence[PathLike] | None
CACHED_CHECKERS = 8  # distinct (rules, overrides) pairs kept; a job uses one or two


def check(orders: Orders, *, rules: RulePaths = None, overrides: PathLike | None = None) -> list[OrderResult]:
    """One result per order, in order, never raising for an order's sake: one that cannot be read is
    ``invalid``, one whose evaluation failed ``error``, as in ``doseguard check``.

    ``orders`` is a path to an order file (any format ``doseguard check`` takes: ``.jsonl``, ``.json``,
    ``.csv``, FHIR, gzipped) or an iterable of order mappings (a FHIR MedicationRequest too) and
    :class:`InputRecord`s. ``rules`` is a rule pack folder or several (default: the bundled packs),
    ``overrides`` a site's overrides file. Raises :class:`RulePackError` for rules that do not load
    and :class:`InputError` for a file that cannot be opened; ``TypeError`` for one order not in a list."""
    from doseguard.io.readers import read_input  # noqa: PLC0415 (``import doseguard`` stays light)

    if isinstance(orders, Mapping | bytes):  # iterating would check its keys (or bytes) as orders
        raise TypeError("orders: give a path or a list of orders, not one order by itself")
    checker, lock = _checker(_rule_paths(rules), None if overrides is None else _resolved(overrides))
    records = read_input(os.fspath(orders)) if isinstance(orders, str | os.PathLike) else _records(orders)
    with lock:  # a checker is used by one thread at a time (its caches, the engine's state)
        return list(checker.check_all(records))


@lru_cache(maxsize=CACHED_CHECKERS)
def _checker(rules: tuple[str, ...], overrides: str | None) -> tuple[Checker, threading.Lock]:
    return Checker(load_rules(list(rules) or None, overrides=overrides)), threading.Lock()


def clear_cache() -> None:
    """Forget the checkers built so far: the next :func:`check` reads its rule files again (a job
    that edits its rules between calls)."""
    _checker.cache_clear()


def _resolved(path: PathLike) -> str:
    return str(Path(path).resolve())


def _rule_paths(rules: RulePaths) -> tuple[str, ...]:
    if rules is None:
        return ()
    if isinstance(rules, str | os.PathLike):
        return (_resolved(rules),)
    return tuple(_resolved(path) for path in rules)


def _records(orders: Iterable[Mapping[str, Any] | InputRecord]) -> Iterator[InputRecord]:
    from doseguard.io.json_records import kind_of, record_of_line  # noqa: PLC0415

    for number, order in enumerate(orders, start=1):
        source = f"orders[{number - 1}]"
        if isinstance(order, InputRecord):
            yield order
        elif isinstance(order, Mapping):
            try:
                line = json.dumps(dict(order), allow_nan=False, ensure_ascii=False)
            except (TypeError, ValueError, RecursionError) as error:
                yield InputRecord(source, error=f"the order is not JSON data: {error}")
                continue
            yield record_of_line(source, line.encode("utf-8", "surrogatepass"))
        else:
            yield InputRecord(source, error=f"expected an order (a mapping), got {kind_of(order)}")
