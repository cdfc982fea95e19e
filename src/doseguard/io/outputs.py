"""Open output paths: a file appears whole or not at all, and nothing a path points at is replaced.

- A regular file (or a path that does not exist yet) is written to a private temporary file, created
  exclusively (``mkstemp``: an unpredictable name, ``O_EXCL``, never through a planted link) beside
  the target, and renamed over it on :meth:`Outputs.commit`, after every output is flushed and
  synced: a run that fails or is stopped leaves each target as it was, and of two runs writing the
  same target the last to finish wins, whole (never a mix of the two).
- A symlink is followed to its target, which is replaced; the link stays a link.
- Anything else (a device such as ``/dev/null``, a FIFO, ``-``, ``/dev/stdout``, ``/dev/fd/N``) is
  written through as a stream: it is never replaced, and what was written cannot be taken back.
- Two outputs naming one file (``x`` and ``./x``, a link, a hard link, a FIFO) are refused; a
  character device (``/dev/null``) may take several.
- Every OS error (ENOSPC, EPIPE aside, EBADF, EACCES, EROFS) is an :class:`OutputError` that names the
  output and the path.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import signal
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from doseguard.errors import OutputError
from doseguard.io.paths import STDOUT, fd_of, identity, stdio_of

__all__ = ["STDOUT", "STOP_SIGNALS", "ClosedStdout", "OutputError", "Outputs", "hold_signal", "uninterrupted"]

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
"""The signals that stop a run (:mod:`doseguard.cli.signals` turns them into an exception); they wait
while an output file is made or committed (:func:`uninterrupted`), so that it is recorded and removed,
or never made."""


class _Holding:
    """How many :func:`uninterrupted` blocks are running, and the stopping signals held meanwhile."""

    depth = 0
    held: list[int] = []  # noqa: RUF012 (one state for the process, as signal handlers are)


_holding = _Holding()
_NAME_ROOM = 200
CLOSED_AT_START: set[int] = set()
"""Descriptors 0-2 that were closed when the process started (now /dev/null, see
:mod:`doseguard.cli.stdio`): an output naming one (``-o /dev/stderr 2>&-``) is refused, as a closed
stdout is, instead of writing the results to /dev/null and exiting 0."""


@contextlib.contextmanager
def uninterrupted() -> Iterator[None]:
    """Stopping signals wait until the block is done. Blocking them in this thread is not enough: the
    kernel gives a process-directed signal to any thread that does not block it, and Python then runs
    the handler in the main thread all the same. So the handler asks :func:`hold_signal`, and a signal
    it held is raised again as the outermost block ends."""
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    _holding.depth += 1
    try:
        yield
    finally:
        _holding.depth -= 1
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        if not _holding.depth and _holding.held:
            signum = _holding.held[0]
            _holding.held.clear()
            signal.raise_signal(signum)


def hold_signal(signum: int) -> bool:
    """For a stopping signal's handler: True when an :func:`uninterrupted` block is running, and the
    signal is then raised again at its end."""
    if _holding.depth:
        _holding.held.append(signum)
        return True
    return False


class ClosedStdout(io.TextIOBase):
    """``sys.stdout`` when the process was started with it closed (``>&-``): writing fails with
    EBADF, and an output to stdout is refused before the run."""

    def write(self, text: str) -> int:
        raise OSError(9, "stdout is closed")

    @property
    def buffer(self) -> Any:
        return self

    def isatty(self) -> bool:
        return False


class _Guarded(io.RawIOBase):
    """A byte stream whose OS errors are :class:`OutputError` naming the output (a broken pipe stays
    a BrokenPipeError: the reader went away, which the CLI handles quietly)."""

    def __init__(self, inner: IO[bytes], what: str, name: str) -> None:
        super().__init__()
        self.inner, self.what, self.name = inner, what, name

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        try:
            self.inner.write(data)
        except BrokenPipeError:
            raise
        except OSError as error:
            raise OutputError(self.what, self.name, error.strerror or str(error)) from None
        return len(data)

    def flush(self) -> None:
        if self.inner.closed:
            return
        try:
            self.inner.flush()
        except BrokenPipeError:
            raise
        except OSError as error:
            raise OutputError(self.what, self.name, error.strerror or str(error)) from None


class _Output:
    """One opened output: a temporary file to rename over ``target``, or a stream."""

    def __init__(self, what: str, path: str, identity: tuple[Any, ...]) -> None:
        self.what, self.path, self.identity = what, path, identity
        self.target: str | None = None  # the real path a temporary file is renamed to
        self.temporary: str | None = None
        self.owned: IO[bytes] | None = None  # a file we opened, and close
        self.stream: _Guarded

    def open(self) -> None:
        fd = fd_of(self.path)
        try:
            if fd is None:
                fd = self._open_path()
            if fd == 1:
                if isinstance(sys.stdout, ClosedStdout):
                    raise OutputError(self.what, "stdout", "it is closed")
                self.stream = _Guarded(sys.stdout.buffer, self.what, "stdout")
                return
            if fd in CLOSED_AT_START:
                raise OutputError(self.what, self.path, "it is closed")
            if fd is not None:
                self.owned = os.fdopen(os.dup(fd), "wb")  # closed by close()
        except OSError as error:
            raise OutputError(self.what, self.path, error.strerror or str(error)) from None
        assert self.owned is not None
        self.stream = _Guarded(self.owned, self.what, self.path)

    def _open_path(self) -> int | None:
        """Open a path; returns 1 or 2 instead when it is our stdout or stderr."""
        if self.path.endswith("/") or Path(self.path).name in ("", ".", ".."):
            raise IsADirectoryError(21, "it names a folder, not a file")  # not a file named 'results'
        _refuse_planted_links(self.path)
        try:
            st = Path(self.path).stat()
        except FileNotFoundError:
            st = None
        if st is not None and stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(21, "it is a directory")
        if st is not None and not stat.S_ISREG(st.st_mode):  # a device, a FIFO: write through it
            flags = os.O_WRONLY | os.O_NOCTTY | os.O_CLOEXEC
            self.owned = os.fdopen(os.open(self.path, flags), "wb")
            return None
        if st is not None and (fd := stdio_of(st)) is not None:
            return fd
        target = os.path.realpath(self.path)  # a symlink's target is replaced, not the link
        folder, name = os.path.split(target)
        # as much of the name as leaves room for the 18 bytes around it (names are 255 bytes at most)
        short = os.fsencode(name)[:_NAME_ROOM].decode("utf-8", "ignore")
        with uninterrupted():  # made and recorded, or neither
            temporary, self.temporary = tempfile.mkstemp(prefix=f".{short}.", suffix=".partial", dir=folder)
            self.target = target
            self.owned = os.fdopen(temporary, "wb")
        return None

    def finish(self) -> None:
        """Flush, and for a temporary file give it the target's mode and sync it to disk."""
        self.stream.flush()
        if self.temporary is None or self.owned is None:
            return
        try:
            fd = self.owned.fileno()
            try:
                st: os.stat_result | None = Path(self.target or "").stat()
            except FileNotFoundError:
                st = None
            if st is not None:
                os.fchmod(fd, stat.S_IMODE(st.st_mode))
                with contextlib.suppress(OSError):  # only root may give a file away
                    os.fchown(fd, st.st_uid, st.st_gid)
            else:
                os.fchmod(fd, 0o666 & ~_umask())
            os.fsync(fd)
        except OSError as error:
            raise OutputError(self.what, self.path, error.strerror or str(error)) from None

    def publish(self) -> None:
        if self.temporary is not None and self.target is not None:
            try:
                Path(self.temporary).replace(self.target)
            except OSError as error:
                raise OutputError(self.what, self.path, error.strerror or str(error)) from None
            self.temporary = None

    def close(self) -> None:
        """Close what we opened and remove a temporary file that was not published."""
        if self.owned is not None:
            with contextlib.suppress(OSError, ValueError):
                self.owned.close()
        if self.temporary is not None:
            with contextlib.suppress(OSError):
                Path(self.temporary).unlink()
            self.temporary = None


