"""The feedback store's tests run against SQLite and a real PostgreSQL: ``store_url`` and
``postgres_cluster`` are in ``tests/conftest.py`` (the service's end-to-end tests use them too)."""
