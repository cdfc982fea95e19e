"""The doseguard step library, loaded as a plugin so that pytest-bdd sees its steps and markers."""

pytest_plugins = ["doseguard.testing.steps"]
