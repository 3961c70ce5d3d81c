"""`GET /` tells a browser what the service is and where to go; `GET /readyz` is ready only while
the database answers, the knowledge is loaded and every trusted client's keys are at hand — and
flips to 503 (and back) when the real PostgreSQL server stops accepting connections."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest
import requests
import sqlalchemy as sa

from cds_hooks.config import Settings
from logic.knowledge.version import KNOWLEDGE_VERSION
from logic.registry import RULES
from tests.support import jwt_tools
from tests.support.https_server import (  # noqa: F401 - fixtures
    HttpsTestServer,
    https_server_fixture,
    https_server_session_fixture,
)
from tests.support.live import LiveService, live_service
from tests.support.postgres import (  # noqa: F401 - fixtures
    postgres_db_url_fixture,
    postgres_url_fixture,
)


def test_landing_page_links_discovery_rules_health_and_docs(service: LiveService) -> None:
    page = service.get("/", auth=False)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    html = page.text
    assert f"{service.base_url}/cds-services" in html
    assert "Demo mode" not in html
    assert f"{len(RULES)} rules" in html
    assert KNOWLEDGE_VERSION in html
    links = set(re.findall(r'href="(/[^"]*)"', html))
    assert {"/rules", "/healthz", "/readyz", "/openapi.json"} <= links
    for link in links - {"/rules/assets/rules.css"}:
        assert service.get(link, auth=False).status_code == 200, link


def test_landing_page_warns_in_demo_mode(demo_service: LiveService) -> None:
    assert "Demo mode" in demo_service.get("/", auth=False).text


def test_ready_when_database_knowledge_and_keys_are_there(service: LiveService) -> None:
    answer = service.get("readyz", auth=False)
    assert answer.status_code == 200
    assert answer.json() == {
        "status": "ready",
        "database": "ok",
        "knowledge": {"version": KNOWLEDGE_VERSION, "rules": len(RULES)},
        "trustedClients": {jwt_tools.TEST_ISSUER: "keys loaded"},
        "auth": "on",
    }


def test_not_ready_while_a_clients_jwks_cannot_be_fetched(
    tmp_path: Path, https_server: HttpsTestServer
) -> None:
    jwks_uri = https_server.serve_json("/down/jwks.json", {"error": "down"}, status=503)
    clients = jwt_tools.write_trusted_clients(
        tmp_path / "clients.json",
        [jwt_tools.client_entry(jwks_uri=jwks_uri), jwt_tools.client_entry("https://kit.test")],
    )

    def settings(base_url: str) -> Settings:
        return Settings(
            public_base_url=base_url,
            trusted_clients_path=clients,
            database_url=f"sqlite:///{tmp_path}/db.sqlite3",
            extra={"jwks_ca_bundle": str(https_server.ca_file)},
        )

    with live_service(settings) as live:
        answer = live.get("readyz", auth=False)
        assert answer.status_code == 503
        assert answer.json()["status"] == "not-ready"
        assert answer.json()["trustedClients"] == {
            jwt_tools.TEST_ISSUER: "keys unavailable",
            "https://kit.test": "keys loaded",
        }
        assert live.get("healthz", auth=False).status_code == 200  # alive, just not ready


@pytest.mark.postgres
def test_readiness_flips_when_the_database_is_unreachable(
    postgres_db_url: str, trusted_clients_file: Path
) -> None:
    url = sa.make_url(postgres_db_url)
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )

    def connections(allowed: bool) -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{url.database}" WITH ALLOW_CONNECTIONS {allowed}')
            if not allowed:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                    (url.database,),
                )

    def settings(base_url: str) -> Settings:
        return Settings(
            public_base_url=base_url,
            trusted_clients_path=str(trusted_clients_file),
            database_url=postgres_db_url,
        )

    with live_service(settings) as live:
        assert live.get("readyz", auth=False).json()["status"] == "ready"
        connections(False)
        try:
            down = live.get("readyz", auth=False)
            assert down.status_code == 503
            assert (down.json()["status"], down.json()["database"]) == ("not-ready", "unreachable")
            assert live.get("healthz", auth=False).status_code == 503
        finally:
            connections(True)
        again = requests.get(live.url("readyz"), timeout=30)
        assert again.status_code == 200
        assert again.json()["status"] == "ready"
