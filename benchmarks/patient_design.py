"""How should a patient's history reach the engine? Two designs measured with durable-rules directly.

(a) **flat** (the chosen design): one order fact per order, its history aggregates computed in Python
    beforehand and sent as fields; orders asserted in batches of 128 facts with distinct ids into one
    sid, every action drained, the state deleted (what ``engine/adapter.py`` does).
(b) **per-patient sid**: one sid per patient holding its history facts (30 administrations and 20 lab
    results, each with its days-before-order computed in Python) and the order; rules join the order
    with history facts on equality (patient, order) and compare windows and thresholds within one fact
    (inequality joins segfault, #381). Context facts go in first (``$not`` only blocks when the negating
    fact was asserted first), the state is deleted after each patient (1024 live sids at most).
(c) the Python cost of computing the aggregates design (a) needs, from the same history: a stand-in
    (the four fields the rules read, written by hand) and the real ``doseguard.patients.aggregates``
    (six aggregates of a pack's ``history:`` block, from PatientContexts built beforehand).

Both designs evaluate the same three rules, and the script checks they fire on the same orders:

* HB-LOW: a haemoglobin result in the 30 days before the order below 8 g/dL;
* MISSED: a missed dose in the 28 days before the order;
* NO-K: no potassium result in the first 2 days after the first dose of the course (a ``$not``).

A fourth rule, "4 or more doses given and haemoglobin has not risen by 1 g/dL", cannot be written in (b)
at all (no accumulate: no count over a window, no "latest minus first"): it is in (a) only.

Usage: ``.venv/bin/python benchmarks/patient_design.py [--patients N]`` (default 5,000). Prints a JSON
summary. Benchmarks may import durable-rules; ``src/`` code outside ``engine/`` may not.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import durable_rules_engine as engine

from doseguard.orders.normalise import OrderNormaliser
from doseguard.patients.aggregates import AggregateComputer
from doseguard.patients.model import (
    Administration,
    AdministrationStatus,
    HistoryKind,
    LabResult,
    PatientContext,
)
from doseguard.rules.loader import load_rules

ADMINISTRATIONS = 30
LABS = 20
BATCH = 128
SEED = 11
RANGES = {
    "haemoglobin": (6.5, 14.0),
    "mcv": (80.0, 120.0),
    "reticulocytes": (0.5, 4.0),
    "potassium": (3.0, 5.5),
}


@dataclass
class Patient:
    pid: str
    administrations: list[dict[str, Any]]  # days_before (float, >= 0), status
    labs: list[dict[str, Any]]  # test, value, days_before
    first_dose_days_before: float


def make_patients(count: int, seed: int = SEED) -> list[Patient]:
    rng = random.Random(seed)
    patients = []
    for index in range(count):
        start = rng.uniform(10.0, 120.0)  # first dose of the course, days before the order
        administrations = []
        for number in range(ADMINISTRATIONS):
            days = round(max(start - number * start / ADMINISTRATIONS, 0.0), 3)
            status = "missed" if rng.random() < 0.02 else "given"
            administrations.append({"days_before": days, "status": status})
        labs = []
        for _ in range(LABS):
            test = rng.choice(("haemoglobin", "haemoglobin", "mcv", "reticulocytes", "potassium"))
            days = round(rng.uniform(0.0, start + 30.0), 3)
            low, high = RANGES[test]
            value = rng.uniform(low, high)
            labs.append({"test": test, "value": round(value, 2), "days_before": days})
        patients.append(Patient(f"P{index}", administrations, labs, start))
    return patients


# -- (c) the aggregates in Python ------------------------------------------------------------------


def aggregates(patient: Patient) -> dict[str, float]:
    """The fields design (a) sends: computed from the patient's history, relative to the order."""
    given = [a["days_before"] for a in patient.administrations if a["status"] == "given"]
    first = patient.first_dose_days_before
    out: dict[str, float] = {"doses_given": float(len(given))}
    if any(a["status"] == "missed" and a["days_before"] <= 28 for a in patient.administrations):
        out["missed_doses_28_days"] = 1.0
    else:
        out["missed_doses_28_days"] = 0.0
    hb = sorted((lab["days_before"], lab["value"]) for lab in patient.labs if lab["test"] == "haemoglobin")
    recent = [value for days, value in hb if days <= 30]
    if recent:
        out["haemoglobin_min_30_days"] = min(recent)
        out["haemoglobin_latest"] = hb[0][1]
    before_first = [value for days, value in hb if days >= first]
    if hb and before_first:
        out["haemoglobin_rise"] = round(hb[0][1] - before_first[0], 3)
    out["potassium_checks_first_2_days"] = float(
        sum(
            1
            for lab in patient.labs
            if lab["test"] == "potassium" and first - 2 <= lab["days_before"] <= first
        )
    )
    return out


