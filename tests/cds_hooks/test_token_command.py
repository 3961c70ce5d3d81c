"""`gist-cds token` (test only), as a real process: a new client key file and its trusted-clients
entry, then tokens that the running service accepts once, for the exact URL they name."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import requests

from cds_hooks.config import Settings
from tests.cds_hooks.test_cli import GIST_CDS
from tests.support import jwt_tools
from tests.support.live import live_service

ISS = "https://smoke-test.example.org"


def gist_cds(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GIST_CDS, *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_minted_tokens_open_the_service_once_for_their_url(tmp_path: Path) -> None:
    key_file = tmp_path / "client-key.json"
    created = gist_cds("token", "--new-client", str(key_file), "--iss", ISS)
    assert created.returncode == 0, created.stderr
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    entry = json.loads(created.stdout)
    assert entry["iss"] == ISS
    assert "d" not in entry["jwks"]["keys"][0]  # public key only
    clients = jwt_tools.write_trusted_clients(tmp_path / "clients.json", [entry])
    assert gist_cds("token", "--new-client", str(key_file), "--iss", ISS).returncode == 2

    def settings(base_url: str) -> Settings:
        return Settings(
            public_base_url=base_url,
            trusted_clients_path=clients,
            database_url=f"sqlite:///{tmp_path}/db.sqlite3",
        )

    with live_service(settings) as live:
        url = live.url("cds-services")
        minted = gist_cds("token", "--client", str(key_file), "--aud", url)
        assert minted.returncode == 0, minted.stderr
        headers = {"Authorization": f"Bearer {minted.stdout.strip()}"}
        assert requests.get(url, headers=headers, timeout=30).status_code == 200
        assert requests.get(url, headers=headers, timeout=30).status_code == 401  # jti replay
        elsewhere = gist_cds("token", "--client", str(key_file), "--aud", url + "/x").stdout
        answer = requests.get(
            url, headers={"Authorization": f"Bearer {elsewhere.strip()}"}, timeout=30
        )
        assert answer.status_code == 401


def test_token_errors_are_one_line(tmp_path: Path) -> None:
    missing = gist_cds("token", "--client", str(tmp_path / "none.json"), "--aud", "http://x")
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [
        f"gist-cds: configuration error: client key file {tmp_path / 'none.json'} cannot be "
        "read: No such file or directory"
    ]
    key_file = tmp_path / "k.json"
    assert gist_cds("token", "--new-client", str(key_file), "--iss", ISS).returncode == 0
    too_long = gist_cds(
        "token", "--client", str(key_file), "--aud", "http://x", "--lifetime", "9999"
    )
    assert too_long.returncode == 2
    assert "--lifetime must be between 1 and 3600 seconds" in too_long.stderr
