"""Processes the benchmarks start and stop by pid: gunicorn servers, the Medplum FHIR router and
a slow FHIR front; plus what /proc says about them (peak RSS, CPU seconds). Loopback only."""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ROUTER = ROOT / "sandbox" / "fhirserver" / "server.mjs"
SLOW_FRONT = Path(__file__).resolve().parent / "slow_front.mjs"
START_TIMEOUT_S = 60.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def stop(process: subprocess.Popen[Any]) -> None:
    """SIGTERM this one child, SIGKILL it if it has not exited within 15 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def get(port: int, path: str, timeout_s: float = 2.0) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    finally:
        conn.close()


def children(pid: int) -> list[int]:
    """Direct children of `pid` (gunicorn's workers), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the peak resident set of one process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """user + system CPU seconds one process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


@dataclass
class Server:
    """A running gunicorn (master pid) serving `app` on `port`."""

    process: subprocess.Popen[bytes]
    port: int
    name: str

    def workers(self) -> list[int]:
        return children(self.process.pid)

    def peak_rss_per_worker_mb(self) -> list[float]:
        return [round(peak_rss_mb(pid), 1) for pid in self.workers()]

    def worker_cpu_s(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.workers())


@contextmanager
def gunicorn(
    app: str,
    *,
    workers: int = 2,
    worker_class: str = "sync",
    threads: int = 1,
    keepalive: int = 0,
    env: Mapping[str, str] | None = None,
) -> Iterator[Server]:
    """Start `benchmarks.gunicorn_app` and wait until every worker answers /healthz. The
    defaults are `gist-cds serve`'s (2 sync workers, no keep-alive)."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="gist-bench-") as tmp:
        environ = dict(os.environ) | {
            "GIST_CDS_AUTH": "off",
            "GIST_CDS_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "GIST_CDS_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
            "GIST_CDS_LOG_LEVEL": "WARNING",
        }
        environ |= dict(env or {})
        command = [sys.executable, "-m", "benchmarks.gunicorn_app", app, "--port", str(port)]
        command += ["--workers", str(workers), "--worker-class", worker_class]
        command += ["--threads", str(threads), "--keepalive", str(keepalive)]
        log = open(Path(tmp) / "server.log", "wb")  # noqa: SIM115 - closed below
        process = subprocess.Popen(command, env=environ, cwd=ROOT, stdout=log, stderr=log)
        server = Server(process, port, f"{app} {worker_class} {workers}x{threads}")
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{server.name} did not start:\n{(Path(tmp) / 'server.log').read_text()}"
                    )
                try:
                    # workers build (and warm) their app before they accept: wait for all of them
                    if len(server.workers()) == workers and all(
                        get(port, "/healthz") == 200 for _ in range(2 * workers)
                    ):
                        break
                except OSError:
                    pass
                time.sleep(0.2)
            yield server
        finally:
            stop(process)
            log.close()


@dataclass(frozen=True)
class NodeServer:
    """A running node server: the URL it printed as "READY <url>", and its pid."""

    base: str
    pid: int

    def cpu_s(self) -> float:
        return cpu_seconds(self.pid)


@contextmanager
def _node_server(script: Path, args: Sequence[str], what: str) -> Iterator[NodeServer]:
    """Run `node script args...` until the block ends."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError(f"{what} needs node")
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [node, str(script), *args],
            cwd=script.parent,
            stdout=log,
            stderr=log,
            env=dict(os.environ) | {"NODE_ENV": "production"},
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while time.monotonic() < deadline:
                log.seek(0)
                lines = log.read().decode(errors="replace").splitlines()
                ready = [line for line in lines if line.startswith("READY ")]
                if ready:
                    yield NodeServer(ready[0].split()[1].rstrip("/"), process.pid)
                    return
                if process.poll() is not None:
                    break
                time.sleep(0.05)
            raise RuntimeError(f"{what} did not start")
        finally:
            stop(process)


@contextmanager
def medplum() -> Iterator[str]:
    """The suite's Medplum in-memory FHIR router on a free loopback port; yields its base URL."""
    if not (ROUTER.parent / "node_modules").is_dir():
        raise RuntimeError("the FHIR router needs `make node-deps`")
    with _node_server(ROUTER, ["0"], "the FHIR router") as router:
        yield router.base


@contextmanager
def slow_front(origin_base: str, delay_s: float) -> Iterator[NodeServer]:
    """A FHIR front that answers each GET `delay_s` after it arrives, with the router's answer
    (fetched once per URL and kept). It is node (benchmarks/slow_front.mjs), not Python: it
    stands in for a FHIR server on another machine, so its CPU on this one must stay small
    (a Python http.server front cost several ms of CPU per fetch call); the bench still counts
    what it takes (`cpu_s`)."""
    with _node_server(
        SLOW_FRONT, [origin_base, str(round(delay_s * 1000))], "the slow FHIR front"
    ) as front:
        yield front
