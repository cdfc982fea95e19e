"""Output paths: a file appears whole or not at all, through a private temporary file; what a path
points at is never replaced by something else; streams are written as streams."""

from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from doseguard.io import outputs as outputs_module
from doseguard.io.outputs import OutputError, Outputs


def held_signals() -> list[int]:
    """The stopping signals that an output being made or committed holds back until it is done."""
    return outputs_module._holding.held


def others(folder: Path, *keep: Path) -> list[str]:
    """What is in ``folder`` besides ``keep``: temporary files left behind, for instance."""
    return sorted(p.name for p in folder.iterdir() if p not in keep)


def test_a_new_file_appears_only_when_committed_with_the_usual_mode(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    mask = os.umask(0o022)
    os.umask(mask)
    with Outputs() as outputs:
        outputs.open(str(target), "results").write(b"all\n")
        assert not target.exists()
        outputs.commit()
    assert target.read_bytes() == b"all\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    assert others(tmp_path, target) == []


def test_an_existing_file_is_replaced_whole_and_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_bytes(b"earlier\n")
    target.chmod(0o640)
    with Outputs() as outputs:
        outputs.open(str(target), "results").write(b"later\n")
        outputs.commit()
    assert target.read_bytes() == b"later\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_run_that_fails_leaves_the_target_untouched_and_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_bytes(b"earlier\n")
    with pytest.raises(RuntimeError), Outputs() as outputs:
        outputs.open(str(target), "results").write(b"half")
        raise RuntimeError("the run failed")
    assert target.read_bytes() == b"earlier\n"
    assert others(tmp_path, target) == []


def test_a_symlink_keeps_being_a_link_and_its_target_is_replaced(tmp_path: Path) -> None:
    real = tmp_path / "real" / "out.jsonl"
    real.parent.mkdir()
    real.write_bytes(b"earlier\n")
    link = tmp_path / "out.jsonl"
    link.symlink_to(real)
    with Outputs() as outputs:
        outputs.open(str(link), "results").write(b"later\n")
        outputs.commit()
    assert link.is_symlink()
    assert real.read_bytes() == b"later\n"
    assert others(real.parent, real) == []


def test_a_planted_link_at_the_old_partial_name_is_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious\n")
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / ".out.jsonl.partial").symlink_to(victim)
    with Outputs() as outputs:
        outputs.open(str(reports / "out.jsonl"), "results").write(b"results\n")
        outputs.commit()
    assert victim.read_bytes() == b"precious\n"
    assert (reports / "out.jsonl").read_bytes() == b"results\n"


def test_two_runs_to_the_same_file_never_mix_the_last_to_finish_wins_whole(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    with Outputs() as first, Outputs() as second:
        a = first.open(str(target), "results")
        b = second.open(str(target), "results")
        a.write(b"A" * 100_000)
        b.write(b"B" * 10)
        second.commit()
        a.write(b"A" * 100_000)
        first.commit()
    assert target.read_bytes() == b"A" * 200_000
    assert others(tmp_path, target) == []


def test_a_fifo_is_written_as_a_stream_and_stays_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "results.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    with Outputs() as outputs:
        outputs.open(str(fifo), "results").write(b"streamed\n")
        outputs.commit()
    reader.join(timeout=30)
    assert received == [b"streamed\n"]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert others(tmp_path, fifo) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_a_device_is_written_through_and_never_replaced(tmp_path: Path) -> None:
    """As root, ``-o /dev/null`` replaced the system's /dev/null with a regular file. A private
    null device stands in for it here."""
    null = tmp_path / "null"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    with Outputs() as outputs:
        outputs.open(str(null), "results").write(b"gone\n")
        outputs.commit()
    assert stat.S_ISCHR(null.lstat().st_mode)
    assert others(tmp_path, null) == []


def device(tmp_path: Path, name: str, minor: int) -> str:
    """A private copy of /dev/full (7) or /dev/null (3) as root: a regression of the code under test,
    run as root, replaced the system's own (it happened while this test was written)."""
    if os.geteuid() != 0:
        return f"/dev/{name}"
    node = tmp_path / name
    os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, minor))
    return str(node)


