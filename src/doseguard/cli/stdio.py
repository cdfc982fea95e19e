"""Standard streams that were closed when the process started (``2>&-``, ``>&-``, as some daemons run).

Their descriptors are taken by /dev/null at once: otherwise the next file opened would get
descriptor 1 or 2, and whatever writes "to stdout" would write into it. A closed stderr then drops
messages (the exit status still tells); a closed stdout refuses to take output (EBADF), so a result
that cannot be delivered is an error, not a silent success; a closed stdin is not read as an empty
batch (:data:`~doseguard.io.outputs.CLOSED_AT_START` says which were closed).
"""

from __future__ import annotations

import os
import sys

from doseguard.io.outputs import CLOSED_AT_START, ClosedStdout


def guard_stdio() -> None:
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
            CLOSED_AT_START.add(fd)
            if fd == 1:
                sys.stdout = ClosedStdout()
            elif fd == 2:
                sys.stderr = open(2, "w", encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
            else:
                sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