# -- the two rulesets ------------------------------------------------------------------------------

FLAT_RULES: dict[str, Any] = {
    "catch": {"all": [{"m": {"kind": "order"}}]},
    "HB-LOW": {"all": [{"m": {"$and": [{"kind": "order"}, {"$ex": {"haemoglobin_min_30_days": 1}},
                                        {"$lt": {"haemoglobin_min_30_days": 8.0}}]}}]},
    "MISSED": {"all": [{"m": {"$and": [{"kind": "order"}, {"$gt": {"missed_doses_28_days": 0.0}}]}}]},
    "NO-K": {"all": [{"m": {"$and": [{"kind": "order"}, {"potassium_checks_first_2_days": 0.0}]}}]},
    "NOT-RISING": {"all": [{"m": {"$and": [{"kind": "order"}, {"$gte": {"doses_given": 4.0}},
                                            {"$ex": {"haemoglobin_rise": 1}},
                                            {"$lt": {"haemoglobin_rise": 1.0}}]}}]},
}  # fmt: skip

JOIN_RULES: dict[str, Any] = {
    # every fact must meet a rule (an unhandled fact, then delete_state, segfaults)
    "catch": {"all": [{"m": {"kind": "order"}}]},
    "catch-adm": {"all": [{"m": {"kind": "adm"}}]},
    "catch-lab": {"all": [{"m": {"kind": "lab"}}]},
    "HB-LOW": {"all": [
        {"o": {"kind": "order"}},
        {"h": {"$and": [{"kind": "lab"}, {"test": "haemoglobin"}, {"patient": {"o": "patient"}},
                         {"order": {"o": "order"}}, {"$lte": {"days_before": 30.0}},
                         {"$lt": {"value": 8.0}}]}},
    ]},
    "MISSED": {"all": [
        {"o": {"kind": "order"}},
        {"a": {"$and": [{"kind": "adm"}, {"status": "missed"}, {"patient": {"o": "patient"}},
                         {"order": {"o": "order"}}, {"$lte": {"days_before": 28.0}}]}},
    ]},
    "NO-K": {"all": [
        {"o": {"kind": "order"}},
        {"k$not": {"$and": [{"kind": "lab"}, {"test": "potassium"}, {"patient": {"o": "patient"}},
                             {"order": {"o": "order"}}, {"first_dose_window": 1.0}]}},
    ]},
}  # fmt: skip

_names = iter(range(1, 1_000_000))


def create(rules: dict[str, Any]) -> Any:
    return engine.create_ruleset(f"design-{next(_names)}", json.dumps(rules))


def drain(handle: Any, facts: str, many: bool, sid: str) -> list[str]:
    """Assert, run every action (each action message names its rule), delete the state."""
    code, state = (engine.assert_facts if many else engine.assert_fact)(handle, facts)
    if code != 0:
        raise RuntimeError(f"assert returned {code}")
    fired = []
    result = engine.start_action_for_state(handle, state)
    while result:
        message = result[1] if isinstance(result, tuple) else result
        fired.append(message)
        result = engine.complete_and_start_action(handle, state)
    engine.delete_state(handle, sid)
    return fired


def _rule_of(message: str) -> str:
    return message[2 : message.index('"', 2)]


# -- (a) flat --------------------------------------------------------------------------------------


