"""The `gist-cds` command line: evaluate offline, discovery, and serve under real gunicorn."""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from cds_hooks.cli import main
from cds_hooks.validation import schema_errors
from logic.knowledge.version import KNOWLEDGE_VERSION
from tests.cds_hooks.test_http_api import gist_prefetch
from tests.support.live import hook_request

GIST_CDS = str(Path(sys.executable).parent / "gist-cds")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def write(tmp_path: Path, name: str, document: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


def test_evaluate_a_hook_request(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "request.json", hook_request("p1", gist_prefetch()))
    assert main(["evaluate", str(path)]) == 0
    response = json.loads(capsys.readouterr().out)
    assert schema_errors("cds-hooks-response", response) == []
    assert response["cards"]


def test_evaluate_a_bundle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prefetch = gist_prefetch()
    entries = [{"resource": prefetch["patient"]}] + prefetch["conditions"]["entry"]
    path = write(
        tmp_path, "bundle.json", {"resourceType": "Bundle", "type": "collection", "entry": entries}
    )
    assert main(["evaluate", str(path)]) == 0
    response = json.loads(capsys.readouterr().out)
    assert schema_errors("cds-hooks-response", response) == []
    assert response["cards"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "bad.json is not valid JSON (line 1, column 2)"),
        ('{"resourceType": "Patient"}', "FHIR Bundle or a CDS Hooks request"),
        ('{"hook": "patient-view"}', "invalid CDS Hooks request"),
    ],
)
def test_evaluate_rejects_bad_files_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    assert main(["evaluate", str(path)]) == 2
    assert message in capsys.readouterr().err


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    entries = [{"resource": resource} for resource in resources]
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def test_evaluate_explains_an_empty_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prefetch = gist_prefetch()
    patient, gist = prefetch["patient"], prefetch["conditions"]["entry"][0]["resource"]
    no_gist = write(tmp_path, "no-gist.json", _bundle(patient))
    assert main(["evaluate", str(no_gist)]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"cards": []}
    assert "no cards: no GIST Condition found" in captured.err

    deceased = write(tmp_path, "deceased.json", _bundle({**patient, "deceasedBoolean": True}, gist))
    assert main(["evaluate", str(deceased)]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"cards": []}
    assert "no cards: patient deceased" in captured.err

    with_cards = write(tmp_path, "gist.json", _bundle(patient, gist))
    assert main(["evaluate", str(with_cards)]) == 0
    assert capsys.readouterr().err == ""


