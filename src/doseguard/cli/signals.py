"""Stop a run cleanly on SIGTERM, SIGHUP and SIGINT (timeout(1), systemd and container stops, a
closed terminal, Ctrl-C): the signal becomes an exception, so that every ``with`` and ``finally``
on the way out runs (temporary output files removed, workers stopped), then the process exits with
status 128 + the signal's number, as a shell reports a process killed by it."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType

from doseguard.io.outputs import STOP_SIGNALS, hold_signal


class Stopped(BaseException):
    """A stopping signal arrived. A BaseException, as KeyboardInterrupt is: ``except Exception``
    must not swallow it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
        self.name = signal.Signals(signum).name
        self.exit_status = 128 + signum
        self.outputs_written = False  # it came as the outputs were committed: they are whole


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within this block a stopping signal raises :class:`Stopped` once; further ones are ignored
    while the run cleans up (a second Ctrl-C must not leave a temporary file behind). A signal
    that was ignored when the process started is left ignored."""

    def stop(signum: int, frame: FrameType | None) -> None:
        if hold_signal(signum):  # an output is being made or committed: raised again when it is
            return
        for each in STOP_SIGNALS:
            signal.signal(each, signal.SIG_IGN)
        raise Stopped(signum)

    # A signal ignored when we started stays ignored: nohup ignores SIGHUP so that closing the
    # terminal does not stop the run, and a shell ignores SIGINT for a script's background job.
    caught = [each for each in STOP_SIGNALS if signal.getsignal(each) != signal.SIG_IGN]
    previous = {each: signal.signal(each, stop) for each in caught}
    try:
        yield
    finally:
        for each, handler in previous.items():
            signal.signal(each, handler)