def run_flat(facts: list[dict[str, float]]) -> tuple[float, list[set[str]]]:
    handle = create(FLAT_RULES)
    encoded = [
        json.dumps({"kind": "order", "sid": "0", "id": str(n), **f}, separators=(",", ":"))
        for n, f in enumerate(facts)
    ]
    fired: list[set[str]] = [set() for _ in facts]
    started = time.perf_counter()
    for start in range(0, len(encoded), BATCH):
        part = encoded[start : start + BATCH]
        for message in drain(handle, "[" + ",".join(part) + "]", True, "0"):
            at = message.index('"id":"') + 6
            fired[int(message[at : message.index('"', at)])].add(_rule_of(message))
    seconds = time.perf_counter() - started
    for names in fired:
        names.discard("catch")
    return seconds, fired


# -- (b) one sid per patient ------------------------------------------------------------------------


def history_facts(patient: Patient, order: str) -> list[dict[str, Any]]:
    first = patient.first_dose_days_before
    facts: list[dict[str, Any]] = []
    for n, a in enumerate(patient.administrations):
        facts.append({"kind": "adm", "id": f"a{n}", "patient": patient.pid, "order": order, **a})
    for n, lab in enumerate(patient.labs):
        window = 1.0 if first - 2 <= lab["days_before"] <= first else 0.0  # computed in Python, too
        facts.append({"kind": "lab", "id": f"l{n}", "patient": patient.pid, "order": order,
                      "first_dose_window": window, **lab})  # fmt: skip
    return facts


def run_joined(patients: list[Patient], *, order_first: bool = False) -> tuple[float, list[set[str]]]:
    handle = create(JOIN_RULES)
    prepared = []
    for n, patient in enumerate(patients):
        sid = str(n % 1000)  # sids are reused: at most one is live at a time (1024 at most)
        order = json.dumps({"kind": "order", "sid": sid, "id": "o", "patient": patient.pid, "order": f"O{n}"})
        facts = [{"sid": sid, **f} for f in history_facts(patient, f"O{n}")]
        prepared.append((sid, order, json.dumps(facts)))
    fired: list[set[str]] = []
    started = time.perf_counter()
    for sid, order, history in prepared:
        names: set[str] = set()
        # order_first is the wrong order: the $not rule has fired before the potassium arrives
        steps = [(order, False), (history, True)] if order_first else [(history, True), (order, False)]
        code, state = 0, None
        for batch, many in steps:
            code, state = (engine.assert_facts if many else engine.assert_fact)(handle, batch)
            if code != 0:
                raise RuntimeError(f"assert returned {code}")
        result = engine.start_action_for_state(handle, state)
        while result:
            message = result[1] if isinstance(result, tuple) else result
            names.add(_rule_of(message))
            result = engine.complete_and_start_action(handle, state)
        engine.delete_state(handle, sid)
        fired.append(names - {"catch", "catch-adm", "catch-lab"})
    return time.perf_counter() - started, fired


def observed_limit(limit: int = 60_000) -> int | None:
    """How many distinct facts one sid takes before MessageObservedException (None: all taken)."""
    handle = create({"catch-lab": {"all": [{"m": {"kind": "lab"}}]}})
    for n in range(limit):
        try:
            engine.assert_fact(handle, json.dumps({"kind": "lab", "sid": "big", "id": f"l{n}", "v": n}))
        except Exception:  # MessageObservedException, or the engine's error
            return n
    return None


REAL_PACK = """\
name: design
title: Design measurement
drugs:
  - name: cyanocobalamin
history:
  doses_given: {count: administrations, within_days: 90}
  missed_doses: {count: administrations, status: missed, within_days: 28}
  days_since_first_dose: {days_since_first: administrations}
  haemoglobin_latest: {latest: haemoglobin, within_days: 30}
  haemoglobin_rise: {change_since_first_dose: haemoglobin}
  potassium_checks_first_2_days: {count: potassium, days_after_first_dose: [0, 2]}
"""
REAL_RULES = """\
rules:
  - {id: D-HB, title: t, severity: info, description: d, references: [r],
     when: haemoglobin_latest < 8, message: m}
"""
UNITS = {"haemoglobin": "g/dL", "mcv": "fL", "reticulocytes": "%", "potassium": "mmol/L"}


