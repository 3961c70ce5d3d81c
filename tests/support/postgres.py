"""A real, throwaway PostgreSQL server for the storage tests.

`postgres_url` (session) starts one with the Debian postgresql binaries (initdb / pg_ctl) in a
temporary directory, listening on a free 127.0.0.1 port with trust authentication, and stops it
at the end. As root it runs the server as the `postgres` OS user (initdb refuses root).
`GIST_CDS_TEST_POSTGRES_URL` points the tests at an existing server instead. Missing binaries
fail the tests: CI installs them, so a silent skip would hide a broken pipeline.
`postgres_db_url` gives each test its own fresh database on that server, and `database_url` runs
a test on SQLite and on PostgreSQL. To use them in a test module, import the `*_fixture`
functions (or list this module in `pytest_plugins` of the root conftest).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

ENV_URL = "GIST_CDS_TEST_POSTGRES_URL"
_BINARIES = ("initdb", "pg_ctl", "postgres")


def find_postgres_bin() -> Path | None:
    """The directory holding initdb/pg_ctl/postgres: PATH first, then Debian's versioned dirs."""
    found = shutil.which("initdb")
    candidates = [Path(found).resolve().parent] if found else []
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for directory in candidates:
        if all((directory / name).exists() for name in _BINARIES):
            return directory
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PostgresServer:
    """initdb + pg_ctl start/stop of a private cluster under a temporary directory."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="gist-cds-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "sock"
        self.log = self.root / "server.log"
        self.port = 0
        self._run_as: dict[str, Any] = {}
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            self._run_as = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self.socket_dir.mkdir()
        if self._run_as:
            os.chown(self.socket_dir, self._run_as["user"], self._run_as["group"])

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin_dir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=self.root,
            **self._run_as,
        )

    def start(self) -> str:
        init = self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--no-locale", "--no-sync",
        )  # fmt: skip
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{init.stdout}\n{init.stderr}")
        (self.data / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 trust\n", encoding="utf-8"
        )
        for _attempt in range(3):
            self.port = _free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.socket_dir} "
                "-c fsync=off -c full_page_writes=off -c max_connections=100"
            )
            started = self._run(
                "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                "-o", options, "start",
            )  # fmt: skip
            if started.returncode == 0:
                return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        log = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        raise RuntimeError(f"PostgreSQL did not start:\n{started.stderr}\n{log[-2000:]}")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session", name="postgres_url")
def postgres_url_fixture() -> Iterator[str]:
    """URL of a running PostgreSQL server (its `postgres` maintenance database)."""
    configured = os.environ.get(ENV_URL)
    if configured:
        yield configured
        return
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        pytest.fail(
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on PATH or in "
            "/usr/lib/postgresql/*/bin: install them (apt-get install postgresql; .ci/run does) "
            f"or set {ENV_URL}",
            pytrace=False,
        )
    server = PostgresServer(bin_dir)
    try:
        url = server.start()
    except RuntimeError as exc:
        server.stop()
        pytest.fail(str(exc), pytrace=False)
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture(name="postgres_db_url")
def postgres_db_url_fixture(postgres_url: str) -> Iterator[str]:
    """A new, empty database for one test (dropped afterwards)."""
    name = f"gist_test_{uuid.uuid4().hex[:12]}"
    admin = sa.make_url(postgres_url).set(drivername="postgresql")
    conninfo = admin.render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # name generated above
    try:
        yield sa.make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(
    name="database_url",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def database_url_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on a SQLite file and on a fresh database of the real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'gist-cds.sqlite3'}"
    url: str = request.getfixturevalue("postgres_db_url")
    return url
