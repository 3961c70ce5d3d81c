"""Shared fixtures: a scrubbed environment, and the real app served over loopback HTTP.

`service` is the app with authentication ON (trusted test issuer, ES384 keys); `demo_service`
runs in demo mode (GIST_CDS_AUTH=off). `cds_call(prefetch, patient_id)` posts a patient-view call
to `service` and returns the parsed 200 response (it fails the test on any other status).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cds_hooks.config import Settings
from tests.support import jwt_tools
from tests.support.live import LiveService, hook_request, live_service


@pytest.fixture(autouse=True, scope="session")
def _scrub_environment() -> Iterator[None]:
    """A developer's GIST_CDS_* variables must not change test outcomes."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("GIST_CDS_") and "TEST" not in k}
    for key in saved:
        del os.environ[key]
    yield
    os.environ.update(saved)


@pytest.fixture(scope="session")
def trusted_clients_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clients") / "trusted-clients.json"
    jwt_tools.write_trusted_clients(
        path,
        [
            {
                "iss": jwt_tools.TEST_ISSUER,
                "jwks": jwt_tools.jwks_for(jwt_tools.make_keys()),
                "fhir_servers": [],
            }
        ],
    )
    return path


def mint_for_test_issuer(audience: str) -> str:
    return jwt_tools.mint(jwt_tools.TEST_ISSUER, audience)


@pytest.fixture(scope="session")
def service(
    tmp_path_factory: pytest.TempPathFactory, trusted_clients_file: Path
) -> Iterator[LiveService]:
    database = tmp_path_factory.mktemp("db") / "gist-cds.sqlite3"

    def settings(base_url: str) -> Settings:
        return Settings(
            auth="on",
            public_base_url=base_url,
            trusted_clients_path=str(trusted_clients_file),
            database_url=f"sqlite:///{database}",
        )

    with live_service(settings, mint_for_test_issuer) as live:
        yield live


@pytest.fixture(scope="session")
def demo_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    database = tmp_path_factory.mktemp("demo-db") / "gist-cds.sqlite3"

    def settings(base_url: str) -> Settings:
        return Settings(auth="off", public_base_url=base_url, database_url=f"sqlite:///{database}")

    with live_service(settings) as live:
        yield live


@pytest.fixture
def cds_call(service: LiveService) -> Callable[[dict[str, Any], str], dict[str, Any]]:
    def call(prefetch: dict[str, Any], patient_id: str) -> dict[str, Any]:
        response = service.post("cds-services/gist-treatment", hook_request(patient_id, prefetch))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    return call
