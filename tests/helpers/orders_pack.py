"""A rule pack counting the patient's other orders (duplicate therapy): shared by the batch and CLI
tests of the batch's own orders as history."""

from __future__ import annotations

ORDERS_PACK = """\
name: b12
title: Vitamin B12
drugs:
  - name: cyanocobalamin
history:
  other_active_orders:
    count: orders
"""
ORDERS_RULES = """\
rules:
  - id: B12-DUPLICATE
    title: Duplicate B12 therapy
    severity: warning
    description: A test rule.
    references: [a source]
    when: other_active_orders >= 1
    message: "{other_active_orders} other active B12 orders"
"""
