"""The CDS clients this service trusts, loaded from the `GIST_CDS_TRUSTED_CLIENTS` JSON file.

Each client is identified by its JWT `iss` and brings either a JWKS URL (fetched over https,
never taken from a token alone) or a static JWKS, plus the FHIR servers its access tokens may be
sent to. A malformed file stops the service at start-up rather than weakening checks at run time.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cds_hooks.config import ConfigError

_ALLOWED_KEYS = frozenset({"iss", "jwks_uri", "jwks", "fhir_servers", "name"})
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


@dataclass(frozen=True)
class TrustedClient:
    """One allowlisted issuer: where its signing keys come from and where its tokens may go."""

    iss: str
    jwks_uri: str | None
    jwks: dict[str, Any] | None
    fhir_servers: tuple[str, ...]


def load_trusted_clients(path: str | None) -> dict[str, TrustedClient]:
    """Read and validate the trusted-clients file; no path means no trusted clients."""
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise ConfigError(f"trusted clients file {path!r} cannot be read: {exc.strerror}") from exc
    except ValueError as exc:
        raise ConfigError(f"trusted clients file {path!r} is not valid JSON: {exc}") from exc
    return parse_trusted_clients(data, source=path)


def parse_trusted_clients(
    data: Any, *, source: str = "trusted clients"
) -> dict[str, TrustedClient]:
    """Validate already-parsed JSON (a list of client objects) into clients keyed by `iss`."""
    if not isinstance(data, list):
        raise ConfigError(f"{source}: must be a JSON list of client objects")
    clients: dict[str, TrustedClient] = {}
    for index, entry in enumerate(data):
        where = f"{source}: entry {index}"
        client = _parse_client(entry, where)
        if client.iss in clients:
            raise ConfigError(f"{where}: duplicate iss {client.iss!r}")
        clients[client.iss] = client
    return clients


def _parse_client(entry: Any, where: str) -> TrustedClient:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: must be a JSON object")
    unknown = sorted(set(entry) - _ALLOWED_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown keys {unknown} (allowed: {sorted(_ALLOWED_KEYS)})")
    iss = entry.get("iss")
    if not isinstance(iss, str) or not iss.strip():
        raise ConfigError(f"{where}: 'iss' is required and must be a non-empty string")
    where = f"{where} (iss {iss!r})"
    has_uri, has_jwks = "jwks_uri" in entry, "jwks" in entry
    if has_uri == has_jwks:
        raise ConfigError(f"{where}: give exactly one of 'jwks_uri' or 'jwks'")
    jwks_uri = _parse_jwks_uri(entry["jwks_uri"], where) if has_uri else None
    jwks = _parse_jwks(entry["jwks"], where) if has_jwks else None
    if "fhir_servers" not in entry:
        raise ConfigError(f"{where}: 'fhir_servers' is required (a list of FHIR base URLs)")
    fhir_servers = _parse_fhir_servers(entry["fhir_servers"], where)
    return TrustedClient(iss=iss, jwks_uri=jwks_uri, jwks=jwks, fhir_servers=fhir_servers)


def _parse_jwks_uri(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: 'jwks_uri' must be a string")
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise ConfigError(f"{where}: 'jwks_uri' must be an absolute https URL, got {value!r}")
    if parts.username or parts.password:
        raise ConfigError(f"{where}: 'jwks_uri' must not carry credentials")
    return value


def _parse_jwks(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict) or not isinstance(value.get("keys"), list):
        raise ConfigError(f"{where}: 'jwks' must be an object with a 'keys' list")
    if not value["keys"]:
        raise ConfigError(f"{where}: 'jwks' has no keys")
    for position, key in enumerate(value["keys"]):
        if not isinstance(key, dict) or not isinstance(key.get("kid"), str) or not key["kid"]:
            raise ConfigError(f"{where}: jwks key {position} must be an object with a 'kid'")
        if "d" in key:
            raise ConfigError(f"{where}: jwks key {key['kid']!r} contains private key material")
    return value


def _parse_fhir_servers(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ConfigError(f"{where}: 'fhir_servers' must be a list of URLs")
    servers: list[str] = []
    for url in value:
        if not isinstance(url, str):
            raise ConfigError(f"{where}: 'fhir_servers' entries must be URL strings")
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ConfigError(f"{where}: FHIR server {url!r} is not an absolute http(s) URL")
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            # Access tokens travel to these servers; plain http is only tolerated on loopback.
            raise ConfigError(f"{where}: FHIR server {url!r} must use https (http: loopback only)")
        if parts.username or parts.password or parts.query or parts.fragment:
            raise ConfigError(f"{where}: FHIR server {url!r} must be a plain base URL")
        servers.append(url.rstrip("/"))
    return tuple(dict.fromkeys(servers))


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
