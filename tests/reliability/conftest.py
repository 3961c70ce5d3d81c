"""Fixtures of the reliability suite, and a session-wide log audit.

`secrets_ledger` records every JWT minted through `tests.support.jwt_tools` while the session
runs, plus whatever a test registers (access tokens, patient names and ids, feedback comments).
At session end the whole captured log — formatted exactly as the service writes it — must hold
none of them. The PostgreSQL fixtures are imported here for the durability tests.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from cds_hooks.logs import JsonFormatter
from tests.support import jwt_tools
from tests.support.postgres import (  # noqa: F401 - fixtures
    database_url_fixture,
    postgres_db_url_fixture,
    postgres_url_fixture,
)

#: Shorter strings are too likely to occur by chance (ids like "p1" inside uuids or timestamps).
MIN_SECRET_CHARS = 8


class SecretLedger:
    """The secrets a run handed to the service; `leaks(text)` lists those found in `text`."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, *values: str) -> None:
        with self._lock:
            self._secrets.update(v for v in values if len(v) >= MIN_SECRET_CHARS)

    def __len__(self) -> int:
        return len(self._secrets)

    def leaks(self, text: str) -> list[str]:
        with self._lock:
            found = [s for s in self._secrets if s in text]
        return sorted(found)


class LogCapture(logging.Handler):
    """Every record the root logger emits, formatted by the service's own JSON formatter."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(scope="session", autouse=True)
def secrets_ledger() -> Iterator[SecretLedger]:
    ledger = SecretLedger()
    original = jwt_tools.mint

    def recording_mint(*args: Any, **kwargs: Any) -> str:
        token = original(*args, **kwargs)
        ledger.add(token)
        return token

    capture = _SESSION_LOG
    root = logging.getLogger()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jwt_tools, "mint", recording_mint)
        root.addHandler(capture)
        try:
            yield ledger
        finally:
            root.removeHandler(capture)
    leaked = ledger.leaks("\n".join(capture.lines))
    print(f"\nsession log audit: {len(ledger)} secrets searched in {len(capture.lines)} log lines")
    if leaked:
        pytest.fail(
            f"{len(leaked)} secret(s) of {len(ledger)} found in the session's logs, e.g. "
            f"{leaked[0][:12]}…",
            pytrace=False,
        )


_SESSION_LOG = LogCapture()


@pytest.fixture
def session_log(secrets_ledger: SecretLedger) -> LogCapture:
    """The session-wide capture (so a test can check it is wired)."""
    return _SESSION_LOG
