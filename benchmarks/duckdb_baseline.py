"""Baseline (c): what a data engineer would write instead of doseguard, the core B12 checks as one DuckDB
SQL query over the same JSON Lines (issue 13).

Doses, volumes and concentrations are parsed by regular expressions, frequency and duration by a table of
the phrasings the benchmark's generator writes plus ``every N unit``; each rule is a ``CASE`` that gives its
id or NULL. It runs on 2 threads and writes one JSON line per order (ids, status, rule ids) in input order.
It validates nothing and words no message: an order whose dose it cannot parse is ``invalid``, a field it
does not know is ignored. It is the speed users compare doseguard with, not a second checker: the rules'
parameters are copied from ``rules/b12`` and ``rules/notation`` as of 2026-12-04.

The child side (``duckdb_check``) runs as ``bench.py _duckdb SOURCE TARGET``; the parent side
(``run_duckdb``) starts it under the memory monitor, as for the other baselines.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from memory_monitor import measure
from runs import BenchmarkError, Options, Run, fail_message, file_facts

HERE = Path(__file__).resolve().parent
BENCH = HERE / "bench.py"
DUCKDB_ROLE = "_duckdb"
THREADS = 2

RULES = (
    "B12-CONC-MISMATCH",
    "B12-DOSE-VOLUME-MISMATCH",
    "B12-DOSE-HIGH",
    "B12-DOSE-IMPLAUSIBLE",
    "B12-ROUTE",
    "B12-SITE-VOLUME",
    "B12-SITE-ROUTE",
    "B12-CONTRAINDICATION",
    "B12-ORDER-INCOMPLETE",
    "B12-PHASE-FREQUENCY",
    "B12-REPLETION-TOO-LONG",
    "B12-WEEKLY-TOO-LONG",
    "B12-FREQUENCY-TOO-OFTEN",
    "B12-REASSESS",
    "NOTATION-TRAILING-ZERO",
    "NOTATION-ERROR-PRONE",
)
"""The rules the query implements (what its test compares with doseguard's findings)."""

COLUMNS = {
    "order_id": "VARCHAR",
    "patient_id": "VARCHAR",
    "drug": "VARCHAR",
    "concentration": "VARCHAR",
    "product_concentration": "VARCHAR",
    "route": "VARCHAR",
    "site": "VARCHAR",
    "dose": "VARCHAR",
    "volume": "VARCHAR",
    "frequency": "VARCHAR",
    "duration": "VARCHAR",
    "phase": "VARCHAR",
    "allergies": "VARCHAR[]",
    "administrations_given": "BIGINT",
    "red_flags": "VARCHAR[]",
}

_NUMBER = r"([0-9]*\.?[0-9]+)"
_UNIT_DAYS = {
    "day": 1, "days": 1, "week": 7, "weeks": 7, "month": 30, "months": 30, "year": 365, "years": 365,
}  # fmt: skip
_SITE_MAX_ML = {
    "deltoid": 2, "vastus_lateralis": 3, "ventrogluteal": 3, "dorsogluteal": 3, "upper_arm": 2, "thigh": 3,
    "buttock": 3,
}  # fmt: skip


def _lookup(expression: str, table: dict[str, int]) -> str:
    """``table[expression]`` in SQL (NULL for a key not in it): a struct's subscript must be a constant."""
    cases = " ".join(f"WHEN '{key}' THEN {value}" for key, value in table.items())
    return f"(CASE {expression} {cases} END)"


_DURATION_UNIT_DAYS = _lookup("lower(regexp_extract(duration, '([a-z]+)\\s*$', 1, 'i'))", _UNIT_DAYS)
_FREQUENCY_UNIT_DAYS = _lookup("regexp_extract(frequency, '^every [0-9.]+ ([a-z]+)$', 1)", _UNIT_DAYS)
_SITE_MAX = _lookup("site", _SITE_MAX_ML)
_COLUMNS = ", ".join(f"'{name}': '{kind}'" for name, kind in COLUMNS.items())

QUERY = f"""
WITH orders AS (
    SELECT * FROM read_json(?, format = 'newline_delimited', columns = {{{_COLUMNS}}})
),
parsed AS (
    SELECT
        order_id, patient_id, dose, volume, route, phase, allergies, administrations_given, red_flags,
        lower(trim(frequency)) AS frequency,
        CASE regexp_extract(dose, '^\\s*{_NUMBER}\\s*(mcg|mg)\\s*$', 2)
            WHEN 'mcg' THEN CAST(regexp_extract(dose, '^\\s*{_NUMBER}', 1) AS DOUBLE)
            WHEN 'mg' THEN CAST(regexp_extract(dose, '^\\s*{_NUMBER}', 1) AS DOUBLE) * 1000
        END AS dose_mcg,
        CASE WHEN regexp_matches(volume, '^\\s*{_NUMBER}\\s*ml\\s*$', 'i')
            THEN CAST(regexp_extract(volume, '^\\s*{_NUMBER}', 1) AS DOUBLE) END AS volume_ml,
        CASE regexp_extract(concentration, '^\\s*{_NUMBER}\\s*(mcg|mg)/ml\\s*$', 2, 'i')
            WHEN 'mcg' THEN CAST(regexp_extract(concentration, '^\\s*{_NUMBER}', 1) AS DOUBLE)
            WHEN 'mg' THEN CAST(regexp_extract(concentration, '^\\s*{_NUMBER}', 1) AS DOUBLE) * 1000
        END AS concentration_mcg_per_ml,
        CASE regexp_extract(product_concentration, '^\\s*{_NUMBER}\\s*(mcg|mg)/ml\\s*$', 2, 'i')
            WHEN 'mcg' THEN CAST(regexp_extract(product_concentration, '^\\s*{_NUMBER}', 1) AS DOUBLE)
            WHEN 'mg' THEN CAST(regexp_extract(product_concentration, '^\\s*{_NUMBER}', 1) AS DOUBLE) * 1000
        END AS product_concentration_mcg_per_ml,
        replace(lower(trim(site)), ' ', '_') AS site,
        CASE WHEN lower(trim(duration)) = 'lifelong' THEN 36500.0
            ELSE CAST(regexp_extract(duration, '^\\s*{_NUMBER}\\s*[a-z]+\\s*$', 1, 'i') AS DOUBLE)
                * {_DURATION_UNIT_DAYS}
        END AS duration_days
    FROM orders
),
scheduled AS (
    SELECT *,
        CASE frequency
            WHEN 'daily' THEN 1.0
            WHEN 'every other day' THEN 2.0
            WHEN 'qod' THEN 2.0
            WHEN 'three times a week' THEN 7.0 / 3
            WHEN 'weekly' THEN 7.0
            WHEN 'monthly' THEN 30.0
            ELSE CAST(regexp_extract(frequency, '^every {_NUMBER} [a-z]+$', 1) AS DOUBLE)
                * {_FREQUENCY_UNIT_DAYS}
        END AS interval_days
    FROM parsed
),
checked AS (
    SELECT order_id, patient_id, dose_mcg, dose, list_filter([
        CASE WHEN concentration_mcg_per_ml != product_concentration_mcg_per_ml THEN 'B12-CONC-MISMATCH' END,
        CASE WHEN abs(volume_ml - dose_mcg / coalesce(product_concentration_mcg_per_ml,
                concentration_mcg_per_ml, 1000)) > 0.005 + 0.000001 THEN 'B12-DOSE-VOLUME-MISMATCH' END,
        CASE WHEN dose_mcg > 1000 AND dose_mcg < 10000 THEN 'B12-DOSE-HIGH' END,
        CASE WHEN dose_mcg >= 10000 OR volume_ml > 5 THEN 'B12-DOSE-IMPLAUSIBLE' END,
        CASE WHEN upper(route) NOT IN ('IM', 'SC') THEN 'B12-ROUTE' END,
        CASE WHEN upper(route) = 'IM' AND volume_ml > {_SITE_MAX}
            THEN 'B12-SITE-VOLUME' END,
        CASE WHEN (upper(route) = 'IM' AND site NOT IN ('deltoid', 'vastus_lateralis', 'ventrogluteal',
                'dorsogluteal', 'upper_arm', 'thigh', 'buttock'))
            OR (upper(route) = 'SC' AND site NOT IN ('abdomen', 'thigh', 'upper_arm', 'back_of_arm',
                'buttock', 'deltoid', 'vastus_lateralis')) THEN 'B12-SITE-ROUTE' END,
        CASE WHEN regexp_matches(lower(array_to_string(allergies, ' ; ')),
                '\\b(cobalt|cobalamins?|cobalamine|cyanocobalamine?|hydroxocobalamine?|hydroxycobalamin'
                '|methylcobalamin|mecobalamin|adenosylcobalamin|b12|vitb12)\\b')
            THEN 'B12-CONTRAINDICATION' END,
        CASE WHEN dose_mcg IS NULL OR volume_ml IS NULL OR interval_days IS NULL
                OR duration_days IS NULL OR route IS NULL THEN 'B12-ORDER-INCOMPLETE' END,
        CASE WHEN (phase = 'maintenance' AND interval_days < 7 AND interval_days >= 1)
                OR (phase = 'repletion' AND interval_days >= 28) THEN 'B12-PHASE-FREQUENCY' END,
        CASE WHEN (phase = 'repletion' OR phase IS NULL) AND interval_days >= 1 AND interval_days < 7
                AND duration_days > 56 THEN 'B12-REPLETION-TOO-LONG' END,
        CASE WHEN (phase = 'repletion' OR phase IS NULL) AND interval_days >= 7 AND interval_days < 14
                AND duration_days > 92 THEN 'B12-WEEKLY-TOO-LONG' END,
        CASE WHEN interval_days < 1 THEN 'B12-FREQUENCY-TOO-OFTEN' END,
        CASE WHEN administrations_given >= 3 AND len(red_flags) > 0 THEN 'B12-REASSESS' END,
        CASE WHEN regexp_matches(dose, '[0-9]\\.0+\\b') OR regexp_matches(volume, '[0-9]\\.0+\\b')
            THEN 'NOTATION-TRAILING-ZERO' END,
        CASE WHEN frequency IN ('qod', 'qd', 'tiw', 'biw', 'qow') THEN 'NOTATION-ERROR-PRONE' END
    ], lambda rule: rule IS NOT NULL) AS rules
    FROM scheduled
)
SELECT
    order_id, patient_id,
    CASE WHEN dose_mcg IS NULL AND dose IS NOT NULL THEN 'invalid'
        WHEN len(rules) > 0 THEN 'flagged' ELSE 'pass' END AS status,
    CASE WHEN dose_mcg IS NULL AND dose IS NOT NULL THEN [] ELSE rules END AS rules
FROM checked
"""
"""The whole check: one statement, parameter 1 the input path (read as JSON Lines, columns declared)."""


def connect(threads: int = THREADS) -> Any:
    """A DuckDB connection in memory on ``threads`` threads (insertion order kept: results in input order)."""
    import duckdb  # noqa: PLC0415 (the child imports only what it uses)

    connection = duckdb.connect(":memory:")
    connection.execute(f"SET threads = {int(threads)}")
    connection.execute("SET preserve_insertion_order = true")
    return connection


def duckdb_check(source: Path, target: Path, threads: int = THREADS) -> int:
    """Check ``source`` into ``target`` (one JSON line per order, in input order); return the orders."""
    connection = connect(threads)
    relation = f"({QUERY})"
    copy = f"COPY {relation} TO '{_quoted(target)}' (FORMAT json, PRESERVE_ORDER true)"
    (written,) = connection.execute(copy, [str(source)]).fetchone()
    return int(written)


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def child(source: Path, target: Path) -> None:
    started = time.perf_counter()
    orders = duckdb_check(source, target)
    seconds = time.perf_counter() - started
    print(json.dumps({"orders": orders, "seconds": seconds}), flush=True)


def run_duckdb(options: Options, source: Path) -> Run:
    target = options.workdir / f"{source.stem}.duckdb.jsonl"
    command = [sys.executable, str(BENCH), DUCKDB_ROLE, str(source), str(target)]
    measurement = measure(command, options.workdir)
    if measurement.returncode != 0:
        raise BenchmarkError(fail_message("the DuckDB query", measurement))
    result = json.loads(measurement.stdout.strip().splitlines()[-1])
    facts = file_facts(target)
    if options.requested_workdir is None:
        target.unlink()
    return Run(
        f"DuckDB SQL ({THREADS} threads)",
        result["orders"],
        measurement,
        result["seconds"],
        {"output_lines": facts.lines, "threads": THREADS},
    )
