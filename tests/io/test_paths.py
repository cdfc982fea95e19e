from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from doseguard.io.paths import fd_of, same_file


@pytest.mark.parametrize(
    ("path", "fd"),
    [("-", 1), ("/dev/stdout", 1), ("/dev/stderr", 2), ("/dev/fd/7", 7), ("/proc/self/fd/3", 3),
     ("/dev//stdout", 1), ("/dev/stdout.txt", None), ("stdout", None), ("/dev/full", None)],
)  # fmt: skip
def test_names_of_a_descriptor_are_streams(path: str, fd: int | None) -> None:
    assert fd_of(path) == fd


def test_two_names_of_one_file_are_the_same_file(tmp_path: Path) -> None:
    orders = tmp_path / "orders.jsonl"
    orders.write_text("{}\n")
    (tmp_path / "link.jsonl").symlink_to(orders)
    os.link(orders, tmp_path / "hard.jsonl")
    other = tmp_path / "other.jsonl"
    other.write_text("{}\n")
    assert same_file(str(tmp_path / "link.jsonl"), str(orders))
    assert same_file(str(tmp_path / "hard.jsonl"), str(orders))
    assert same_file(f"{tmp_path}/./orders.jsonl", str(orders))
    assert not same_file(str(other), str(orders))
    assert not same_file(str(tmp_path / "new.jsonl"), str(orders))  # a new file replaces nothing
    assert not same_file(str(orders), "-")  # stdin is judged by is_stdin


def test_the_file_on_stdin_is_known_by_any_name(tmp_path: Path) -> None:
    orders = tmp_path / "orders.jsonl"
    orders.write_text("{}\n")
    other = tmp_path / "other.jsonl"
    other.write_text("{}\n")
    probe = "import sys; from doseguard.io.paths import is_stdin; print([is_stdin(a) for a in sys.argv[1:]])"
    with orders.open("rb") as stdin:
        shown = subprocess.run(
            [sys.executable, "-c", probe, str(orders), str(other), "/dev/stdin"],
            stdin=stdin, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    assert shown.strip() == "[True, False, True]"


def test_a_device_on_stdin_is_not_an_input_that_writing_would_replace() -> None:
    with Path(os.devnull).open("rb") as stdin:
        shown = subprocess.run(
            [sys.executable, "-c", "from doseguard.io.paths import is_stdin; print(is_stdin('/dev/null'))"],
            stdin=stdin, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    assert shown.strip() == "False"
