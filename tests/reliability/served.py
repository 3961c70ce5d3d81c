"""`gist-cds serve` (real gunicorn, sync workers) as a subprocess on a free loopback port.

The tests that need the production server — header limits, slow uploads, SIGKILLed workers,
restarts, the logs written to stderr — start it through `gist_cds_serve`, which waits for
`/healthz`, and stops it by pid (SIGTERM, then SIGKILL) however the test ends.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.support import jwt_tools

START_TIMEOUT_S = 90.0  # each worker warms up its FHIR models before it serves


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def children_of(pid: int) -> list[int]:
    """Pids whose parent is `pid` (gunicorn workers of a master), read from /proc."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after the last ')'
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":  # a killed, unreaped worker is gone
            found.append(int(entry.name))
    return sorted(found)


def rss_kib(pid: int) -> int:
    """Resident set size of a process in KiB (VmRSS of /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise LookupError(f"no VmRSS for pid {pid}")


def socket_inodes(pid: int) -> set[int]:
    inodes: set[int] = set()
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return inodes
    for fd in fds:
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


def pid_connected_to(pids: list[int], remote_port: int) -> int | None:
    """Which of `pids` holds an established TCP connection to 127.0.0.1:`remote_port`."""
    wanted: set[int] = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        remote, state, inode = fields[2], fields[3], int(fields[9])
        if state == "01" and int(remote.split(":")[1], 16) == remote_port:
            wanted.add(inode)
    for pid in pids:
        if socket_inodes(pid) & wanted:
            return pid
    return None


@dataclass
class Served:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def master_pid(self) -> int:
        return self.process.pid

    def worker_pids(self) -> list[int]:
        return children_of(self.process.pid)

    def url(self, path: str) -> str:
        return self.base_url + "/" + path.lstrip("/")

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def headers(self, path: str, *, token: bool = True) -> dict[str, str]:
        """JSON headers with a fresh JWT whose audience is exactly the URL called."""
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            headers["Authorization"] = jwt_tools.bearer(
                jwt_tools.mint(jwt_tools.TEST_ISSUER, self.url(path))
            )
        return headers


def service_env(
    tmp_path: Path,
    *,
    database_url: str,
    public_base_url: str,
    fhir_servers: list[str] | None = None,
    **extra: str,
) -> dict[str, str]:
    """GIST_CDS_* variables for an authenticated service trusting the test issuer."""
    clients = jwt_tools.write_trusted_clients(
        tmp_path / f"clients-{time.monotonic_ns()}.json",
        [jwt_tools.client_entry(fhir_servers=fhir_servers or [])],
    )
    env = {
        "GIST_CDS_AUTH": "on",
        "GIST_CDS_TRUSTED_CLIENTS": clients,
        "GIST_CDS_DATABASE_URL": database_url,
        "GIST_CDS_PUBLIC_BASE_URL": public_base_url,
        "GIST_CDS_LOG_LEVEL": "INFO",
    }
    env.update({f"GIST_CDS_{name.upper()}": value for name, value in extra.items()})
    return env


def _command() -> list[str]:
    script = Path(sys.executable).parent / "gist-cds"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "cds_hooks.cli"]


def _wait_healthy(served: Served) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            break
        try:
            if requests.get(served.url("healthz"), timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gist-cds serve did not become healthy:\n{served.log_text()[-3000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def gist_cds_serve(
    env: Mapping[str, str],
    log_path: Path,
    *,
    port: int,
    workers: int = 2,
    timeout_s: int = 30,
    threads: int | None = None,
) -> Iterator[Served]:
    """Run `gist-cds serve` with exactly `env` as its GIST_CDS_* settings; stderr to `log_path`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GIST_CDS_")}
    args = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    args += ["--workers", str(workers), "--timeout", str(timeout_s)]
    if threads is not None:  # else `serve`'s own default
        args += ["--threads", str(threads)]
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [*_command(), *args],
            env={**clean, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    served = Served(f"http://127.0.0.1:{port}", process, log_path)
    try:
        _wait_healthy(served)
        yield served
    finally:
        stop(process)
