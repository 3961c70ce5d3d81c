"""The fetch path's threads: one pool per worker process, shared by its calls.

Starting a ThreadPoolExecutor (and its threads) per hook call cost about a millisecond of CPU;
the threads here are made once per process (anew after a fork) and reused. Each call takes its
share through a `CallPool`, which bounds how many of its jobs run at once and cancels the rest
when the call ends, without waiting for the ones still running (their deadline ends them).
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

#: Fetches one call runs at once (one keep-alive connection each).
MAX_WORKERS = 8
#: Calls of one worker process that can fetch at once without one queueing behind another
#: (gthread workers run up to 32 threads, plus stragglers of calls that ended); threads are only
#: made when none is idle, so this is a ceiling, not a number of threads kept.
MAX_FETCHING_CALLS = 64

_shared: tuple[int, ThreadPoolExecutor] | None = None
_shared_lock = threading.Lock()
_at_work = 0
_at_work_lock = threading.Lock()


def jobs_at_work() -> int:
    """Fetch jobs running in this process now: the shared threads outlive a call, but no job of
    a call should run on long after its budget (the deadline shuts the sockets they read)."""
    return _at_work


def _count_at_work(change: int) -> None:
    global _at_work
    with _at_work_lock:
        _at_work += change


def shared_pool() -> ThreadPoolExecutor:
    """This worker process's fetch threads, made on first use (and anew after a fork: the
    parent's threads do not exist in the child), so a call does not start threads of its own."""
    global _shared
    pid = os.getpid()
    current = _shared
    if current is not None and current[0] == pid:
        return current[1]
    with _shared_lock:
        if _shared is None or _shared[0] != pid:
            _shared = (
                pid,
                ThreadPoolExecutor(
                    max_workers=MAX_WORKERS * MAX_FETCHING_CALLS, thread_name_prefix="fhir-fetch"
                ),
            )
        return _shared[1]


def _forget_pool_in_child() -> None:
    global _shared, _shared_lock, _at_work, _at_work_lock
    _shared = None
    _shared_lock = threading.Lock()  # a lock held by a parent thread at the fork stays held
    _at_work = 0  # the parent's jobs do not run in the child
    _at_work_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_pool_in_child)


class CallPool:
    """One call's share of the shared fetch threads: at most `limit` of its jobs run at once
    (the rest wait here, not in the shared queue), and `close` cancels every job of the call
    that has not started, without waiting for those that have (they end at the deadline).

    Each job gets a Future of its own, so results and exceptions stay with the call that asked.
    """

    def __init__(self, shared: ThreadPoolExecutor, limit: int = MAX_WORKERS) -> None:
        self._shared = shared
        self._limit = limit
        self._lock = threading.Lock()
        self._waiting: deque[tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]] = deque()
        self._submitted: list[Future[Any]] = []
        self._running = 0
        self._closed = False

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future[Any]:
        future: Future[Any] = Future()
        with self._lock:
            if self._closed:
                future.cancel()
                return future
            self._waiting.append((future, fn, args))
            self._submitted.append(future)
        self._start_waiting()
        return future

    def close(self) -> None:
        """Cancel the jobs not started yet; never waits for running ones."""
        with self._lock:
            self._closed = True
            self._waiting.clear()
            submitted, self._submitted = self._submitted, []
        for future in submitted:
            future.cancel()  # only succeeds for a job that has not started

    def _start_waiting(self) -> None:
        with self._lock:
            starting = []
            while self._waiting and self._running < self._limit:
                starting.append(self._waiting.popleft())
                self._running += 1
        for job in starting:
            self._shared.submit(self._run, *job)

    def _run(self, future: Future[Any], fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        try:
            if future.set_running_or_notify_cancel():
                _count_at_work(1)
                try:
                    result = fn(*args)
                except BaseException as exc:  # handed to the caller, as an executor does
                    future.set_exception(exc)
                else:
                    future.set_result(result)
                finally:
                    _count_at_work(-1)
        finally:
            with self._lock:
                self._running -= 1
            self._start_waiting()
