"""`create_app` only wires the app (configuration, storage, blueprints); logging and the warm-up
are the server entry point's business (gunicorn's `post_fork`, `warmup.prepare_process`)."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import pytest

from cds_hooks import logs, server, warmup
from cds_hooks.app import create_app
from cds_hooks.config import Settings


def _refuse(*_: object, **__: object) -> NoReturn:
    raise AssertionError("create_app must not configure logging or warm up")


def test_create_app_neither_configures_logging_nor_warms_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs, "configure_logging", _refuse)
    monkeypatch.setattr(warmup, "warm_up", _refuse)
    monkeypatch.setattr(warmup, "prepare_process", _refuse)
    settings = Settings(auth="off", database_url=f"sqlite:///{tmp_path}/db.sqlite3")
    app = create_app(settings)
    try:
        assert {"cds_hooks", "rule_pages", "landing"} <= set(app.blueprints)
        assert app.test_client().get("/healthz").status_code == 200
    finally:
        app.extensions["gist_cds"].storage.close()


def test_gunicorn_workers_prepare_themselves_after_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    prepared: list[Settings] = []
    monkeypatch.setattr(warmup, "prepare_process", prepared.append)
    monkeypatch.setenv("GIST_CDS_LOG_LEVEL", "DEBUG")
    server.post_fork(None, None)
    assert [s.log_level for s in prepared] == ["DEBUG"]
