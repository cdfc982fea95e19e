"""A run stopped by a signal (timeout(1), systemd, a container stop, Ctrl-C, a closed terminal)
leaves every output as it was before the run: no temporary file, no half-written target, the earlier
summary intact, and no worker process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from benchmarks.generate import realistic, write_jsonl

import doseguard.io.outputs as outputs_module
from doseguard.cli.main import main
from tests.helpers.cli import DOSEGUARD

OUTPUTS = ("out.jsonl", "report.html", "summary.json")


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("signals") / "big.jsonl"
    write_jsonl(path, realistic(150_000))
    return path


def children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def wait_until_results_are_written(run: subprocess.Popen[bytes], folder: Path) -> None:
    """Until a file in ``folder`` has bytes (the run's temporary output), the run ends, or 120 s pass."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and run.poll() is None:
        if any(p.stat().st_size for p in folder.iterdir()):
            return
        time.sleep(0.01)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=lambda s: s.name)
def test_a_signal_mid_run_leaves_every_output_as_it_was(tmp_path: Path, big: Path, signum: int) -> None:
    earlier = {name: f"earlier {name}\n" for name in OUTPUTS}
    for name, text in earlier.items():
        (tmp_path / name).write_text(text)
    run = subprocess.Popen(
        [str(DOSEGUARD), "check", str(big), "--jobs", "2", "--fail-on", "never",
         "-o", str(tmp_path / "out.jsonl"), "--report", str(tmp_path / "report.html"),
         "--summary", str(tmp_path / "summary.json")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        # the signal as a terminal sends it, even when this suite runs under nohup (which doseguard,
        # rightly, would inherit and keep)
        preexec_fn=lambda: signal.signal(signum, signal.SIG_DFL),  # noqa: PLW1509
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        temporary: list[Path] = []
        while time.monotonic() < deadline and run.poll() is None:  # until results are being written
            temporary = [p for p in tmp_path.iterdir() if p.name not in OUTPUTS and p.stat().st_size]
            if temporary:
                break
            time.sleep(0.01)
        assert temporary, "the run wrote nothing to a temporary file before it ended"
        workers = children(run.pid)
        os.kill(run.pid, signum)
        _, stderr = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 128 + signum, stderr
    assert f"stopped by {signal.Signals(signum).name}".encode() in stderr
    assert {name: (tmp_path / name).read_text() for name in OUTPUTS} == earlier
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(OUTPUTS)
    deadline = time.monotonic() + 30
    while not all(map(gone, workers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(map(gone, workers))


def test_workers_of_a_killed_run_leave_quietly(tmp_path: Path, big: Path) -> None:
    """``kill -9`` of the main process: its workers, finding their pipes gone, left with a
    ``BrokenPipeError`` traceback each on the run's stderr. They leave without a word; the temporary
    file (which nothing can remove) is a hidden ``.NAME.XXXXXXXX.partial`` beside the target."""
    run = subprocess.Popen(
        [str(DOSEGUARD), "check", str(big), "--jobs", "2", "--fail-on", "never", "-o", str(tmp_path / "out.jsonl")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        wait_until_results_are_written(run, tmp_path)
        workers = children(run.pid)
        assert workers
        os.kill(run.pid, signal.SIGKILL)
        _, stderr = run.communicate(timeout=120)  # until every worker has let go of stderr
    finally:
        if run.poll() is None:
            run.kill()
    assert b"Traceback" not in stderr, stderr.decode()
    deadline = time.monotonic() + 30  # the resource tracker leaves when the last worker has
    while not all(map(gone, workers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(map(gone, workers))
    assert [p.name.startswith(".out.jsonl.") and p.name.endswith(".partial") for p in tmp_path.iterdir()] == [
        True
    ]


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGINT], ids=lambda s: s.name)
def test_a_signal_ignored_at_start_stays_ignored(tmp_path: Path, big: Path, signum: int) -> None:
    """``nohup doseguard check ...`` (SIGHUP ignored), or a background job of a script (SIGINT
    ignored): doseguard caught the signal anyway, so closing the terminal stopped a nohup'ed run."""
    out = tmp_path / "out.jsonl"
    run = subprocess.Popen(
        [str(DOSEGUARD), "check", str(big), "--jobs", "2", "--fail-on", "never", "-o", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signum, signal.SIG_IGN),  # noqa: PLW1509
    )  # fmt: skip
    try:
        wait_until_results_are_written(run, tmp_path)
        assert run.poll() is None, "the run ended before the signal could be sent"
        os.kill(run.pid, signum)
        _, stderr = run.communicate(timeout=300)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, stderr
    assert len(out.read_bytes().splitlines()) == 150_000


def test_a_signal_during_the_commit_does_not_claim_nothing_was_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A SIGTERM that arrives while the outputs are renamed waits until they are; the run then
    stopped with 'no output file was written' while every output had been replaced, whole."""
    orders = tmp_path / "orders.jsonl"
    write_jsonl(orders, realistic(3))
    out, summary = tmp_path / "out.jsonl", tmp_path / "summary.json"
    publish = outputs_module._Output.publish

    def publish_then_signal(self: outputs_module._Output) -> None:
        publish(self)
        os.kill(os.getpid(), signal.SIGTERM)  # blocked until the commit is done

    monkeypatch.setattr(outputs_module._Output, "publish", publish_then_signal)
    monkeypatch.setattr(
        "sys.argv", ["doseguard", "check", str(orders), "-o", str(out), "--summary", str(summary)]
    )
    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code == 128 + signal.SIGTERM
    assert len(out.read_bytes().splitlines()) == 3
    assert summary.exists()
    said = capsys.readouterr().err
    assert "stopped by SIGTERM" in said
    assert "no output file was written" not in said
    assert "every output was written" in said
