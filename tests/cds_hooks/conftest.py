"""Fixtures of the cds_hooks tests: the app in-process, for HTTP contract tests where the socket
does not matter (the live loopback server of tests/conftest.py is for those where it does)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from cds_hooks.app import create_app
from cds_hooks.config import Settings

APP_BASE_URL = "http://127.0.0.1:9"


@pytest.fixture
def app_client(tmp_path: Path) -> Iterator[FlaskClient]:
    """A fresh demo-mode app (its own SQLite database) and a test client for one test."""
    settings = Settings(
        auth="off", public_base_url=APP_BASE_URL, database_url=f"sqlite:///{tmp_path}/db.sqlite3"
    )
    app = create_app(settings)
    with app.test_client() as client:
        yield client
    app.extensions["gist_cds"].storage.close()
