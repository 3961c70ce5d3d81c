"""The per-app objects views need (settings, storage, JWT verifier), built once by the factory."""

from __future__ import annotations

from dataclasses import dataclass

from cds_hooks.auth import JwtVerifier
from cds_hooks.config import Settings
from cds_hooks.storage import Storage


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: Settings
    storage: Storage
    verifier: JwtVerifier | None  # None only in demo mode (GIST_CDS_AUTH=off)
