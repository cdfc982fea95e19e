"""``doseguard serve``: what it refuses to start with (exit 2), and the real server started as a
process, answering on loopback, stopped by SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import uvloop

from doseguard.cli.serve_command import event_loop_factory
from doseguard.feedback.store import FeedbackStore
from doseguard.feedback.tables import issued_cards
from tests.helpers.cli import invoke
from tests.service.fhir_data import full_prefetch, hook_request, medication_request


def test_insecure_dev_only_on_loopback() -> None:
    result = invoke("serve", "--insecure-dev", "--host", "0.0.0.0")
    assert result.exit_code == 2
    assert "--insecure-dev listens on loopback only" in result.stderr


def test_no_verifier_and_no_insecure_dev_does_not_start() -> None:
    result = invoke("serve")
    assert result.exit_code == 2
    assert "no token verifier is configured" in result.stderr and "--insecure-dev" in result.stderr


def test_a_config_with_mistakes_is_located(tmp_path: Path) -> None:
    config = tmp_path / "serve.yaml"
    config.write_text("port: eighty\n")
    result = invoke("serve", "--config", config)
    assert result.exit_code == 2
    assert f"{config}:1:7: port: Input should be a valid integer" in result.stderr


def test_rules_that_do_not_exist_stop_it(tmp_path: Path) -> None:
    result = invoke("serve", "--insecure-dev", "--rules", tmp_path / "nowhere")
    assert result.exit_code == 2
    assert "nowhere" in result.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_service_runs_and_answers_discovery(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    args = [sys.executable, "-m", "doseguard", "serve", "--insecure-dev", "--port", str(port)]
    process = subprocess.Popen(args, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        said = []
        for line in process.stderr:  # until uvicorn says it listens (or the process ends)
            said.append(line)
            if "Uvicorn running on" in line:
                break
        assert any("INSECURE DEVELOPMENT MODE" in line for line in said), said
        assert any('"event loop: uvloop"' in line for line in said), said  # the dev extra has uvloop
        response = httpx.get(f"http://127.0.0.1:{port}/cds-services", timeout=30)
        assert response.status_code == 200
        assert [s["id"] for s in response.json()["services"]] == [
            "doseguard-order-select",
            "doseguard-order-sign",
        ]
        assert httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=30).json()["info"]["title"]
    finally:
        process.send_signal(signal.SIGTERM)
        _, rest = process.communicate(timeout=60)
    assert "Finished server process" in rest  # a graceful shutdown, then the signal's status (143)
    assert process.returncode == -signal.SIGTERM


def test_the_event_loop_is_uvloop_when_installed_else_asyncio(monkeypatch: pytest.MonkeyPatch) -> None:
    assert event_loop_factory() is uvloop.new_event_loop
    monkeypatch.setitem(sys.modules, "uvloop", None)  # as if not installed: import raises ImportError
    assert event_loop_factory() is None


def test_cards_answered_just_before_sigterm_are_in_the_store(tmp_path: Path) -> None:
    """The cards are written behind the answers (service/card_recorder.py): a SIGTERM right after
    the answers still leaves every card issued in the feedback database."""
    port, db = free_port(), tmp_path / "feedback.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    args = [sys.executable, "-m", "doseguard", "serve", "--insecure-dev", "--port", str(port),
            "--db", f"sqlite:///{db}"]  # fmt: skip
    process = subprocess.Popen(args, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    uuids: set[str] = set()
    try:
        assert process.stderr is not None
        for line in process.stderr:
            if "Uvicorn running on" in line:
                break
        body = hook_request("order-sign", medication_request("MR-1", route="IV"), prefetch=full_prefetch())
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for _ in range(20):
                answer = client.post("/cds-services/doseguard-order-sign", json=body)
                uuids |= {card["uuid"] for card in answer.json()["cards"]}
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)
    assert len(uuids) >= 20
    with FeedbackStore.open(f"sqlite:///{db}") as store, store.engine.connect() as connection:
        stored = {row.uuid for row in connection.execute(issued_cards.select())}
    assert stored == uuids
