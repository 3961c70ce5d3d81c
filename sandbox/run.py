"""`make run`: the service in demo mode, a loopback FHIR server with the synthetic patients, and the
EHR simulator page that calls the service from the browser.

    python -m sandbox.run --host 127.0.0.1 --port 8080 --sandbox-port 8090

Three processes: the Medplum FHIR router (node; with `--builtin-fhir` or without Node.js the
simulator serves a small read/search FHIR endpoint itself), `gist-cds serve` (gunicorn, auth off),
and the simulator (this process). Ctrl-C or SIGTERM stops the children by pid.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

import requests
from werkzeug.serving import make_server

from sandbox.fhir_server import (
    FhirServerError,
    RunningFhirServer,
    load_resources,
    node_available,
    start_router,
    stop_process,
)
from sandbox.simulator.app import SimulatorConfig, create_simulator_app
from sandbox.simulator.catalog import load_catalog
from sandbox.simulator.fhir import FhirBackend, MemoryFhir, RemoteFhir

REPO_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = REPO_ROOT / "var"
SERVICE_READY_TIMEOUT_S = 60.0
EXIT_USAGE = 2


def is_loopback_host(host: str) -> bool:
    """The same rule as the service's demo-mode check (kept here so the launcher stays light)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sandbox.run", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="loopback address for all servers")
    parser.add_argument("--port", type=int, default=8080, help="the CDS service")
    parser.add_argument("--sandbox-port", type=int, default=8090, help="the EHR simulator page")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of the service")
    parser.add_argument(
        "--builtin-fhir",
        action="store_true",
        help="serve the patients from the simulator's own read/search endpoint instead of node",
    )
    return parser


def service_environment(
    host: str, port: int, sandbox_origin: str, fhir_base: str
) -> dict[str, str]:
    """The service's settings in demo mode (see cds_hooks/config.py)."""
    env = dict(os.environ)
    env.update(
        {
            "GIST_CDS_AUTH": "off",
            "GIST_CDS_PUBLIC_BASE_URL": f"http://{host}:{port}",
            "GIST_CDS_FHIR_ALLOWLIST": fhir_base,
            "GIST_CDS_CORS_ORIGINS": sandbox_origin,
        }
    )
    env.setdefault("GIST_CDS_DATABASE_URL", f"sqlite:///{VAR_DIR / 'gist-cds.sqlite3'}")
    return env


def service_command(host: str, port: int, workers: int) -> list[str]:
    script = Path(sys.executable).parent / "gist-cds"
    prefix = [str(script)] if script.exists() else [sys.executable, "-m", "cds_hooks.cli"]
    return [*prefix, "serve", "--host", host, "--port", str(port), "--workers", str(workers)]


def wait_for_service(base_url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + SERVICE_READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the service exited early with status {process.returncode}")
        try:
            if requests.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the service did not answer {base_url}/healthz within 60 s")


def _raise_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not is_loopback_host(args.host):
        print(f"sandbox: refusing {args.host!r}: the demo runs on loopback only", file=sys.stderr)
        return EXIT_USAGE
    host = args.host
    origin = f"http://{host}:{args.sandbox_port}"
    service_url = f"http://{host}:{args.port}"
    VAR_DIR.mkdir(exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per simulator request
    listings, resources = load_catalog()

    # Bind the simulator port first: a busy port fails before any child is started.
    simulator_server = make_server(host, args.sandbox_port, _placeholder_app, threaded=True)
    fhir_router: RunningFhirServer | None = None
    service: subprocess.Popen[bytes] | None = None
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    try:
        backend: FhirBackend
        memory: MemoryFhir | None = None
        if args.builtin_fhir or not node_available():
            memory = MemoryFhir(f"{origin}/fhir", resources)
            backend = memory
            print("sandbox: FHIR data served by the simulator's built-in endpoint (no node)")
        else:
            fhir_router = start_router(VAR_DIR / "fhir-server.log")
            count = load_resources(fhir_router.base_url, resources)
            backend = RemoteFhir(fhir_router.base_url)
            print(f"sandbox: Medplum FHIR router at {fhir_router.base_url} ({count} resources)")

        service = subprocess.Popen(
            service_command(host, args.port, args.workers),
            env=service_environment(host, args.port, origin, backend.base_url),
            cwd=REPO_ROOT,
        )
        wait_for_service(service_url, service)
        config = SimulatorConfig(
            origin=origin,
            service_base_url=service_url,
            fhir=backend,
            patients=listings,
            serve_fhir=memory,
        )
        simulator_server.app = create_simulator_app(config)
        print(
            "\n"
            f"  CDS service discovery:  {service_url}/cds-services\n"
            f"  Rule pages:             {service_url}/rules\n"
            f"  FHIR server (EHR data): {backend.base_url}  ({len(listings)} synthetic patients)\n"
            f"\n  Open {origin}/ to try the EHR simulator\n"
            "  (demo mode: authentication off, loopback only; Ctrl-C stops everything)\n",
            flush=True,
        )
        simulator_server.serve_forever()  # werkzeug returns on Ctrl-C / SIGTERM
        print("\nsandbox: stopping", flush=True)
    except KeyboardInterrupt:
        print("\nsandbox: stopping", flush=True)
    except (FhirServerError, RuntimeError) as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 1
    finally:
        simulator_server.server_close()
        if service is not None:
            stop_process(service)
        if fhir_router is not None:
            fhir_router.stop()
    return 0


def _placeholder_app(environ: object, start_response: object) -> list[bytes]:
    raise RuntimeError("the simulator app is installed before serving starts")


if __name__ == "__main__":
    sys.exit(main())
