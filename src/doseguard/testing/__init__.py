"""Testing support for doseguard: a pytest-bdd step library for writing checks of orders in Gherkin.

Installing doseguard installs the pytest plugin (``doseguard.testing.plugin``, a ``pytest11`` entry point):
every pytest run of that environment has the steps, with no ``conftest.py`` and no ``pytest_plugins``
line. A repository of rule packs needs only YAML, ``.feature`` files and a ``pytest.ini``::

    [pytest]
    doseguard_rules = rules
    doseguard_collect_features = true

Feature files can build an order (``Given a standard cyanocobalamin order``, ``Given an order:``
with a field | value table, ``Given an order as JSON:`` with a docstring), change it (``Given the
order's dose is "500 mcg"``, ``Given the order has no dose``), state the patient (``Given the
patient weighs 80 kg``) and their history (``Given these administrations:``, ``Given these lab
results:``, ``Given the patient has another active order:``, tables; docs/history-rules.md) and say
what the checker must answer
(``Then the order passes``, ``Then the order is flagged B12-ROUTE as warning``, ``Then the
suggested fix sets volume_ml to 0.5 mL``, ...). Every rule id of
the rule packs is registered as a pytest marker, so scenarios can be tagged ``@B12-ROUTE`` and run
with ``pytest -m B12-ROUTE``. ``doseguard rules test`` runs the same scenarios and reports rule coverage
(:mod:`doseguard.testing.coverage`).
"""
