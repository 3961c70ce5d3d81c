"""Service settings, read from `GIST_CDS_*` environment variables (documented in the README).

Everything has a safe default: authentication is on unless `GIST_CDS_AUTH=off`, which is only
allowed on a loopback address (checked by the CLI and the app factory).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

ENV_PREFIX = "GIST_CDS_"


class ConfigError(ValueError):
    """A setting is missing or malformed; the service refuses to start."""


@dataclass(frozen=True, slots=True)
class Settings:
    auth: str = "on"  # "on" | "off" (demo, loopback only)
    public_base_url: str = "http://127.0.0.1:8080"  # what clients call; JWT `aud` is checked on it
    trusted_clients_path: str | None = (
        None  # JSON file: [{"iss", "jwks_uri"|"jwks", "fhir_servers"}]
    )
    fhir_allowlist: tuple[str, ...] = ()  # FHIR bases usable in demo mode (auth off)
    database_url: str = "sqlite:///gist-cds.sqlite3"
    fhir_timeout_s: float = 3.0  # total budget for fetching missing prefetch per hook call
    cors_origins: tuple[str, ...] = ("*",)
    max_body_bytes: int = 10 * 1024 * 1024
    max_json_depth: int = 64
    max_resources: int = 20_000  # per hook call: prefetched and fetched resources together
    max_fhir_bytes: int = 32 * 1024 * 1024  # per hook call: request body plus fetched FHIR bytes
    request_deadline_s: float = 20.0  # a hook call still running then answers 503 (< gunicorn)
    jwt_leeway_s: int = 30
    jwks_cache_s: int = 300
    feedback_per_minute: int = 600  # feedback items one client may store a minute
    metrics_allow: tuple[str, ...] = ("127.0.0.0/8", "::1/128")  # who may read /metrics
    log_level: str = "INFO"
    demo_patients: bool = False  # serve the bundled synthetic patients (make run)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def auth_enabled(self) -> bool:
        return self.auth != "off"

    def endpoint_url(self, path: str) -> str:
        """The absolute public URL of a route, as a client calls it (the JWT audience)."""
        return self.public_base_url.rstrip("/") + "/" + path.lstrip("/")


#: Every variable the service reads (check-config names any other GIST_CDS_* as a likely typo).
KNOWN_VARIABLES = frozenset(
    ENV_PREFIX + name
    for name in (
        "AUTH",
        "PUBLIC_BASE_URL",
        "TRUSTED_CLIENTS",
        "FHIR_ALLOWLIST",
        "DATABASE_URL",
        "FHIR_TIMEOUT_S",
        "CORS_ORIGINS",
        "MAX_BODY_BYTES",
        "MAX_RESOURCES",
        "JWT_LEEWAY_S",
        "FEEDBACK_PER_MINUTE",
        "JWKS_CA_BUNDLE",
        "LOG_LEVEL",
        "DEMO_PATIENTS",
        "METRICS_ALLOW",
    )
)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_TRUE, _FALSE = ("1", "true", "on", "yes"), ("0", "false", "off", "no", "")


def unknown_variables(environ: Mapping[str, str] | None = None) -> list[str]:
    """GIST_CDS_* names in the environment that no setting reads (test-suite names excepted)."""
    env = os.environ if environ is None else environ
    return sorted(
        name
        for name in env
        if name.startswith(ENV_PREFIX) and name not in KNOWN_VARIABLES and "_TEST_" not in name
    )


def _base_url(name: str, raw: str) -> str:
    """An absolute http(s) URL without credentials, query or fragment."""
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{ENV_PREFIX}{name} must be an absolute http(s) URL, got {raw!r}")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ConfigError(f"{ENV_PREFIX}{name} must be a plain base URL, got {raw!r}")
    return raw.rstrip("/")


def _origin(raw: str) -> str:
    parts = urlsplit(raw)
    if raw != "*" and (
        parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/")
    ):
        raise ConfigError(
            f"{ENV_PREFIX}CORS_ORIGINS entries must be '*' or scheme://host[:port], got {raw!r}"
        )
    return raw.rstrip("/")


def _cidr(raw: str) -> str:
    try:
        return str(ipaddress.ip_network(raw, strict=False))
    except ValueError:
        raise ConfigError(
            f"{ENV_PREFIX}METRICS_ALLOW entries must be CIDRs like 10.0.0.0/8, got {raw!r}"
        ) from None


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _number(name: str, raw: str, kind: type[int] | type[float]) -> Any:
    try:
        number = kind(raw)
    except ValueError as exc:
        raise ConfigError(f"{ENV_PREFIX}{name} must be a number, got {raw!r}") from exc
    if number <= 0:
        raise ConfigError(f"{ENV_PREFIX}{name} must be positive")
    return number


def settings_from_env(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build Settings from the environment (and keyword overrides, used by tests)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}

    def get(name: str) -> str | None:
        return env.get(ENV_PREFIX + name)

    if (raw := get("AUTH")) is not None:
        if raw not in ("on", "off"):
            raise ConfigError(f"{ENV_PREFIX}AUTH must be 'on' or 'off', got {raw!r}")
        values["auth"] = raw
    if raw := get("PUBLIC_BASE_URL"):
        values["public_base_url"] = _base_url("PUBLIC_BASE_URL", raw)
    if raw := get("TRUSTED_CLIENTS"):
        values["trusted_clients_path"] = raw
    if raw := get("FHIR_ALLOWLIST"):
        values["fhir_allowlist"] = tuple(_base_url("FHIR_ALLOWLIST", u) for u in _split(raw))
    if raw := get("DATABASE_URL"):
        values["database_url"] = raw
    if raw := get("FHIR_TIMEOUT_S"):
        values["fhir_timeout_s"] = _number("FHIR_TIMEOUT_S", raw, float)
    if raw := get("CORS_ORIGINS"):
        values["cors_origins"] = tuple(_origin(origin) for origin in _split(raw))
    if raw := get("MAX_BODY_BYTES"):
        values["max_body_bytes"] = _number("MAX_BODY_BYTES", raw, int)
    if raw := get("MAX_RESOURCES"):
        values["max_resources"] = _number("MAX_RESOURCES", raw, int)
    if raw := get("MAX_FHIR_BYTES"):
        values["max_fhir_bytes"] = _number("MAX_FHIR_BYTES", raw, int)
    if raw := get("REQUEST_DEADLINE_S"):
        values["request_deadline_s"] = _number("REQUEST_DEADLINE_S", raw, float)
    if raw := get("JWT_LEEWAY_S"):
        values["jwt_leeway_s"] = _number("JWT_LEEWAY_S", raw, int)
    if raw := get("FEEDBACK_PER_MINUTE"):
        values["feedback_per_minute"] = _number("FEEDBACK_PER_MINUTE", raw, int)
    if raw := get("METRICS_ALLOW"):
        values["metrics_allow"] = tuple(_cidr(entry) for entry in _split(raw))
    if raw := get("JWKS_CA_BUNDLE"):
        if not os.path.isfile(raw):
            raise ConfigError(f"{ENV_PREFIX}JWKS_CA_BUNDLE {raw!r} is not a readable file")
        values["extra"] = {"jwks_ca_bundle": raw}
    if raw := get("LOG_LEVEL"):
        if raw.upper() not in LOG_LEVELS:
            raise ConfigError(f"{ENV_PREFIX}LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
        values["log_level"] = raw.upper()
    if (raw := get("DEMO_PATIENTS")) is not None:
        if raw.lower() not in _TRUE + _FALSE:
            raise ConfigError(f"{ENV_PREFIX}DEMO_PATIENTS must be true or false, got {raw!r}")
        values["demo_patients"] = raw.lower() in _TRUE
    settings = replace(Settings(), **values)
    return replace(settings, **overrides) if overrides else settings
