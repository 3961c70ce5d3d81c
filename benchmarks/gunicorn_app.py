"""Serve the service or the trivial endpoint under gunicorn with the same settings.

    python -m benchmarks.gunicorn_app {service,trivial} --port P [--workers 2]
        [--worker-class sync|gthread] [--threads N] [--keepalive S]

The options are those of `gist-cds serve` (cds_hooks/server.py); only the worker model can be
changed, so the benchmark can compare sync workers, threads and more workers by measurement.
The service reads its settings from the environment (`GIST_CDS_*`), as `gist-cds serve` does.
"""

from __future__ import annotations

import argparse
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication


def options(
    port: int, workers: int, worker_class: str, threads: int, keepalive: int = 0
) -> dict[str, Any]:
    """gunicorn settings shared by both apps (copied from `cds_hooks.server.serve`)."""
    return {
        "bind": f"127.0.0.1:{port}",
        "workers": workers,
        "worker_class": worker_class,
        "threads": threads,
        "timeout": 30,
        "graceful_timeout": 10,
        "keepalive": keepalive,
        "limit_request_line": 8190,
        "limit_request_fields": 100,
        "limit_request_field_size": 16384,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "preload_app": False,
    }


class _App(BaseApplication):  # type: ignore[misc]
    def __init__(self, which: str, settings: dict[str, Any]) -> None:
        self.which = which
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.settings.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        if self.which == "trivial":
            from benchmarks.trivial_app import app

            return app
        from cds_hooks.app import create_app

        return create_app()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("app", choices=("service", "trivial"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="sync", choices=("sync", "gthread"))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--keepalive", type=int, default=0, help="seconds; 0: close after each")
    args = parser.parse_args()
    settings = options(args.port, args.workers, args.worker_class, args.threads, args.keepalive)
    from cds_hooks.server import post_worker_init

    settings["post_worker_init"] = post_worker_init  # start-up objects frozen, as `serve` does
    if args.app == "service":
        from cds_hooks.server import post_fork

        settings["post_fork"] = post_fork  # logging and warm-up per worker, as `gist-cds serve`
    _App(args.app, settings).run()


if __name__ == "__main__":
    main()
