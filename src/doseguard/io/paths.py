"""Which file a path names: an output must never replace an input, a rule file, or stdin's file,
whatever name it is given (``-o ./orders.jsonl``, ``/dev/stdout``, ``/proc/self/fd/1``, a link)."""

from __future__ import annotations

import contextlib
import os
import re
import stat
from pathlib import Path
from typing import Any

from doseguard.io.streams import STDIN

STDOUT = "-"
"""``-`` as an output: stdout (as an input, :data:`doseguard.io.streams.STDIN`)."""
_FD_ALIAS = re.compile(r"/dev/(?:(stdout)|(stderr)|fd/(\d+))|/proc/self/fd/(\d+)")


def fd_of(path: str) -> int | None:
    """The descriptor a path names (``-``, ``/dev/stdout``, ``/dev/fd/N``), or None for a real path."""
    if path == STDOUT:
        return 1
    match = _FD_ALIAS.fullmatch(os.path.normpath(path))
    if match is None:
        return None
    stdout, stderr, fd, proc_fd = match.groups()
    return 1 if stdout else 2 if stderr else int(fd or proc_fd)


def identity(path: str) -> tuple[Any, ...]:
    """What two names of one file have in common: its inode (and whether it is a character device),
    or for a new file, its real path."""
    fd = fd_of(path)
    try:
        st = os.fstat(fd) if fd is not None else Path(path).stat()
    except FileNotFoundError:
        return ("new", os.path.realpath(path))
    except OSError:
        return ("path", path)
    return ("inode", st.st_dev, st.st_ino, stat.S_ISCHR(st.st_mode))


def stdio_of(st: os.stat_result) -> int | None:
    """1 or 2 when this regular file is our stdout or stderr (``/dev/stdout`` or a link to
    ``/proc/self/fd/1`` when stdout is redirected to a file): written through, never replaced."""
    for fd in (1, 2):
        with contextlib.suppress(OSError):
            mine = os.fstat(fd)
            if (mine.st_dev, mine.st_ino) == (st.st_dev, st.st_ino):
                return fd
    return None


def same_file(written: str, read: str) -> bool:
    """Whether writing ``written`` would replace the existing file ``read`` (``-`` is stdin: see
    :func:`is_stdin`)."""
    if read == STDIN:
        return False
    mine = identity(written)
    return mine[0] == "inode" and mine == identity(read)


def is_stdin(path: str) -> bool:
    """Whether ``path`` is the file or pipe on stdin (``- < orders.jsonl -o orders.jsonl``, ``-o
    /dev/stdin``): replaced, it loses the orders; a pipe opened for writing never ends the input,
    and the run hangs. A device (a terminal, /dev/null) is not: writing to it loses nothing."""
    try:
        mine, theirs = os.fstat(0), Path(path).stat()
    except OSError:
        return False
    return (mine.st_dev, mine.st_ino) == (theirs.st_dev, theirs.st_ino) and not stat.S_ISCHR(mine.st_mode)
