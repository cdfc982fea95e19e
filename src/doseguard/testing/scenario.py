"""What a scenario's order is when it does not say: shared by the order steps and the patient and
history steps, so that "3 days before the order" and an age from a birth date mean one thing."""

from __future__ import annotations

SCENARIO_ORDERED_AT = "2026-03-01T09:00:00Z"
"""The ``ordered_at`` of every scenario order that states none (``Given a standard ... order``,
``Given an order:``): windows and ages are counted from it, never from today, so a scenario gives the
same answer next year. ``Given an order as JSON:`` is the record exactly as sent and gets none."""
