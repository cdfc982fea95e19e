"""``doseguard check`` output paths, stdio and stderr through the installed script: every output file
appears whole or not at all, nothing a path points at is replaced, and each failure is one line."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import threading
from pathlib import Path

import pytest

from doseguard.rules.loader import bundled_rules_dir
from tests.helpers.cli import DOSEGUARD, jsonl, results
from tests.helpers.orders import CRITICAL, PASSING, WARNING

BUNDLED = bundled_rules_dir()


def doseguard(
    *args: str | Path, stdout: object = subprocess.PIPE, stderr: object = subprocess.PIPE, **kw: object
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [str(DOSEGUARD), *(str(a) for a in args)],
        stdout=stdout,
        stderr=stderr,
        timeout=120,
        check=False,
        **kw,
    )


def full_device(tmp_path: Path) -> str:
    """A private /dev/full as root: the unfixed code, run as root, replaced the system's /dev/full
    and /dev/stdout with regular files while these tests were written. Never point a test at them."""
    if os.geteuid() != 0:
        return "/dev/full"
    node = tmp_path / "full"
    os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    return str(node)


def leftovers(folder: Path, *known: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p not in known)


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_output_to_a_device_writes_through_it_and_leaves_it_a_device(tmp_path: Path) -> None:
    orders = jsonl(tmp_path, PASSING)
    null = tmp_path / "null"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    report = tmp_path / "report-null"
    os.mknod(report, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    done = doseguard("check", orders, "-o", null, "--report", report)
    assert done.returncode == 0, done.stderr
    assert stat.S_ISCHR(null.lstat().st_mode)
    assert stat.S_ISCHR(report.lstat().st_mode)
    assert leftovers(tmp_path, orders, null, report) == []


def test_output_to_a_fifo_is_streamed(tmp_path: Path) -> None:
    orders = jsonl(tmp_path, PASSING, WARNING)
    fifo = tmp_path / "results"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    done = doseguard("check", orders, "-o", fifo)
    reader.join(timeout=60)
    assert done.returncode == 0, done.stderr
    assert [r["order_id"] for r in results(received[0].decode())] == ["PASS", "WARN"]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_output_through_a_symlink_replaces_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    orders = jsonl(tmp_path, PASSING)
    real = tmp_path / "archive" / "today.jsonl"
    real.parent.mkdir()
    real.write_text("earlier\n")
    link = tmp_path / "latest.jsonl"
    link.symlink_to(real)
    done = doseguard("check", orders, "-o", link)
    assert done.returncode == 0, done.stderr
    assert link.is_symlink()
    assert [r["order_id"] for r in results(real.read_text())] == ["PASS"]


def test_a_link_planted_at_the_partial_name_overwrites_nothing(tmp_path: Path) -> None:
    orders = jsonl(tmp_path, PASSING)
    victim = tmp_path / "victim.conf"
    victim.write_text("precious\n")
    shared = tmp_path / "shared"
    shared.mkdir()
    for name in ("out.jsonl", "report.html", "summary.json"):
        (shared / f".{name}.partial").symlink_to(victim)
    done = doseguard("check", orders, "-o", shared / "out.jsonl", "--report", shared / "report.html",
                     "--summary", shared / "summary.json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert victim.read_text() == "precious\n"
    assert (shared / "out.jsonl").read_text().startswith('{"record":1')


def test_two_runs_with_the_same_output_never_leave_a_mix(tmp_path: Path) -> None:
    """Each run writes a private temporary file; the one that finishes last replaces the target whole."""
    first = jsonl(tmp_path, *[dict(PASSING, order_id=f"A-{n}") for n in range(3_000)], name="a.jsonl")
    second = jsonl(tmp_path, *[dict(WARNING, order_id=f"B-{n}") for n in range(3_000)], name="b.jsonl")
    out = tmp_path / "out.jsonl"
    command = [str(DOSEGUARD), "check", "-o", str(out), "--jobs", "1"]
    runs = [subprocess.Popen([*command, str(path)], stderr=subprocess.PIPE) for path in (first, second)]
    assert [run.wait(timeout=300) for run in runs] == [0, 0]
    ids = {r["order_id"][0] for r in results(out.read_text())}
    assert ids in ({"A"}, {"B"})
    assert len(results(out.read_text())) == 3_000
    assert leftovers(tmp_path, first, second, out) == []


@pytest.mark.parametrize("alias", ["same", "dot", "symlink", "hardlink"])
@pytest.mark.parametrize("other", ["--summary", "--report"])
def test_the_output_and_another_output_naming_the_same_file_are_refused(
    tmp_path: Path, alias: str, other: str
) -> None:
    orders = jsonl(tmp_path, PASSING)
    out = tmp_path / "out.jsonl"
    out.write_text("earlier\n")
    (tmp_path / "link").symlink_to(out)
    os.link(out, tmp_path / "hard")
    second = {"same": "out.jsonl", "dot": "./out.jsonl", "symlink": "link", "hardlink": "hard"}[alias]
    done = doseguard("check", orders, "-o", "out.jsonl", other, second, cwd=tmp_path)
    assert done.returncode == 2
    assert b"are the same file" in done.stderr
    assert out.read_text() == "earlier\n"
    assert leftovers(tmp_path, orders, out, tmp_path / "link", tmp_path / "hard") == []


def test_a_report_and_a_summary_naming_the_same_new_file_are_refused(tmp_path: Path) -> None:
    orders = jsonl(tmp_path, PASSING)
    done = doseguard("check", orders, "--report", "x.out", "--summary", "./x.out", cwd=tmp_path)
    assert done.returncode == 2
    assert b"the report and the summary are the same file" in done.stderr
    assert leftovers(tmp_path, orders) == []


def test_the_results_on_stdout_and_a_report_to_stdout_are_refused(tmp_path: Path) -> None:
    done = doseguard("check", jsonl(tmp_path, PASSING), "--report", "/dev/fd/1")
    assert done.returncode == 2
    assert b"the results and the report are the same file" in done.stderr


@pytest.mark.parametrize("name", ["/dev/fd/1", "link"])
def test_output_to_stdout_by_name_is_the_stream_not_a_replaced_file(tmp_path: Path, name: str) -> None:
    """``-o /dev/stdout`` (here ``/dev/fd/1``, or a link of our own to ``/proc/self/fd/1``, as
    /dev/stdout is) with stdout appended to a log: the results go after what the log held."""
    orders = jsonl(tmp_path, PASSING)
    link = tmp_path / "link"
    link.symlink_to("/proc/self/fd/1")
    log = tmp_path / "log.jsonl"
    log.write_text("kept\n")
    inode = log.stat().st_ino
    with log.open("a") as appended:
        done = doseguard("check", orders, "-o", name, stdout=appended, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert log.stat().st_ino == inode
    text = log.read_text()
    assert text.startswith("kept\n")
    assert [r["order_id"] for r in results(text.split("\n", 1)[1])] == ["PASS"]
    assert leftovers(tmp_path, orders, log, link) == []


def test_output_to_stdout_by_name_through_a_pipe(tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to("/proc/self/fd/1")
    done = doseguard("check", jsonl(tmp_path, PASSING), "-o", link)
    assert done.returncode == 0, done.stderr
    assert [r["order_id"] for r in results(done.stdout.decode())] == ["PASS"]


# --- full disks, closed and failing stdio ----------------------------------------------------------


@pytest.mark.parametrize("option", ["-o", "--report", "--summary"])
def test_a_full_disk_is_one_clear_line_and_exit_2(tmp_path: Path, option: str) -> None:
    full = full_device(tmp_path)
    done = doseguard("check", jsonl(tmp_path, PASSING, CRITICAL), option, full)
    assert done.returncode == 2
    assert done.stderr.decode().splitlines()[-1].endswith(f"{full}: No space left on device")
    assert b"internal error" not in done.stderr
    assert b"Traceback" not in done.stderr


def test_stdout_on_a_full_disk_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    with Path(full_device(tmp_path)).open("wb") as full:
        done = doseguard("check", jsonl(tmp_path, PASSING), stdout=full)
    assert done.returncode == 2
    assert done.stderr.decode().splitlines() == [
        "doseguard: cannot write the results to stdout: No space left on device"
    ]


def test_a_closed_stdout_is_said_and_exits_2(tmp_path: Path) -> None:
    done = doseguard(
        "check", jsonl(tmp_path, PASSING), stdout=None, pass_fds=(), preexec_fn=lambda: os.close(1)
    )
    assert done.returncode == 2
    assert b"cannot write the results to stdout: it is closed" in done.stderr
    assert b"internal error" not in done.stderr


def test_a_closed_stdout_does_not_matter_with_an_output_file(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    done = doseguard(
        "check", jsonl(tmp_path, PASSING), "-o", out, stdout=None, preexec_fn=lambda: os.close(1)
    )
    assert done.returncode == 0, done.stderr
    assert [r["order_id"] for r in results(out.read_text())] == ["PASS"]


def test_a_closed_stderr_still_gives_the_results_and_the_exit_status(tmp_path: Path) -> None:
    done = doseguard("check", jsonl(tmp_path, PASSING, CRITICAL), stderr=None, preexec_fn=lambda: os.close(2))
    assert done.returncode == 1
    assert [r["order_id"] for r in results(done.stdout.decode())] == ["PASS", "CRIT"]


def test_a_closed_stderr_does_not_hide_the_exit_status_of_an_error(tmp_path: Path) -> None:
    done = doseguard("check", tmp_path / "missing.jsonl", stderr=None, preexec_fn=lambda: os.close(2))
    assert done.returncode == 2


def test_a_rules_command_with_a_closed_stdout_exits_2() -> None:
    done = doseguard("rules", "list", stdout=None, preexec_fn=lambda: os.close(1))
    assert done.returncode == 2
    assert b"internal error" not in done.stderr


# --- what a failed run leaves ---------------------------------------------------------------------


def test_a_failed_run_keeps_the_earlier_summary_report_and_results(tmp_path: Path) -> None:
    good = jsonl(tmp_path, PASSING)
    bad = tmp_path / "bad.json"
    bad.write_text("42")
    earlier = {name: f"earlier {name}\n" for name in ("out.jsonl", "report.html", "summary.json")}
    for name, text in earlier.items():
        (tmp_path / name).write_text(text)
    done = doseguard("check", good, bad, "-o", tmp_path / "out.jsonl", "--report", tmp_path / "report.html",
                     "--summary", tmp_path / "summary.json")  # fmt: skip
    assert done.returncode == 2
    assert {name: (tmp_path / name).read_text() for name in earlier} == earlier
    assert leftovers(tmp_path, good, bad, *(tmp_path / name for name in earlier)) == []


# --- messages -------------------------------------------------------------------------------------


def test_control_characters_in_a_file_name_are_escaped_on_stderr(tmp_path: Path) -> None:
    bad = tmp_path / "orders\x1b[2J\u202e.json"
    bad.write_text("42")
    done = doseguard("check", bad)
    assert done.returncode == 2
    assert b"\x1b" not in done.stderr
    assert "\u202e".encode() not in done.stderr
    assert b"orders\\x1b[2J\\u202e.json" in done.stderr


def test_control_characters_in_a_usage_error_are_escaped(tmp_path: Path) -> None:
    done = doseguard("check", tmp_path / "missing\x1b[1A.jsonl")
    assert done.returncode == 2
    assert b"\x1b" not in done.stderr
    assert b"missing\\x1b[1A.jsonl" in done.stderr


def test_jobs_beyond_the_cores_are_capped_with_a_note(tmp_path: Path) -> None:
    done = doseguard("check", jsonl(tmp_path, PASSING), "--jobs", "1000")
    assert done.returncode == 0
    cores = len(os.sched_getaffinity(0))
    assert f"--jobs 1000 is more than the {cores} usable cores".encode() in done.stderr
    assert [r["order_id"] for r in results(done.stdout.decode())] == ["PASS"]


def test_reading_a_closed_stdin_is_refused_not_an_empty_batch(tmp_path: Path) -> None:
    """``doseguard check - <&-`` read nothing and exited 0: no orders checked looked like a pass."""
    done = doseguard("check", "-", stdin=None, preexec_fn=lambda: os.close(0))
    assert done.returncode == 2
    assert b"stdin is closed" in done.stderr


@pytest.mark.parametrize("name", ["same file", "/dev/stdin", "/proc/self/fd/0"])
@pytest.mark.parametrize("option", ["-o", "--report", "--summary"])
def test_an_output_that_is_the_stdin_read_as_input_is_refused(tmp_path: Path, name: str, option: str) -> None:
    """``doseguard check - -o orders.jsonl < orders.jsonl`` (or ``-o /dev/stdin``) replaced the orders
    with the results: the check for an output that is also an input skipped ``-``."""
    orders = jsonl(tmp_path, PASSING)
    before = orders.read_bytes()
    target = str(orders) if name == "same file" else name
    with orders.open("rb") as stdin:
        done = doseguard("check", "-", option, target, stdin=stdin)
    assert done.returncode == 2, done.stderr
    assert b"is also an input" in done.stderr
    assert orders.read_bytes() == before
    assert leftovers(tmp_path, orders) == []


def test_an_output_that_is_the_stdin_pipe_is_refused_not_a_hang(tmp_path: Path) -> None:
    """``cat orders | doseguard check - -o /dev/stdin`` opened the pipe it reads for writing: it
    never saw the end of its input and hung."""
    orders = jsonl(tmp_path, PASSING)
    done = doseguard("check", "-", "-o", "/dev/stdin", input=orders.read_bytes())
    assert done.returncode == 2, done.stderr
    assert b"is also an input" in done.stderr


def test_rule_problems_are_escaped_on_stderr(tmp_path: Path) -> None:
    """A rule file's name (and what a problem quotes from it) went to stderr raw from
    ``load_or_exit`` and ``rules validate``: a right-to-left override or a BEL reached the terminal."""
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "dose\u202e\x07.yaml").write_text("rules: 3\n")
    for command in (["check", jsonl(tmp_path, PASSING), "--rules", pack], ["rules", "validate", pack]):
        done = doseguard(*command)
        assert done.returncode in (1, 2), done.stderr
        assert "\u202e".encode() not in done.stderr
        assert b"\x07" not in done.stderr
        assert b"dose\\u202e\\x07.yaml:1:" in done.stderr


@pytest.mark.parametrize("option", ["-o", "--report", "--summary"])
def test_an_empty_output_path_is_refused(tmp_path: Path, option: str) -> None:
    """``--summary "$SUMMARY"`` with the variable unset: '' was taken as no option at all, so the
    results went to stdout or no summary was written, exit 0, and the job believed it had one."""
    done = doseguard("check", jsonl(tmp_path, PASSING), option, "")
    assert done.returncode == 2, done.stderr
    assert b"an empty path" in done.stderr
    assert done.stdout == b""


@pytest.mark.parametrize("option", ["-o", "--report", "--summary"])
def test_an_output_path_naming_a_folder_is_refused(tmp_path: Path, option: str) -> None:
    """``-o results/`` where results/ does not exist wrote a file named ``results``."""
    done = doseguard("check", jsonl(tmp_path, PASSING), option, f"{tmp_path}/results/")
    assert done.returncode == 2, done.stderr
    assert b"a folder" in done.stderr
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize(
    ("closed", "name"),
    [(2, "/dev/stderr"), (2, "/dev/fd/2"), (0, "/dev/fd/0"), (0, "/proc/self/fd/0"), (1, "/dev/fd/1")],
)
@pytest.mark.parametrize("option", ["-o", "--summary"])
def test_an_output_to_a_stream_closed_at_start_is_refused(
    tmp_path: Path, closed: int, name: str, option: str
) -> None:
    """``-o /dev/stderr 2>&-``: the closed descriptor had been given /dev/null (so that no file opened
    later takes it), and the results went there, exit 0; only stdout was refused when closed."""
    done = doseguard(
        "check", jsonl(tmp_path, PASSING), option, name,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE if closed != 1 else None,
        preexec_fn=lambda: os.close(closed),
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    if closed != 2:
        assert b"it is closed" in done.stderr


def test_an_internal_error_exits_2_even_with_doseguard_debug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """DOSEGUARD_DEBUG re-raised a bug's exception, so the process exited 1, which says 'an order
    reached --fail-on': an environment variable changed what the exit status means. The traceback
    is shown, and the status stays 2."""
    from doseguard.cli import main as main_module  # noqa: PLC0415

    def broken(**_: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(main_module.cli, "main", broken)
    monkeypatch.setenv("DOSEGUARD_DEBUG", "1")
    with pytest.raises(SystemExit) as stopped:
        main_module.main()
    assert stopped.value.code == 2
    said = capsys.readouterr().err
    assert "internal error: RuntimeError('a bug')" in said
    assert "Traceback" in said


@pytest.mark.parametrize("which", ["rule file", "pack file", "overrides"])
def test_an_output_that_is_a_rule_or_overrides_file_is_refused(tmp_path: Path, which: str) -> None:
    """``--summary rules/b12/dose.yaml`` (a slip of the tab key) replaced the rule file with JSON: the
    output-is-an-input check looked only at the orders. The next run then had one rule file fewer to
    trust."""
    pack = tmp_path / "pack"
    shutil.copytree(BUNDLED / "b12", pack)
    site = tmp_path / "site.yaml"
    site.write_text("overrides:\n  - rule: B12-DOSE-HIGH\n    reason: local policy\n    severity: critical\n")
    target = {"rule file": pack / "dose.yaml", "pack file": pack / "pack.yaml", "overrides": site}[which]
    before = target.read_bytes()
    done = doseguard(
        "check", jsonl(tmp_path, PASSING), "--rules", pack, "--overrides", site, "--summary", target
    )
    assert done.returncode == 2, done.stderr
    said = {
        "rule file": b"is a rule file",
        "pack file": b"is a rule file",
        "overrides": b"is the overrides file",
    }
    assert said[which] in done.stderr and b"it would be overwritten" in done.stderr, done.stderr
    assert target.read_bytes() == before
