"""Testing support for doseguard: a pytest-bdd step library for writing checks of orders in Gherkin.

Load it as a pytest plugin from a top-level ``conftest.py``::

    pytest_plugins = ["doseguard.testing.steps"]

Then feature files can build an order (``Given a standard cyanocobalamin order``, ``Given an order:``
with a field | value table, ``Given an order as JSON:`` with a docstring), change it (``Given the
order's dose is "500 mcg"``, ``Given the order has no dose``) and say what the checker must answer
(``Then the order passes``, ``Then the order is flagged B12-ROUTE as warning``, ...). Every rule id of
the rule packs is registered as a pytest marker, so scenarios can be tagged ``@B12-ROUTE`` and run
with ``pytest -m B12-ROUTE``. The ``doseguard_rules`` ini option names other rule folders.
"""
