"""The request deadline interrupts an overrunning call in the main thread (SIGALRM, sync workers)
and in any other thread (the watchdog, gthread workers); disarming it means it never fires.

No timing assertions: a call "overruns" by spinning until the deadline must have passed, and a
bounded spin (far longer than the deadline) only keeps a broken deadline from hanging the test.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from cds_hooks.deadline import RequestDeadlineExceeded, arm, disarm

DEADLINE_S = 0.05
SPIN_LIMIT_S = 60.0


def spin(seconds: float) -> None:
    """Pure Python work for `seconds` (no system call the exception would have to wait for)."""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        sum(range(100))


def overrun() -> str:
    """Arm a short deadline and keep computing: "interrupted" if the deadline stopped it."""
    try:
        arm(DEADLINE_S)
        spin(SPIN_LIMIT_S)
    except RequestDeadlineExceeded:
        return "interrupted"
    finally:
        disarm()
    return "ran to the end"


def finish_in_time() -> str:
    """Arm, finish, disarm, then keep computing well past the old deadline."""
    try:
        arm(DEADLINE_S)
        sum(range(100))
        disarm()
        spin(DEADLINE_S * 6)
    except RequestDeadlineExceeded:
        return "interrupted"
    return "not interrupted"


def in_thread(work: Callable[[], str]) -> str:
    result: list[str] = []
    thread = threading.Thread(target=lambda: result.append(work()))
    thread.start()
    thread.join(timeout=SPIN_LIMIT_S + 30)
    return result[0]


def test_main_thread_deadline_interrupts_an_overrunning_call() -> None:
    assert overrun() == "interrupted"


def test_thread_deadline_interrupts_an_overrunning_call() -> None:
    assert in_thread(overrun) == "interrupted"


@pytest.mark.parametrize("where", ["main thread", "other thread"])
def test_a_disarmed_deadline_never_fires(where: str) -> None:
    outcome = finish_in_time() if where == "main thread" else in_thread(finish_in_time)
    assert outcome == "not interrupted"


def test_each_thread_has_its_own_deadline() -> None:
    """Four calls at once: the two that overrun are interrupted, the two that finish are not
    (and are not hit by the others' deadlines)."""
    results: dict[str, str] = {}

    def run(name: str, work: Callable[[], str]) -> None:
        results[name] = work()

    threads = [
        threading.Thread(target=run, args=(name, work))
        for name, work in [
            ("slow-1", overrun),
            ("quick-1", finish_in_time),
            ("slow-2", overrun),
            ("quick-2", finish_in_time),
        ]
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SPIN_LIMIT_S + 30)
    assert results == {
        "slow-1": "interrupted",
        "quick-1": "not interrupted",
        "slow-2": "interrupted",
        "quick-2": "not interrupted",
    }


def test_the_watchdog_serves_one_call_after_another_in_a_thread() -> None:
    def three_calls() -> str:
        return ",".join([overrun(), finish_in_time(), overrun()])

    assert in_thread(three_calls) == "interrupted,not interrupted,interrupted"


@pytest.mark.parametrize("seconds", [0, -1.5])
def test_no_time_left_is_an_immediate_overrun(seconds: float) -> None:
    with pytest.raises(RequestDeadlineExceeded):
        arm(seconds)
