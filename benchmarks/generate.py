"""Deterministic order generators for the benchmark.

``realistic``: standard B12 order sentences as an EHR emits them (a small set repeated), with about
10% defective ones (wrong volume, mg for mcg, IV, missing duration, notation). ``worst``: every order
differs in fields the rules read (dose, volume, frequency, duration, administrations given), so no result
can be reused, and every order is valid, so every one goes through the engine.

Both are deterministic: the same count gives the same bytes (the benchmark records their sha256).
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SENTENCE_FIELDS = ("dose", "volume", "frequency", "duration", "phase")
STANDARD_SENTENCES: list[dict[str, Any]] = [
    dict(zip(SENTENCE_FIELDS, sentence, strict=True))
    for sentence in (
        ("1000 mcg", "1 mL", "daily", "7 days", "repletion"),
        ("1000 mcg", "1 mL", "every other day", "2 weeks", "repletion"),
        ("1000 mcg", "1 mL", "weekly", "4 weeks", "repletion"),
        ("1000 mcg", "1 mL", "monthly", "lifelong", "maintenance"),
        ("1 mg", "1 mL", "three times a week", "2 weeks", "repletion"),
        ("1 mg", "1 mL", "every 3 months", "lifelong", "maintenance"),
        ("100 mcg", "0.1 mL", "daily", "7 days", "repletion"),
        ("500 mcg", "0.5 mL", "weekly", "8 weeks", "repletion"),
    )
]
DEFECTS: list[dict[str, Any]] = [
    {"volume": "2 mL"},
    {"dose": "1000 mg"},
    {"route": "IV"},
    {"duration": None},
    {"volume": "1.0 mL"},
    {"concentration": "100 mcg/mL"},
    {"frequency": "QOD"},
    {"allergies": ["cobalt"]},
    {"administrations_given": 4, "red_flags": ["no_reticulocyte_response"]},
    {"dose": "one thousand"},
]
SITES = ["deltoid", "ventrogluteal", "vastus lateralis"]
MAX_ADMINISTRATIONS = 100_000
"""The order model's limit: above it an order is invalid (and would never reach the engine)."""


def _base(index: int) -> dict[str, Any]:
    return {
        "order_id": f"ORD-{index:08d}",
        "patient_id": f"PT-{index % 250_000:06d}",
        "drug": "cyanocobalamin",
        "concentration": "1000 mcg/mL",
        "product_concentration": "1000 mcg/mL",
        "route": "IM",
    }


def realistic(count: int, seed: int = 12) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    for index in range(count):
        order = {**_base(index), "site": rng.choice(SITES), **rng.choice(STANDARD_SENTENCES)}
        if rng.random() < 0.10:
            order.update(rng.choice(DEFECTS))
        yield {k: v for k, v in order.items() if v is not None}


def worst(count: int, seed: int = 12) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    for index in range(count):
        dose = rng.randint(1, 5000)
        volume = round(dose / 1000 + rng.choice((0, 0, 0.01, -0.01, 0.5)), 3)
        yield {
            **_base(index),
            "site": rng.choice(SITES),
            "dose": f"{dose} mcg",
            "volume": f"{max(volume, 0.001):g} mL",
            "frequency": f"every {rng.randint(1, 90)} days",
            "duration": f"{rng.randint(1, 52)} weeks",
            "phase": rng.choice(("repletion", "maintenance")),
            # Unique up to the limit; past it, the random fields above keep orders distinct (a repeat of
            # every field read by the rules is about one in 10^9 per pair of orders).
            "administrations_given": index % (MAX_ADMINISTRATIONS + 1),
        }


def write_jsonl(path: Path, orders: Iterator[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for order in orders:
            out.write(json.dumps(order, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    kind, count, target = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    write_jsonl(target, {"realistic": realistic, "worst": worst}[kind](count))