def test_help_describes_every_option() -> None:
    import argparse

    from cds_hooks.cli import build_parser

    (commands,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    for name, sub in commands.choices.items():
        undocumented = [a.dest for a in sub._actions if not a.help]
        assert undocumented == [], name


def test_evaluate_without_required_prefetch_reports_412(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prefetch = gist_prefetch()
    del prefetch["conditions"]
    path = write(tmp_path, "request.json", hook_request("p1", prefetch))
    assert main(["evaluate", str(path)]) == 2
    assert "412" in capsys.readouterr().err


def test_discovery_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["discovery"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert schema_errors("cds-hooks-discovery", document) == []


def test_demo_mode_refuses_a_public_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIST_CDS_AUTH", "off")
    assert main(["serve", "--host", "0.0.0.0", "--port", "1"]) == 2


def test_auth_on_without_trusted_clients_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIST_CDS_TRUSTED_CLIENTS", str(tmp_path / "missing.json"))
    monkeypatch.setenv("GIST_CDS_DATABASE_URL", f"sqlite:///{tmp_path}/db.sqlite3")
    from cds_hooks.app import create_app
    from cds_hooks.config import ConfigError

    with pytest.raises(ConfigError):
        create_app(warm=False)


def _serve(
    tmp_path: Path, *extra: str, scheme: str = "http"
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    base = f"{scheme}://127.0.0.1:{port}"
    env = os.environ | {
        "GIST_CDS_AUTH": "off",
        "GIST_CDS_PUBLIC_BASE_URL": base,
        "GIST_CDS_DATABASE_URL": f"sqlite:///{tmp_path}/serve.sqlite3",
    }
    proc = subprocess.Popen(
        [GIST_CDS, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2", *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    return proc, base


def _wait(url: str, proc: subprocess.Popen[bytes], **kwargs: Any) -> requests.Response:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read().decode() if proc.stderr else "server exited")
        try:
            return requests.get(url, timeout=2, **kwargs)
        except requests.ConnectionError:
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered")


def test_serve_runs_gunicorn_workers_that_answer(tmp_path: Path) -> None:
    proc, base = _serve(tmp_path)
    try:
        assert _wait(base + "/healthz", proc).status_code == 200
        response = requests.post(
            base + "/cds-services/gist-treatment",
            json=hook_request("p1", gist_prefetch()),
            timeout=10,
        )
        assert response.status_code == 200
        assert schema_errors("cds-hooks-response", response.json()) == []
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=15)
    assert b"DEMO MODE" in stderr  # the loud warning of GIST_CDS_AUTH=off
    banner = [line for line in stderr.decode().splitlines() if " serving " in line]
    assert banner == [
        f"gist-cds 0.1.0 (knowledge {KNOWLEDGE_VERSION}) serving {base}: auth OFF (demo mode), "
        "0 trusted clients, database sqlite, 2 workers"
    ]


def test_each_gunicorn_worker_warms_up_before_serving(tmp_path: Path) -> None:
    proc, base = _serve(tmp_path)
    try:
        assert _wait(base + "/healthz", proc).status_code == 200
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=15)
    lines = [json.loads(line) for line in stderr.decode().splitlines() if line.startswith("{")]
    warmed = {line["pid"] for line in lines if line.get("event") == "warm-up"}
    assert len(warmed) == 2  # one per worker (--workers 2), logged as JSON: logging set up first
    assert proc.pid not in warmed  # the workers, not the gunicorn master
    # each worker hands large freed buffers back to the OS (glibc: cds_hooks.malloc_tuning)
    warm_ups = [line for line in lines if line.get("event") == "warm-up"]
    tuned = [line["malloc_mmap_threshold_fixed"] for line in warm_ups]
    assert tuned == [platform.libc_ver()[0] == "glibc"] * 2
    frozen = {line["pid"]: line["objects"] for line in lines if line.get("event") == "gc-frozen"}
    assert set(frozen) == warmed  # each worker, once its app is built, freezes what it holds
    assert all(count > 10_000 for count in frozen.values())


def test_serve_with_threads_runs_gthread_workers_that_answer(tmp_path: Path) -> None:
    proc, base = _serve(tmp_path, "--threads", "3")
    try:
        assert _wait(base + "/healthz", proc).status_code == 200
        response = requests.post(
            base + "/cds-services/gist-treatment",
            json=hook_request("p1", gist_prefetch()),
            timeout=10,
        )
        assert response.status_code == 200
        assert schema_errors("cds-hooks-response", response.json()) == []
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=15)
    banner = [line for line in stderr.decode().splitlines() if " serving " in line]
    assert len(banner) == 1
    assert banner[0].endswith("database sqlite, 2 workers x 3 threads")


def test_serve_with_tls(tmp_path: Path) -> None:
    from tests.support.https_server import write_certificates

    ca, cert, key = write_certificates(tmp_path)
    proc, base = _serve(tmp_path, "--certfile", str(cert), "--keyfile", str(key), scheme="https")
    try:
        response = _wait(base + "/cds-services", proc, verify=str(ca))
        assert response.status_code == 200
    finally:
        proc.terminate()
        proc.communicate(timeout=15)


def test_report_feedback_counts_acceptance_per_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import datetime as dt

    from cds_hooks.feedback import FeedbackItem
    from cds_hooks.storage import AuditRecord, Storage

    url = f"sqlite:///{tmp_path}/report.sqlite3"
    storage = Storage(url)
    storage.create_schema()
    now = dt.datetime.now(dt.UTC)
    cards = {"c1": "F1", "c2": "F1", "c3": "S2"}
    storage.save_audit(
        AuditRecord(now, "gist-treatment", "h1", None, ("adjuvant-tki",), ("F1", "S2"), cards)
    )
    items = [
        FeedbackItem("c1", "accepted", now, ("s1",), None, None, None),
        FeedbackItem("c2", "overridden", now, (), "patient-declined", "urn:x", None),
        FeedbackItem("c3", "accepted", now, ("s2",), None, None, None),
    ]
    assert storage.save_feedback("gist-treatment", items, None) == 3
    storage.close()
    monkeypatch.setenv("GIST_CDS_DATABASE_URL", url)

    assert main(["report", "feedback", "--json"]) == 0
    stats = {s["rule_id"]: s for s in json.loads(capsys.readouterr().out)}
    assert (stats["F1"]["accepted"], stats["F1"]["overridden"], stats["F1"]["total"]) == (1, 1, 2)
    assert (stats["S2"]["accepted"], stats["S2"]["total"]) == (1, 1)

    assert main(["report", "feedback"]) == 0
    table = capsys.readouterr().out
    assert "F1" in table
    assert "50%" in table


def test_report_feedback_reads_the_demo_database_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cds_hooks.storage import Storage

    monkeypatch.chdir(tmp_path)
    assert main(["report", "feedback"]) == 2
    assert "no database to report on" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # nothing created

    (tmp_path / "var").mkdir()
    storage = Storage("sqlite:///var/gist-cds.sqlite3")
    storage.create_schema()
    storage.close()
    assert main(["report", "feedback"]) == 0
    assert "reading sqlite:///var/gist-cds.sqlite3" in capsys.readouterr().err

    monkeypatch.setenv("GIST_CDS_DATABASE_URL", f"sqlite:///{tmp_path}/elsewhere.sqlite3")
    assert main(["report", "feedback"]) == 2
    assert "elsewhere.sqlite3 does not exist (nothing was created)" in capsys.readouterr().err
    assert not (tmp_path / "elsewhere.sqlite3").exists()
