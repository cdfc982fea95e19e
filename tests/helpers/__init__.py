"""Helpers that several test modules share: plain constants and functions (the fixtures built on them
are in ``tests/conftest.py``). A test module imports from here, never from another test module."""