def test_a_full_disk_is_an_output_error_that_names_the_path(tmp_path: Path) -> None:
    full = device(tmp_path, "full", 7)
    with pytest.raises(OutputError) as raised, Outputs() as outputs:
        outputs.open(full, "results").write(b"x" * 100_000)
        outputs.commit()
    assert str(raised.value) == f"cannot write the results to {full}: No space left on device"


def test_a_missing_folder_is_refused_when_opened(tmp_path: Path) -> None:
    missing = r"cannot write the summary to .*: No such file or directory"
    with pytest.raises(OutputError, match=missing), Outputs() as outputs:
        outputs.open(str(tmp_path / "no" / "summary.json"), "summary")


@pytest.mark.parametrize("alias", ["same", "dot", "symlink", "hardlink", "new-dot"])
def test_two_outputs_naming_the_same_file_are_refused(
    tmp_path: Path, alias: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    first = tmp_path / "out.jsonl"
    if alias != "new-dot":
        first.write_bytes(b"earlier\n")
    second = {
        "same": str(first),
        "dot": "./out.jsonl",
        "new-dot": "./out.jsonl",
        "symlink": str(tmp_path / "link"),
        "hardlink": str(tmp_path / "hard"),
    }[alias]
    if alias == "symlink":
        (tmp_path / "link").symlink_to(first)
    if alias == "hardlink":
        os.link(first, tmp_path / "hard")
    with (
        pytest.raises(OutputError, match="the results and the report are the same file"),
        Outputs() as outputs,
    ):
        outputs.open(str(first), "results")
        outputs.open(second, "report")
    if alias != "new-dot":
        assert first.read_bytes() == b"earlier\n"
    assert others(tmp_path, first, tmp_path / "link", tmp_path / "hard") == []


def test_a_null_device_may_take_several_outputs(tmp_path: Path) -> None:
    null = device(tmp_path, "null", 3)
    with Outputs() as outputs:
        outputs.open(null, "results").write(b"x")
        outputs.open(null, "report").write(b"y")
        outputs.commit()
    assert stat.S_ISCHR(Path(null).lstat().st_mode)


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a link to another user needs root")
@pytest.mark.parametrize("victim_exists", [True, False], ids=["existing", "dangling"])
def test_a_link_planted_by_another_user_in_a_shared_folder_is_not_followed(
    tmp_path: Path, victim_exists: bool
) -> None:
    """``-o /tmp/report.html``, where another user planted ``/tmp/report.html -> /etc/passwd``: the
    link was resolved with realpath() and the victim replaced (or, dangling, created). Linux's
    fs.protected_symlinks refuses to follow such a link for ``>`` in a shell; resolving it ourselves
    bypassed that. A link in a sticky, world-writable folder owned by neither us nor the folder's
    owner is refused, as the kernel would."""
    shared = tmp_path / "tmp"
    shared.mkdir()
    shared.chmod(0o1777)
    victim = tmp_path / "etc" / "passwd"
    victim.parent.mkdir()
    if victim_exists:
        victim.write_bytes(b"root:x:0:0\n")
    planted = shared / "report.html"
    planted.symlink_to(victim)
    os.lchown(planted, 12345, 12345)
    with (
        pytest.raises(OutputError, match="another user's symbolic link in a shared folder"),
        Outputs() as outputs,
    ):
        outputs.open(str(planted), "report").write(b"<html>")
        outputs.commit()
    assert victim.read_bytes() == b"root:x:0:0\n" if victim_exists else not victim.exists()
    assert sorted(p.name for p in victim.parent.iterdir()) == (["passwd"] if victim_exists else [])


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a link to another user needs root")
def test_ones_own_link_in_a_shared_folder_is_followed(tmp_path: Path) -> None:
    shared = tmp_path / "tmp"
    shared.mkdir()
    shared.chmod(0o1777)
    real = tmp_path / "real.jsonl"
    real.write_bytes(b"earlier\n")
    (shared / "latest.jsonl").symlink_to(real)
    with Outputs() as outputs:
        outputs.open(str(shared / "latest.jsonl"), "results").write(b"new\n")
        outputs.commit()
    assert real.read_bytes() == b"new\n"


def test_a_long_file_name_that_the_folder_takes_is_written(tmp_path: Path) -> None:
    """A 250-byte name is a valid file name (255 at most), but the temporary file's name
    ``.NAME.XXXXXXXX.partial`` was 18 bytes longer: 'File name too long' for a target that can be
    written. The temporary name holds as much of the target's name as fits."""
    target = tmp_path / ("r" * 250)
    with Outputs() as outputs:
        outputs.open(str(target), "results").write(b"new\n")
        outputs.commit()
    assert target.read_bytes() == b"new\n"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_a_signal_as_the_temporary_file_is_made_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SIGTERM between mkstemp() making the file and the output recording its name: the exception
    left a .NAME.XXXXXXXX.partial no one removes. Stopping signals wait until it is recorded.

    The signal is sent to this thread, which blocks it: sent to the process, the kernel may give it
    to a thread an earlier test left alive, whose handler can then run as late as the commit (and
    the output is whole, rightly). That case is the next test's."""
    import signal  # noqa: PLC0415
    import tempfile  # noqa: PLC0415

    from doseguard.cli.signals import Stopped, stop_on_signals  # noqa: PLC0415

    made = tempfile.mkstemp

    def mkstemp_then_signal(*args: object, **kwargs: object) -> tuple[int, str]:
        answer = made(*args, **kwargs)  # type: ignore[call-overload]
        signal.pthread_kill(threading.get_ident(), signal.SIGTERM)
        return answer  # type: ignore[no-any-return]

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp_then_signal)
    with pytest.raises(Stopped), stop_on_signals(), Outputs() as outputs:
        outputs.open(str(tmp_path / "out.jsonl"), "results")
        outputs.commit()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("when", ["as the temporary file is made", "as the outputs are committed"])
