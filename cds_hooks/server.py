"""Run the app under gunicorn. Sync workers by default: gunicorn's worker timeout then also cuts
a client that sends its request slowly (slow-loris). With `threads > 1` each worker is a gthread
worker, so a call waiting on a slow FHIR server holds a thread, not a whole process (with sync
workers, ten per cent of such calls starve every other call: docs/performance.md, mixed load);
gthread workers do not cut slow clients, so serve them behind a proxy that buffers requests
(deploy/nginx.conf). The request deadline works under both (cds_hooks/deadline.py). Each worker
sets up its JSON logging and warms up its FHIR models (`post_fork`), then builds its app, before
it accepts a connection."""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication


class _GunicornApp(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if value is not None:
                self.cfg.set(key, value)

    def load(self) -> Flask:
        from cds_hooks.app import create_app

        return create_app()


def post_fork(_server: Any, _worker: Any) -> None:
    """In each new worker, before it loads the app: logging, then the warm-up."""
    from cds_hooks.config import settings_from_env
    from cds_hooks.warmup import prepare_process

    prepare_process(settings_from_env())


def post_worker_init(_worker: Any) -> None:
    """In each worker, once its app is built: keep the start-up objects out of the GC's walks."""
    from cds_hooks.warmup import freeze_startup_objects

    freeze_startup_objects()


def _child_exit(_server: Any, worker: Any) -> None:
    from cds_hooks.metrics import worker_exited

    worker_exited(worker.pid)


def serve(
    *,
    host: str,
    port: int,
    workers: int,
    threads: int = 1,
    certfile: str | None = None,
    keyfile: str | None = None,
    timeout_s: int = 30,
) -> None:
    options: dict[str, Any] = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread" if threads > 1 else "sync",
        "threads": threads,
        "timeout": timeout_s,
        "graceful_timeout": 10,
        # Every answer closes its connection. Sync workers always do; a gthread worker keeps a
        # kept-alive connection to itself, and a few busy clients then all land on one worker
        # while the other idles (measured: docs/performance.md, worker model).
        "keepalive": 0,
        # Header limits: oversized request lines / headers get a 400 from gunicorn itself.
        "limit_request_line": 8190,
        "limit_request_fields": 100,
        "limit_request_field_size": 16384,
        "certfile": certfile,
        "keyfile": keyfile,
        "accesslog": None,  # our JSON logs record each call without query strings or tokens
        "errorlog": "-",
        "loglevel": "warning",
        "preload_app": False,
        "post_fork": post_fork,
        "post_worker_init": post_worker_init,
        "child_exit": _child_exit,
    }
    _GunicornApp(options).run()
