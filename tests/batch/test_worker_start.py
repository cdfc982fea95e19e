"""A worker compiles its rules once, when it starts, never again for the chunks it checks."""

from __future__ import annotations

import os
import pickle
import threading
from multiprocessing import Pipe
from pathlib import Path

import pytest
from benchmarks.generate import realistic, write_jsonl

from doseguard.batch import worker
from doseguard.batch.worker import FRAME, WorkerSetup
from doseguard.engine import compiled
from doseguard.io.chunk_reader import ChunkReader
from doseguard.rules.loader import load_rules
from doseguard.rules.source import RuleSource


def test_a_worker_compiles_its_rules_once_for_all_its_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []
    real = compiled.compile_condition

    def counted(condition: object) -> object:
        calls.append(condition)
        return real(condition)  # type: ignore[arg-type]

    monkeypatch.setattr(compiled, "compile_condition", counted)
    path = tmp_path / "orders.jsonl"
    write_jsonl(path, realistic(200))
    chunks = list(ChunkReader([str(path)], chunk_records=20))
    commands_in, commands_out = Pipe(duplex=False)
    results_in, results_out = Pipe(duplex=False)
    served = threading.Thread(
        target=worker._serve, args=(commands_in, results_out, WorkerSetup(RuleSource(), "jsonl"))
    )
    served.start()
    assert pickle.loads(results_in.recv_bytes()) == worker.Greeting()
    for chunk in chunks:
        payload = pickle.dumps(chunk)
        os.write(commands_out.fileno(), FRAME.pack(len(payload)) + payload)
    answers = [pickle.loads(results_in.recv_bytes()) for _ in chunks]
    commands_out.close()
    served.join(timeout=60)
    assert len(chunks) == 10 and sum(len(answer.records_meta()) for answer in answers) == 200
    assert len(calls) == len(load_rules().rules)  # once each, at start: not once per chunk
