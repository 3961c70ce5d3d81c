"""Start-up checks shared by `gist-cds check-config` and `gist-cds serve`: every setting, the
trusted clients and their keys, the database. A problem is found before any worker forks and is
reported as one line, not as a worker traceback."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version

import sqlalchemy as sa

from cds_hooks.auth import ALLOWED_ALGORITHMS, JwksCache, JwksFetchError, public_key
from cds_hooks.config import ConfigError, Settings, settings_from_env, unknown_variables
from cds_hooks.trusted_clients import TrustedClient, load_trusted_clients
from logic.knowledge.version import KNOWLEDGE_VERSION

JWKS_TIMEOUT_S = 2.0  # what the verifier allows a JWKS download at run time


def gist_cds_version() -> str:
    try:
        return package_version("gist-cds")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def version_line() -> str:
    return f"gist-cds {gist_cds_version()} (knowledge {KNOWLEDGE_VERSION})"


@dataclass(frozen=True)
class Finding:
    """One check: `level` is "ok", "warn" (starts anyway) or "fail" (refuses to start)."""

    level: str
    subject: str
    detail: str


@dataclass
class Report:
    settings: Settings | None = None
    clients: dict[str, TrustedClient] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def add(self, level: str, subject: str, detail: str) -> None:
        self.findings.append(Finding(level, subject, detail))

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "fail"]


def run_checks(
    environ: Mapping[str, str] | None = None,
    *,
    fetch_jwks: bool = True,
    jwks_failure_level: str = "fail",
) -> Report:
    """Check the configuration the service would start with (never writes to the database)."""
    report = Report()
    try:
        settings = settings_from_env(environ)
    except ConfigError as exc:
        report.add("fail", "settings", str(exc))
        return report
    report.settings = settings
    report.add("ok", "settings", "every GIST_CDS_* value is valid")
    for name in unknown_variables(environ):
        report.add("warn", "settings", f"{name} is not a gist-cds setting (a typo?); ignored")
    _check_mode(settings, report)
    if settings.auth_enabled:
        _check_clients(settings, report, fetch_jwks, jwks_failure_level)
    _check_database(settings, report)
    return report


def _check_mode(settings: Settings, report: Report) -> None:
    from cds_hooks.app import check_demo_mode

    try:
        check_demo_mode(settings)
    except ConfigError as exc:
        report.add("fail", "auth", str(exc))
        return
    if settings.auth_enabled:
        report.add("ok", "auth", "on: every call needs a JWT from a trusted client")
    else:
        report.add("warn", "auth", "off: DEMO MODE, calls are not authenticated (loopback only)")


def _check_clients(settings: Settings, report: Report, fetch: bool, fetch_level: str) -> None:
    if not settings.trusted_clients_path:
        report.add(
            "fail",
            "trusted clients",
            "GIST_CDS_AUTH is on but GIST_CDS_TRUSTED_CLIENTS is not set: every call would be "
            "refused (set it, or GIST_CDS_AUTH=off for a loopback demo)",
        )
        return
    try:
        clients = load_trusted_clients(settings.trusted_clients_path)
    except ConfigError as exc:
        report.add("fail", "trusted clients", str(exc))
        return
    if not clients:
        report.add(
            "fail",
            "trusted clients",
            f"{settings.trusted_clients_path} lists no client: every call would be refused",
        )
        return
    report.clients = clients
    report.add("ok", "trusted clients", f"{len(clients)} from {settings.trusted_clients_path}")
    cache = JwksCache(
        cache_s=settings.jwks_cache_s,
        timeout_s=JWKS_TIMEOUT_S,
        ca_bundle=settings.extra.get("jwks_ca_bundle"),
        cooldown_s=0,
    )
    for client in clients.values():
        subject = f"keys of {client.iss}"
        if client.jwks is not None:
            _check_keys(client.jwks, subject, "inline JWKS", report, "fail")
        elif client.jwks_uri is not None and fetch:
            try:
                document = cache.fetch(client.jwks_uri)
            except JwksFetchError as exc:
                report.add(fetch_level, subject, f"{client.jwks_uri}: {exc.reason}")
                continue
            _check_keys(document, subject, client.jwks_uri, report, fetch_level)


def _check_keys(
    jwks: Mapping[str, object], subject: str, source: str, report: Report, level: str
) -> None:
    keys = jwks.get("keys")
    usable: dict[str, str] = {}
    for jwk in keys if isinstance(keys, list) else []:
        if not isinstance(jwk, dict):
            continue
        for alg in sorted(ALLOWED_ALGORITHMS):
            if public_key(jwk, alg) is not None:
                usable[str(jwk.get("kid"))] = alg
    total = len(keys) if isinstance(keys, list) else 0
    if not usable:
        report.add(level, subject, f"{source}: none of its {total} keys is an ES384/RS384 key")
        return
    listed = ", ".join(f"{kid} ({alg})" for kid, alg in sorted(usable.items()))
    report.add("ok", subject, f"{source}: {len(usable)} of {total} keys usable: {listed}")


def _check_database(settings: Settings, report: Report) -> None:
    from cds_hooks.storage import Storage, normalise_database_url

    try:
        url = normalise_database_url(settings.database_url)
    except ConfigError as exc:
        report.add("fail", "database", str(exc))
        return
    shown = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        path = os.path.abspath(url.database or "")
        if not os.path.exists(path):
            folder = os.path.dirname(path)
            if os.access(folder, os.W_OK):
                report.add("ok", "database", f"{shown}: new, will be created at start (0600)")
            else:
                report.add("fail", "database", f"{shown}: folder {folder} is not writable")
            return
    storage = Storage(settings.database_url)
    try:
        status = storage.schema_status()
    except sa.exc.SQLAlchemyError as exc:
        reason = (str(getattr(exc, "orig", None) or exc).splitlines() or ["unknown error"])[0]
        report.add("fail", "database", f"{shown}: cannot be opened: {reason}")
        return
    finally:
        storage.close()
    if status.state == "empty":
        report.add("ok", "database", f"{shown}: reachable, empty (tables are created at start)")
    elif status.state == "current":
        report.add("ok", "database", f"{shown}: reachable, schema revision {status.current}")
    elif status.state == "newer":
        report.add(
            "fail",
            "database",
            f"{shown}: schema revision {status.current} is newer than this gist-cds knows "
            f"({status.head})",
        )
    else:
        report.add(
            "fail",
            "database",
            f"{shown}: schema revision {status.current} is older than this release's "
            f"{status.head}: back up the database, then run `gist-cds db upgrade`",
        )


def effective_configuration(settings: Settings, clients: Mapping[str, TrustedClient]) -> list[str]:
    """The settings as the service will use them, secrets masked (database password)."""
    from cds_hooks.storage import normalise_database_url

    try:
        database = normalise_database_url(settings.database_url).render_as_string(
            hide_password=True
        )
    except ConfigError:
        database = "(invalid)"
    rows = [
        ("GIST_CDS_AUTH", settings.auth),
        ("GIST_CDS_PUBLIC_BASE_URL", settings.public_base_url),
        ("GIST_CDS_TRUSTED_CLIENTS", settings.trusted_clients_path or "-"),
        ("GIST_CDS_FHIR_ALLOWLIST", ", ".join(settings.fhir_allowlist) or "-"),
        ("GIST_CDS_DATABASE_URL", database),
        ("GIST_CDS_FHIR_TIMEOUT_S", f"{settings.fhir_timeout_s:g}"),
        ("GIST_CDS_CORS_ORIGINS", ", ".join(settings.cors_origins)),
        ("GIST_CDS_MAX_BODY_BYTES", str(settings.max_body_bytes)),
        ("GIST_CDS_MAX_RESOURCES", str(settings.max_resources)),
        ("GIST_CDS_JWT_LEEWAY_S", str(settings.jwt_leeway_s)),
        ("GIST_CDS_FEEDBACK_PER_MINUTE", str(settings.feedback_per_minute)),
        ("GIST_CDS_METRICS_ALLOW", ", ".join(settings.metrics_allow)),
        ("GIST_CDS_JWKS_CA_BUNDLE", str(settings.extra.get("jwks_ca_bundle") or "-")),
        ("GIST_CDS_LOG_LEVEL", settings.log_level),
        ("GIST_CDS_DEMO_PATIENTS", "true" if settings.demo_patients else "false"),
    ]
    lines = [f"  {name:<30} {value}" for name, value in rows]
    for client in clients.values():
        keys = client.jwks_uri or "inline JWKS"
        servers = ", ".join(client.fhir_servers) or "none"
        lines.append(f"  client {client.iss}: keys {keys}; FHIR servers {servers}")
    return lines


def start_banner(settings: Settings, clients: int, *, workers: int, threads: int = 1) -> str:
    """One line naming what is about to serve (version, auth, clients, database, URL)."""
    from cds_hooks.storage import normalise_database_url

    database = normalise_database_url(settings.database_url).get_backend_name()
    auth = "on" if settings.auth_enabled else "OFF (demo mode)"
    return (
        f"{version_line()} serving {settings.public_base_url}: auth {auth}, "
        f"{clients} trusted client{'s' if clients != 1 else ''}, database {database}, "
        f"{workers} worker{'s' if workers != 1 else ''}"
        + (f" x {threads} threads" if threads > 1 else "")
    )
