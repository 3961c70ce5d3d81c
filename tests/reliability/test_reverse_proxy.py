"""The production shape on loopback: nginx (Debian) terminating TLS in front of two `gist-cds
serve` instances that share one real PostgreSQL database. Calls spread over both instances; a JWT
replayed through the proxy is refused whichever instance gets it; when one instance is killed
(SIGKILL, master and workers) the proxy moves calls to the other, and every feedback post that
was acknowledged is in the database."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from cds_hooks.storage import Storage
from tests.fhir_mappings import fhir as F
from tests.reliability.served import Served, free_port, gist_cds_serve, service_env
from tests.support import jwt_tools
from tests.support.https_server import write_certificates
from tests.support.live import hook_request

SERVICE = "cds-services/gist-treatment"

NGINX_CONF = """
worker_processes 1;
{user}
pid {run}/nginx.pid;
error_log {run}/error.log warn;
events {{ worker_connections 256; }}
http {{
  access_log {run}/access.log;
  client_body_temp_path {run}/body;
  proxy_temp_path {run}/proxy;
  fastcgi_temp_path {run}/fastcgi;
  uwsgi_temp_path {run}/uwsgi;
  scgi_temp_path {run}/scgi;
  upstream gist_cds {{
    server 127.0.0.1:{first} max_fails=1 fail_timeout=60s;
    server 127.0.0.1:{second} max_fails=1 fail_timeout=60s;
  }}
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    ssl_protocols TLSv1.2 TLSv1.3;
    client_max_body_size 11m;
    client_body_timeout 10s;  # slow uploads end here, not in a gthread worker
    client_header_timeout 10s;
    location / {{
      proxy_pass http://gist_cds;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-Proto https;
      proxy_connect_timeout 2s;
      proxy_read_timeout 30s;
      proxy_request_buffering on;
      proxy_next_upstream error timeout http_502 http_503;
    }}
  }}
}}
"""


def nginx_binary() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found is None:
        pytest.fail(
            "nginx not found: install the Debian package nginx (make test does)", pytrace=False
        )
    return found


@contextmanager
def nginx(run_dir: Path, port: int, upstreams: tuple[int, int]) -> Iterator[str]:
    """nginx with TLS on 127.0.0.1:port in front of the two upstream ports; yields the CA file."""
    ca, cert, key = write_certificates(run_dir)
    conf = run_dir / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            user="user root;" if os.geteuid() == 0 else "",
            run=run_dir,
            first=upstreams[0],
            second=upstreams[1],
            port=port,
            cert=cert,
            key=key,
        )
    )
    with (run_dir / "nginx.stderr").open("wb") as stderr:
        process = subprocess.Popen(
            [nginx_binary(), "-p", str(run_dir), "-c", str(conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert process.poll() is None, (run_dir / "nginx.stderr").read_text()
            try:
                requests.get(f"https://127.0.0.1:{port}/healthz", verify=str(ca), timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield str(ca)
    finally:
        process.terminate()
        process.wait(timeout=20)


def full_prefetch() -> dict[str, Any]:
    return {
        "patient": F.patient(),
        "conditions": F.searchset(F.gist("gist-1", bodySite=[F.cc(F.SNOMED, "69695003")])),
        "observations": F.searchset(F.size("size-1", 6.5), F.mitoses("mit-1", 7)),
        "medicationStatements": None,
        "medicationRequests": None,
        "procedures": F.searchset(F.resection("op-1")),
    }


def hook_calls_served(served: Served) -> float:
    text = requests.get(served.url("metrics"), timeout=10).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "gist_cds_hook_calls_total"
    )


def kill_instance(served: Served) -> None:
    for pid in [*served.worker_pids(), served.process.pid]:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    served.process.wait(timeout=20)


@pytest.mark.postgres
def test_tls_proxy_over_two_instances_sharing_postgresql(
    postgres_db_url: str, tmp_path: Path
) -> None:
    proxy_port = free_port()
    public = f"https://127.0.0.1:{proxy_port}"
    env = service_env(tmp_path, database_url=postgres_db_url, public_base_url=public)
    ports = (free_port(), free_port())
    session = requests.Session()

    def post(path: str, body: Any, ca: str, token: str | None = None) -> requests.Response:
        token = token or jwt_tools.mint(jwt_tools.TEST_ISSUER, f"{public}/{path}")
        return session.post(
            f"{public}/{path}",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            verify=ca,
            timeout=30,
        )

    with (
        # sync workers, as deploy/compose.yaml runs them behind the proxy (2 each, not its 12:
        # the proxy's behaviour does not depend on the count, the suite's time does)
        gist_cds_serve(env, tmp_path / "a.log", port=ports[0], workers=2, threads=1) as first,
        gist_cds_serve(env, tmp_path / "b.log", port=ports[1], workers=2, threads=1) as second,
        nginx(tmp_path, proxy_port, ports) as ca,
    ):
        # 1. Calls spread over both instances.
        cards: list[str] = []
        for _ in range(10):
            answer = post(SERVICE, hook_request(F.PATIENT, full_prefetch()), ca)
            assert answer.status_code == 200, answer.text
            cards += [card["uuid"] for card in answer.json()["cards"]]
        counts = (hook_calls_served(first), hook_calls_served(second))
        assert sum(counts) == 10
        assert min(counts) >= 1, counts

        # 2. A replayed JWT is refused, whichever instance the proxy picks.
        token = jwt_tools.mint(jwt_tools.TEST_ISSUER, f"{public}/{SERVICE}")
        body = hook_request(F.PATIENT, full_prefetch())
        replies = [post(SERVICE, body, ca, token).status_code for _ in range(4)]
        assert replies == [200, 401, 401, 401]

        # 3. Kill one instance in the middle of feedback traffic.
        acknowledged: list[str] = []
        statuses: list[int] = []
        stamp = dt.datetime.now(dt.UTC).isoformat()
        for index, card in enumerate(cards):
            if index == len(cards) // 3:
                kill_instance(first)
            item = {"card": card, "outcome": "overridden", "outcomeTimestamp": stamp}
            answer = post(SERVICE + "/feedback", {"feedback": [item]}, ca)
            statuses.append(answer.status_code)
            if answer.status_code == 200:
                acknowledged.append(card)
        # the proxy retried every call the dead instance refused: nothing failed after the kill
        assert statuses == [200] * len(cards), statuses
        after_kill = [post(SERVICE, hook_request(F.PATIENT, full_prefetch()), ca) for _ in range(4)]
        assert [a.status_code for a in after_kill] == [200] * 4

    storage = Storage(postgres_db_url)
    try:
        stored = {row.card for row in storage.feedback_rows()}
        audited = len(storage.audit_rows())
    finally:
        storage.close()
    assert stored == set(acknowledged)
    assert audited == 10 + 1 + 4  # every answered hook call, on whichever instance
