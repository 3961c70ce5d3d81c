"""The Flask app factory: nothing is configured at import time, so every test (and every
gunicorn worker) gets its own app from `create_app(settings)`."""

from __future__ import annotations

import ipaddress
import logging
import re
import time
from urllib.parse import urlsplit

from flask import Flask, Response, g, jsonify, request
from flask_cors import CORS
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from cds_hooks.auth import JwtVerifier
from cds_hooks.config import ConfigError, Settings, settings_from_env
from cds_hooks.deadline import RequestDeadlineExceeded, disarm
from cds_hooks.errors import ServiceError, operation_outcome
from cds_hooks.runtime import Runtime
from cds_hooks.storage import Storage
from cds_hooks.trusted_clients import load_trusted_clients
from cds_hooks.views import bp as cds_bp

log = logging.getLogger("gist_cds.app")

_CORS_ROUTES = r"/cds-services*"
#: Demo mode (no authentication) answers browsers on loopback origins only: the simulator's page
#: and local tools, never an arbitrary web page a clinician happens to have open.
LOOPBACK_ORIGIN = re.compile(r"^https?://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]{1,5})?$")
#: Everything the service serves is JSON or a static rule page with one same-origin stylesheet.
JSON_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
HTML_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)
DEMO_MODE_WARNING = (
    "GIST_CDS_AUTH=off: DEMO MODE, calls are NOT authenticated. Loopback only; never use with "
    "real patient data."
)


def is_loopback_host(host: str) -> bool:
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_demo_mode(settings: Settings) -> None:
    """Demo mode (auth off) is refused unless the public URL is a loopback address."""
    if settings.auth_enabled:
        return
    host = urlsplit(settings.public_base_url).hostname or ""
    if not is_loopback_host(host):
        raise ConfigError(f"GIST_CDS_AUTH=off is only allowed on a loopback address, not {host!r}")


def create_app(settings: Settings | None = None, *, warm: bool = False) -> Flask:
    """Wire the app: configuration, storage, JWT verifier, blueprints, error and request hooks.

    Logging setup and the warm-up belong to the server entry point (`warmup.prepare_process`,
    run by gunicorn's `post_fork`); `warm=True` also warms up here, for an embedder that has no
    such entry point."""
    settings = settings or settings_from_env()
    check_demo_mode(settings)
    storage = Storage(settings.database_url)
    storage.create_schema()
    verifier: JwtVerifier | None = None
    if settings.auth_enabled:
        clients = load_trusted_clients(settings.trusted_clients_path)
        if not clients:
            raise ConfigError(
                "GIST_CDS_AUTH is on but no trusted client is configured (GIST_CDS_TRUSTED_CLIENTS)"
            )
        verifier = JwtVerifier(
            clients,
            storage,
            leeway_s=settings.jwt_leeway_s,
            jwks_cache_s=settings.jwks_cache_s,
            ca_bundle=settings.extra.get("jwks_ca_bundle"),
        )
    else:
        log.warning(DEMO_MODE_WARNING, extra={"event": "demo-mode"})

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["gist_cds"] = Runtime(settings=settings, storage=storage, verifier=verifier)
    app.register_blueprint(cds_bp)
    from cds_hooks.rule_pages import bp as rules_bp

    app.register_blueprint(rules_bp)
    from cds_hooks.landing import bp as landing_bp

    app.register_blueprint(landing_bp)
    CORS(
        app,
        resources={_CORS_ROUTES: {"origins": cors_origins(settings)}},
        allow_headers=["Authorization", "Content-Type"],
        methods=["GET", "POST", "OPTIONS"],
        max_age=600,
        supports_credentials=False,
    )
    register_error_handlers(app)
    register_request_hooks(app, settings)
    if warm:
        from cds_hooks.warmup import warm_up

        warm_up(settings.public_base_url)
    return app


def cors_origins(settings: Settings) -> list[str | re.Pattern[str]]:
    """The configured origins; in demo mode the default `*` becomes loopback origins only."""
    if not settings.auth_enabled and settings.cors_origins == ("*",):
        return [LOOPBACK_ORIGIN]
    return list(settings.cors_origins)


def register_request_hooks(app: Flask, settings: Settings) -> None:
    """The start time a hook call's deadline counts from (an overrun answers 503, not gunicorn's
    HTML 500), and security headers on every answer."""

    @app.before_request
    def note_start() -> None:
        g.started = time.monotonic()  # the hook pipeline's deadline counts from here

    @app.after_request
    def security_headers(response: Response) -> Response:
        disarm()
        html = response.mimetype == "text/html"
        response.headers.setdefault("Content-Security-Policy", HTML_CSP if html else JSON_CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    @app.teardown_request
    def stop_deadline(_: BaseException | None) -> None:
        disarm()


def _error(status: int, message: str | None) -> tuple[Response, int]:
    response = jsonify(operation_outcome(status, message))
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="gist-cds"'
    if status == 429:
        response.headers["Retry-After"] = "60"  # the feedback rate limit counts one minute
    return response, status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError) -> tuple[Response, int]:
        return _error(exc.status, exc.message or None)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response, int]:
        status = exc.code or 500
        messages: dict[int, str] = {
            404: f"no route for {request.method} {request.path}",
            405: f"{request.method} is not allowed on {request.path}",
            413: "request body over the configured size limit",
            431: "request headers too large",
        }
        return _error(status, messages.get(status, exc.name))

    @app.errorhandler(RequestDeadlineExceeded)
    def over_deadline(exc: RequestDeadlineExceeded) -> tuple[Response, int]:
        disarm()
        log.error("request over its deadline", extra={"event": "deadline", "path": request.path})
        return _error(
            503, "the request did not finish within the service's time limit; retry later"
        )

    @app.errorhandler(SQLAlchemyError)
    def database_error(exc: SQLAlchemyError) -> tuple[Response, int]:
        log.error("database error", extra={"event": "db-error", "reason": type(exc).__name__})
        return _error(503, "the service database is unavailable; retry later")

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[Response, int]:
        log.error(
            "unhandled error",
            extra={"event": "error", "reason": type(exc).__name__, "path": request.path},
        )
        return _error(500, "internal error; the incident was logged without request data")
