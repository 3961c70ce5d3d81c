"""A hard deadline for one hook call, in gunicorn's sync workers and in its threaded workers.

gunicorn kills a sync worker that overruns its `--timeout`; the client gets gunicorn's HTML 500
(or a dropped connection) and no audit row is written. The deadline turns the overrun into an
exception the app answers with an OperationOutcome (503), before that happens.

- In the main thread (sync workers) a SIGALRM raises it.
- In any other thread (gthread workers, threaded servers) signals cannot reach the call, so one
  watchdog thread per process raises it in the call's thread when its deadline passes
  (CPython's `PyThreadState_SetAsyncExc`).

Either way the exception arrives between two steps of Python code: a thread blocked in a system
call or a lock wait receives it when that call returns, so blocking waits must be bounded too
(the views give the FHIR fetch at most `remaining() + GRACE_S`). The views disarm the deadline
before writing the audit row, so it never interrupts a database write.
"""

from __future__ import annotations

import ctypes
import os
import signal
import threading
import time
from types import FrameType

#: The FHIR fetch may run this long past the deadline: the deadline, not the fetch budget, ends
#: a call that runs out of time (so it answers 503 under both worker models).
GRACE_S = 0.5


class RequestDeadlineExceeded(Exception):
    """The request ran past its deadline and was interrupted."""


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise RequestDeadlineExceeded


class _Watchdog:
    """Deadlines of the calls running in threads of this process, and the thread that enforces
    them. Arming and disarming take the lock the watchdog fires under, so once `disarm` returns
    no exception is raised in that thread (one still pending is withdrawn)."""

    def __init__(self) -> None:
        self._changed = threading.Condition(threading.Lock())
        self._due: dict[int, float] = {}  # thread ident -> time.monotonic() deadline
        self._fired: set[int] = set()
        self._thread: threading.Thread | None = None

    def arm(self, ident: int, seconds: float) -> None:
        with self._changed:
            self._due[ident] = time.monotonic() + seconds
            self._fired.discard(ident)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="request-deadline", daemon=True
                )
                self._thread.start()
            self._changed.notify()

    def disarm(self, ident: int) -> None:
        with self._changed:
            self._due.pop(ident, None)
            if ident in self._fired:
                self._fired.discard(ident)
                _raise_in(ident, None)  # withdraw it if it has not been raised yet

    def _run(self) -> None:
        with self._changed:
            while True:
                now = time.monotonic()
                for ident, due in list(self._due.items()):
                    if due <= now:
                        del self._due[ident]
                        self._fired.add(ident)
                        _raise_in(ident, RequestDeadlineExceeded)
                wait = min(self._due.values()) - now if self._due else None
                self._changed.wait(wait)


def _raise_in(ident: int, exception: type[BaseException] | None) -> None:
    """Raise `exception` in thread `ident` at its next Python step (None: cancel a pending one)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(ident), ctypes.py_object(exception) if exception else None
    )


_watchdog = _Watchdog()


def _new_watchdog_after_fork() -> None:
    global _watchdog
    _watchdog = _Watchdog()  # the parent's thread and lock do not exist in the child


os.register_at_fork(after_in_child=_new_watchdog_after_fork)


def arm(seconds: float) -> None:
    """Start the deadline for this call, in whichever thread runs it."""
    if seconds <= 0:
        raise RequestDeadlineExceeded
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    else:
        _watchdog.arm(threading.get_ident(), seconds)


def disarm() -> None:
    """Stop the deadline (idempotent; harmless where it was never armed)."""
    if threading.current_thread() is threading.main_thread():
        signal.setitimer(signal.ITIMER_REAL, 0)
    else:
        _watchdog.disarm(threading.get_ident())