def _refuse_planted_links(path: str) -> None:
    """Refuse a symbolic link (of the chain ``path`` starts) that another user planted in a shared
    folder, as Linux's fs.protected_symlinks does for ``open``: we resolve links ourselves (to
    rename over the target), which bypasses the kernel's check, and ``-o /tmp/report.html`` would
    replace whatever ``/tmp/report.html -> /etc/passwd`` names, or write through to a disk's device.
    A shared folder is sticky and world-writable (``/tmp``); a link there is followed only when we
    or the folder's owner own it."""
    current = Path(path)
    for _ in range(40):  # the kernel's limit; a loop fails later, as ELOOP
        try:
            link = current.lstat()
            if not stat.S_ISLNK(link.st_mode):
                return
            parent = current.parent.stat()
            following = current.readlink()
        except OSError:
            return  # what cannot be seen is refused by the open that follows, with its own error
        shared = parent.st_mode & stat.S_ISVTX and parent.st_mode & stat.S_IWOTH
        if shared and link.st_uid not in (os.geteuid(), parent.st_uid):
            raise PermissionError(
                errno.EACCES,
                f"it is another user's symbolic link in a shared folder ({current.parent}): not followed",
            )
        current = current.parent / following


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class Outputs:
    """The outputs of one run: opened together before it, committed together after it, and removed
    (temporary files) when it fails or is stopped.

    ``with Outputs() as outputs: stream = outputs.open(path, "results"); ...; outputs.commit()``
    """

    def __init__(self) -> None:
        self._opened: list[_Output] = []
        self.committed = False  # every output renamed into place (or streamed) whole

    def __enter__(self) -> Outputs:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        for output in self._opened:
            output.close()

    def open(self, path: str, what: str) -> IO[bytes]:
        """A byte stream for ``what`` (results, report, summary) written to ``path`` (``-``: stdout)."""
        named = identity(path)
        for other in self._opened:
            device = named[0] == "inode" and named[3]  # /dev/null may take several outputs
            if other.identity == named and not device:
                raise OutputError(what, path, f"the {other.what} and the {what} are the same file")
        output = _Output(what, path, named)
        try:
            output.open()
        except BaseException:  # a signal as it opened: its temporary file is removed here
            output.close()
            raise
        self._opened.append(output)
        return output.stream  # type: ignore[return-value]

    def commit(self) -> None:
        """Make every output whole: all flushed and synced first (where a full disk shows), then each
        temporary file renamed over its target. Stopping signals wait until this is done."""
        with uninterrupted():
            for output in self._opened:
                output.finish()
            for output in self._opened:
                output.publish()
            self.committed = True
