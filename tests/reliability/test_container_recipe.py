"""The container recipe (Containerfile, deploy/compose.yaml, deploy/nginx.conf).

Building the image needs its base image, which cannot be pulled on this test machine; the build
runs only where podman (or docker) already has it. What can be checked everywhere
is checked: the image installs every package the project ships, runs as a non-root user, starts
with options `gist-cds serve` has and is health-checked on /readyz; the proxy spreads calls over
the two instances compose defines."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BASE_IMAGE = "docker.io/library/python:3.11-slim-bookworm"


def test_the_image_installs_the_project_and_runs_it_as_a_non_root_user() -> None:
    recipe = (ROOT / "Containerfile").read_text()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = set(re.findall(r"^COPY (\w+) \./\1$", recipe, re.MULTILINE))
    assert packages <= copied
    assert re.search(r"^USER gist-cds$", recipe, re.MULTILINE)
    healthcheck = recipe.split("HEALTHCHECK", 1)[1].split("\nCMD [", 1)[0]
    assert "/readyz" in healthcheck
    command = recipe.split("CMD", 2)[-1]
    options = set(re.findall(r"--[a-z-]+", command.split("gist-cds serve", 1)[1]))
    serve_help = subprocess.run(
        [str(Path(sys.executable).parent / "gist-cds"), "serve", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert options
    assert all(option in serve_help for option in options), options


def test_the_proxy_spreads_over_the_instances_compose_defines() -> None:
    compose = (ROOT / "deploy" / "compose.yaml").read_text()
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    upstreams = set(re.findall(r"server (gist-cds-[a-z]+):8080", nginx))
    services = set(re.findall(r"^  (gist-cds-[a-z]+):$", compose, re.MULTILINE))
    assert upstreams == services == {"gist-cds-a", "gist-cds-b"}
    assert "proxy_next_upstream error timeout" in nginx
    assert 'command: ["gist-cds", "db", "upgrade"]' in compose


def test_instances_are_sized_for_fetch_calls_behind_a_buffering_proxy() -> None:
    """Sync workers sized for calls waiting on a slow FHIR server (docs/performance.md "Worker
    model": 12 on 2 cores kept 81-90 % of prefetch throughput at 10 % fetch calls, `serve`'s 2
    kept 19 %); and the proxy in front buffers whole requests and times out slow clients, so
    neither a sync worker nor (with THREADS above 1) a gthread worker is held by one."""
    compose = (ROOT / "deploy" / "compose.yaml").read_text()
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    workers = re.search(r'WORKERS: "(\d+)"', compose)
    threads = re.search(r'THREADS: "(\d+)"', compose)
    assert workers is not None
    assert threads is not None
    assert int(workers[1]) >= 12
    assert int(threads[1]) == 1
    assert "proxy_request_buffering on;" in nginx
    assert re.search(r"client_body_timeout \d+s;", nginx)
    assert re.search(r"client_header_timeout \d+s;", nginx)


def test_the_image_builds() -> None:
    engine = shutil.which("podman") or shutil.which("docker")
    if engine is None:
        pytest.skip("no podman or docker on this machine: the image build is not tested here")
    present = subprocess.run([engine, "image", "exists", BASE_IMAGE], check=False)
    if present.returncode != 0:
        pytest.skip(f"base image {BASE_IMAGE} is not present and cannot be pulled here")
    built = subprocess.run(
        [engine, "build", "-t", "localhost/gist-cds:test", "-f", "Containerfile", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-3000:]