def _context(patient: Patient, at: datetime) -> PatientContext:
    """The patient's history as the store would give it (sorted by time, aware datetimes)."""
    administrations = sorted(
        (
            Administration("cyanocobalamin", at - timedelta(days=a["days_before"]),
                           AdministrationStatus(a["status"]), 1000.0, None, "IM")
            for a in patient.administrations
        ),
        key=lambda a: a.given_at,
    )  # fmt: skip
    labs = sorted(
        (
            LabResult(lab["test"], lab["value"], at - timedelta(days=lab["days_before"]), UNITS[lab["test"]])
            for lab in patient.labs
        ),
        key=lambda r: r.taken_at,
    )
    kinds = frozenset({HistoryKind.ADMINISTRATIONS, HistoryKind.LABS})
    return PatientContext(patient.pid, kinds, {}, tuple(administrations), tuple(labs))


def real_aggregates_seconds(patients: list[Patient]) -> float:
    """The cost of ``doseguard.patients.aggregates`` (the real computation, six aggregates of a pack)
    over the same histories, from normalised orders and PatientContexts built beforehand."""
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "pack.yaml").write_text(REAL_PACK, encoding="utf-8")
        (Path(folder) / "rules.yaml").write_text(REAL_RULES, encoding="utf-8")
        rules = load_rules([Path(folder)])
    compute = AggregateComputer(list(rules.aggregates.values()))
    normaliser = OrderNormaliser(rules.drugs)
    at = datetime(2026, 6, 1, 9, tzinfo=UTC)
    order = {"drug": "cyanocobalamin", "dose": "1000 mcg", "route": "IM", "frequency": "weekly",
             "ordered_at": at.isoformat()}  # fmt: skip
    work = [(normaliser.normalise({**order, "order_id": p.pid, "patient_id": p.pid}), _context(p, at))
            for p in patients]  # fmt: skip
    started = time.perf_counter()
    for normalised, context in work:
        compute(normalised, context)
    return time.perf_counter() - started


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--patients", type=int, default=5_000)
    parser.add_argument("--observed-limit", action="store_true", help="also measure facts per sid")
    args = parser.parse_args(argv)
    patients = make_patients(args.patients)

    started = time.perf_counter()
    facts = [aggregates(p) for p in patients]
    aggregate_seconds = time.perf_counter() - started
    flat_seconds, flat = run_flat(facts)
    joined_seconds, joined = run_joined(patients)
    _, wrong_order = run_joined(patients, order_first=True)

    real_seconds = real_aggregates_seconds(patients)
    shared = {"HB-LOW", "MISSED", "NO-K"}
    disagree = sum(1 for x, y in zip(flat, joined, strict=True) if x & shared != y)
    no_k_wrong = sum(1 for x, y in zip(joined, wrong_order, strict=True) if ("NO-K" in x) != ("NO-K" in y))
    n = len(patients)
    summary: dict[str, Any] = {
        "patients (one order each)": n,
        "history facts per patient": ADMINISTRATIONS + LABS,
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "a_flat_orders_per_s": round(n / flat_seconds),
        "b_per_patient_sid_orders_per_s": round(n / joined_seconds),
        "c_aggregates_orders_per_s": round(n / aggregate_seconds),
        "a_plus_c_orders_per_s": round(n / (flat_seconds + aggregate_seconds)),
        "a_over_b": round(joined_seconds / flat_seconds, 1),
        "a_plus_c_over_b": round(joined_seconds / (flat_seconds + aggregate_seconds), 1),
        "c_real_aggregates_orders_per_s": round(n / real_seconds),
        "a_plus_c_real_orders_per_s": round(n / (flat_seconds + real_seconds)),
        "a_plus_c_real_over_b": round(joined_seconds / (flat_seconds + real_seconds), 1),
        "fired_per_rule_flat": {r: sum(r in f for f in flat) for r in sorted(FLAT_RULES) if r != "catch"},
        "orders_where_a_and_b_disagree_on_shared_rules": disagree,
        "b_order_asserted_before_history_NO_K_wrong": no_k_wrong,
    }
    if args.observed_limit:
        summary["distinct_facts_one_sid_takes"] = observed_limit()
    print(json.dumps(summary, indent=2))
    return 1 if disagree else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
