"""serve.yaml read safely, every mistake located; flags over it; the defaults."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from doseguard.errors import ServiceConfigError
from doseguard.service.config import MIB, load_settings


def test_defaults_and_the_database_beside_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert (settings.host, settings.port, settings.max_request_bytes, settings.insecure_dev) == (
        "127.0.0.1",
        8080,
        MIB,
        False,
    )
    assert settings.base_url == "http://127.0.0.1:8080"
    assert settings.db == f"sqlite:///{tmp_path.resolve() / 'doseguard-feedback.sqlite3'}"


def test_a_config_file_with_flags_over_it(tmp_path: Path) -> None:
    config = tmp_path / "etc" / "serve.yaml"
    config.parent.mkdir()
    config.write_text(
        "port: 9000\npublic_base_url: https://cds.example.org/dg/\nrules: [packs]\noverrides: site.yaml\nauth: {issuers: [{iss: https://ehr.example.org, jwks_file: keys.json}]}\n"
    )
    settings = load_settings(config, {"port": 9100, "workers": None})
    assert settings.port == 9100 and settings.workers == 2
    assert settings.base_url == "https://cds.example.org/dg"
    assert settings.rules == (str(config.parent / "packs"),) and settings.overrides == str(
        config.parent / "site.yaml"
    )
    assert settings.db == f"sqlite:///{(config.parent / 'doseguard-feedback.sqlite3').resolve()}"
    assert settings.auth is not None
    assert [issuer.jwks_file for issuer in settings.auth.issuers] == [config.parent / "keys.json"]


def test_mistakes_are_located_like_a_rule_files(tmp_path: Path) -> None:
    config = tmp_path / "serve.yaml"
    config.write_text("host: 0.0.0.0\nprot: 9000\nmax_request_bytes: 10\n")
    with pytest.raises(ServiceConfigError) as raised:
        load_settings(config)
    assert [str(problem) for problem in raised.value.problems] == [
        f"{config}:3:20: max_request_bytes: Input should be greater than or equal to 1024",
        f"{config}:2:1: unknown key 'prot'; did you mean 'port'?",
    ]


def test_yaml_that_is_not_safe_or_not_a_mapping_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "serve.yaml"
    config.write_text("port: !!python/object:os.system 1\n")
    with pytest.raises(ServiceConfigError):
        load_settings(config)
    config.write_text("- a list\n")
    with pytest.raises(ServiceConfigError, match=r"a serve\.yaml is a mapping"):
        load_settings(config)
    with pytest.raises(ServiceConfigError, match="cannot read"):
        load_settings(tmp_path / "missing.yaml")


def test_the_readme_example_is_a_valid_serve_yaml(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    match = re.search(r"```yaml\n(# serve\.yaml.*?)```", readme, re.DOTALL)
    assert match, "the README shows a serve.yaml"
    config = tmp_path / "serve.yaml"
    config.write_text(match.group(1))
    settings = load_settings(config)
    assert settings.base_url == "https://cds.example.org/doseguard"
    assert settings.db == f"sqlite:///{tmp_path.resolve() / 'feedback.sqlite3'}"  # beside the file
