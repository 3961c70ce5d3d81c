"""`gist-cds check-config` and the same checks in `gist-cds serve`, run as real processes: a good
configuration (trusted clients whose jwks_uri is fetched over real https, a database holding data)
passes and prints the effective configuration with secrets masked; each bad one exits non-zero
naming the problem, and `serve` refuses to start with one line and no traceback."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from cds_hooks.storage import Storage
from tests.cds_hooks.test_cli import GIST_CDS, free_port
from tests.support import jwt_tools
from tests.support.https_server import (  # noqa: F401 - fixtures
    HttpsTestServer,
    https_server_fixture,
    https_server_session_fixture,
)
from tests.support.postgres import (  # noqa: F401 - fixtures
    postgres_db_url_fixture,
    postgres_url_fixture,
)

JWKS_PATH = "/ehr/.well-known/jwks.json"


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GIST_CDS_")}
    return subprocess.run(
        [GIST_CDS, *args],
        env=clean | env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def good_env(tmp_path: Path, https_server: HttpsTestServer) -> dict[str, str]:
    jwks_uri = https_server.serve_json(JWKS_PATH, jwt_tools.jwks_for(jwt_tools.make_keys()))
    clients = jwt_tools.write_trusted_clients(
        tmp_path / "clients.json",
        [
            jwt_tools.client_entry(jwks_uri=jwks_uri, fhir_servers=["https://fhir.example.org/r4"]),
            jwt_tools.client_entry("https://kit.example.org"),
        ],
    )
    database = tmp_path / "gist.sqlite3"
    storage = Storage(f"sqlite:///{database}")
    storage.create_schema()
    storage.close()
    return {
        "GIST_CDS_AUTH": "on",
        "GIST_CDS_TRUSTED_CLIENTS": clients,
        "GIST_CDS_JWKS_CA_BUNDLE": str(https_server.ca_file),
        "GIST_CDS_DATABASE_URL": f"sqlite:///{database}",
        "GIST_CDS_PUBLIC_BASE_URL": "https://cds.example.org",
    }


def test_a_good_configuration_passes_and_prints_what_it_will_use(
    good_env: dict[str, str], tmp_path: Path, https_server: HttpsTestServer
) -> None:
    result = run(["check-config"], good_env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert out.splitlines()[-1] == "result: OK"
    assert "GIST_CDS_PUBLIC_BASE_URL       https://cds.example.org" in out
    assert f"OK   keys of {jwt_tools.TEST_ISSUER}: https://127.0.0.1:" in out
    assert "2 of 2 keys usable: test-ec-1 (ES384), test-rsa-1 (RS384)" in out
    assert "OK   keys of https://kit.example.org: inline JWKS" in out
    assert "reachable, schema revision 0002" in out
    assert https_server.hits(JWKS_PATH) == 1  # really fetched over https


@pytest.mark.postgres
def test_database_password_is_masked(
    good_env: dict[str, str], tmp_path: Path, postgres_db_url: str
) -> None:
    url = sa.make_url(postgres_db_url).set(password="s3cret-pw")
    env = good_env | {"GIST_CDS_DATABASE_URL": url.render_as_string(hide_password=False)}
    result = run(["check-config"], env, tmp_path)
    assert "s3cret-pw" not in result.stdout + result.stderr
    assert "***" in result.stdout


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"GIST_CDS_TRUSTED_CLIENTS": None}, "GIST_CDS_TRUSTED_CLIENTS is not set"),
        ({"GIST_CDS_TRUSTED_CLIENTS": "/nonexistent/clients.json"}, "cannot be read"),
        ({"GIST_CDS_FHIR_TIMEOUT_S": "soon"}, "GIST_CDS_FHIR_TIMEOUT_S must be a number"),
        ({"GIST_CDS_PUBLIC_BASE_URL": "cds.example.org"}, "must be an absolute http(s) URL"),
        ({"GIST_CDS_LOG_LEVEL": "loud"}, "GIST_CDS_LOG_LEVEL must be one of"),
        ({"GIST_CDS_AUTH": "off"}, "only allowed on a loopback address"),
        ({"GIST_CDS_DATABASE_URL": "mysql://u@db/gist"}, "database URL must be"),
        (
            {"GIST_CDS_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"},
            "cannot be opened",
        ),
        (
            {"GIST_CDS_DATABASE_URL": "sqlite:////nonexistent/dir/gist.sqlite3"},
            "is not writable",
        ),
    ],
)
def test_bad_configurations_exit_non_zero_naming_the_problem(
    good_env: dict[str, str], tmp_path: Path, change: dict[str, str | None], problem: str
) -> None:
    env = {k: v for k, v in (good_env | change).items() if v is not None}
    result = run(["check-config"], env, tmp_path)
    assert result.returncode == 1, result.stdout
    assert problem in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_bad_client_files_and_key_sets_are_named(
    good_env: dict[str, str], tmp_path: Path, https_server: HttpsTestServer
) -> None:
    invalid = tmp_path / "invalid.json"
    invalid.write_text("[{not json")
    result = run(["check-config"], good_env | {"GIST_CDS_TRUSTED_CLIENTS": str(invalid)}, tmp_path)
    assert (result.returncode, "is not valid JSON" in result.stdout) == (1, True)

    empty = jwt_tools.write_trusted_clients(tmp_path / "empty.json", [])
    result = run(["check-config"], good_env | {"GIST_CDS_TRUSTED_CLIENTS": empty}, tmp_path)
    assert (result.returncode, "lists no client" in result.stdout) == (1, True)

    https_server.serve_json(JWKS_PATH, {"error": "gone"}, status=404)
    result = run(["check-config"], good_env, tmp_path)
    assert result.returncode == 1
    assert f"FAIL keys of {jwt_tools.TEST_ISSUER}: https://127.0.0.1:" in result.stdout
    assert "HTTP 404" in result.stdout

    symmetric = {"keys": [{"kty": "oct", "kid": "k1", "k": "c2VjcmV0"}]}
    https_server.serve_json(JWKS_PATH, symmetric)
    result = run(["check-config"], good_env, tmp_path)
    assert result.returncode == 1
    assert "none of its 1 keys is an ES384/RS384 key" in result.stdout


def test_a_database_newer_than_this_release_is_refused(
    good_env: dict[str, str], tmp_path: Path
) -> None:
    engine = sa.create_engine(good_env["GIST_CDS_DATABASE_URL"])
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    result = run(["check-config"], good_env, tmp_path)
    assert result.returncode == 1
    assert "schema revision 0099 is newer than this gist-cds knows" in result.stdout
    serve = run(["serve", "--port", str(free_port())], good_env, tmp_path)
    assert serve.returncode == 2
    assert "newer than this gist-cds knows" in serve.stderr


def test_unknown_variables_are_named_as_likely_typos(
    good_env: dict[str, str], tmp_path: Path
) -> None:
    result = run(["check-config"], good_env | {"GIST_CDS_DATABSE_URL": "x"}, tmp_path)
    assert result.returncode == 0
    assert "WARN settings: GIST_CDS_DATABSE_URL is not a gist-cds setting" in result.stdout


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"GIST_CDS_TRUSTED_CLIENTS": None}, "GIST_CDS_TRUSTED_CLIENTS is not set"),
        ({"GIST_CDS_TRUSTED_CLIENTS": "/nonexistent/clients.json"}, "cannot be read"),
    ],
)
def test_serve_refuses_to_start_with_one_line(
    good_env: dict[str, str], tmp_path: Path, change: dict[str, str | None], problem: str
) -> None:
    env = {k: v for k, v in (good_env | change).items() if v is not None}
    result = run(["serve", "--port", str(free_port())], env, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("gist-cds: cannot start: trusted clients: ")
    assert problem in lines[0]
    assert not (tmp_path / "gist-cds.sqlite3").exists()  # refused before touching anything


def test_version_names_package_and_knowledge(tmp_path: Path) -> None:
    from logic.knowledge.version import KNOWLEDGE_VERSION

    result = run(["--version"], {}, tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"gist-cds 0.1.0 (knowledge {KNOWLEDGE_VERSION})"
