"""A hard deadline for one hook call inside a gunicorn sync worker.

gunicorn kills a worker that overruns its `--timeout`; the client gets gunicorn's HTML 500 (or a
dropped connection) and no audit row is written. A SIGALRM a little earlier turns the overrun
into an exception the app answers with an OperationOutcome. Signals reach the main thread only,
so the deadline is armed there (gunicorn's sync workers) and is a no-op in threaded test servers.
The views disarm it before writing the audit row, so the alarm never interrupts a database write.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType


class RequestDeadlineExceeded(Exception):
    """The request ran past its deadline and was interrupted."""


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise RequestDeadlineExceeded


def arm(seconds: float) -> bool:
    """Start the deadline for this request; False where it cannot be armed (not main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return False
    if seconds <= 0:
        raise RequestDeadlineExceeded
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    return True


def disarm() -> None:
    """Stop the deadline (idempotent; harmless where it was never armed)."""
    if threading.current_thread() is threading.main_thread():
        signal.setitimer(signal.ITIMER_REAL, 0)