def test_a_signal_another_thread_receives_waits_as_well(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    """A process-directed signal goes to any thread that does not block it: with a second thread
    alive (a pool's, a library's), blocking it in the main thread did not defer it, and Python ran its
    handler in the main thread between mkstemp() and the output recording the file (or in the middle
    of a commit). Stopping signals wait for both, whichever thread the kernel chose."""
    import signal  # noqa: PLC0415
    import tempfile  # noqa: PLC0415

    from doseguard.cli.signals import Stopped, stop_on_signals  # noqa: PLC0415

    def signal_then(real: Any) -> Any:
        def wrapped(*args: object, **kwargs: object) -> Any:
            answer = real(*args, **kwargs)
            os.kill(os.getpid(), signal.SIGTERM)
            deadline = time.monotonic() + 30
            while not held_signals() and time.monotonic() < deadline:  # until the other thread
                time.sleep(0.001)  # took it and Python ran the handler here (a loaded machine is slow)
            assert held_signals(), "the signal never reached the handler"
            return answer

        return wrapped

    if when == "as the temporary file is made":
        monkeypatch.setattr(tempfile, "mkstemp", signal_then(tempfile.mkstemp))
    else:
        monkeypatch.setattr(os, "fsync", signal_then(os.fsync))
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        with pytest.raises(Stopped), stop_on_signals(), Outputs() as outputs:
            outputs.open(str(tmp_path / "out.jsonl"), "results").write(b"new\n")
            outputs.commit()
    finally:
        release.set()
        other.join()
    if when == "as the temporary file is made":
        assert list(tmp_path.iterdir()) == []
    else:  # the commit finished: the output is whole, and the signal stopped the run after it
        assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]
        assert (tmp_path / "out.jsonl").read_bytes() == b"new\n"
