"""`gist-cds` command line: serve (gunicorn), evaluate a file offline, print discovery, report."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cds_hooks.config import ConfigError, settings_from_env

EXIT_USAGE = 2


def _fail(message: str) -> int:
    print(f"gist-cds: {message}", file=sys.stderr)
    return EXIT_USAGE


def cmd_serve(args: argparse.Namespace) -> int:
    from cds_hooks.app import is_loopback_host
    from cds_hooks.server import serve

    settings = settings_from_env()
    if not settings.auth_enabled and not is_loopback_host(args.host):
        return _fail(
            f"GIST_CDS_AUTH=off (demo mode) refuses to listen on {args.host!r}; use 127.0.0.1"
        )
    if bool(args.certfile) != bool(args.keyfile):
        return _fail("--certfile and --keyfile go together")
    if settings.request_deadline_s >= args.timeout * 0.8:
        # the in-worker deadline must fire before gunicorn kills the worker (HTML 500)
        os.environ["GIST_CDS_REQUEST_DEADLINE_S"] = f"{max(args.timeout * 0.6, 0.5):g}"
    serve(
        host=args.host,
        port=args.port,
        workers=args.workers,
        certfile=args.certfile,
        keyfile=args.keyfile,
        timeout_s=args.timeout,
    )
    return 0


def _patient_id(resources: list[Any]) -> str | None:
    for resource in resources:
        if isinstance(resource, dict) and resource.get("resourceType") == "Patient":
            value = resource.get("id")
            return str(value) if value is not None else None
    return None


def cmd_evaluate(args: argparse.Namespace) -> int:
    from cds_hooks.errors import ServiceError
    from cds_hooks.fetch import PrefetchUnavailable
    from cds_hooks.pipeline import evaluate_resources, run_patient_view
    from cds_hooks.services import GIST_TREATMENT
    from cds_hooks.validation import parse_json_body
    from cds_hooks.views import validate_hook_request
    from fhir_mappings import flatten_resources

    settings = settings_from_env()
    try:
        raw = Path(args.file).read_bytes()
    except OSError as exc:
        return _fail(f"cannot read {args.file}: {exc.strerror}")
    try:
        document = parse_json_body(raw, max_depth=settings.max_json_depth)
        if isinstance(document, dict) and "hook" in document:
            body = validate_hook_request(
                document, GIST_TREATMENT, max_resources=settings.max_resources
            )
            response = run_patient_view(
                body,
                allowed_servers=(),
                timeout_s=settings.fhir_timeout_s,
                public_base_url=settings.public_base_url,
                required_keys=GIST_TREATMENT.required_keys,
            ).response
        elif isinstance(document, dict) and document.get("resourceType") == "Bundle":
            resources = flatten_resources([document])
            response = evaluate_resources(
                [document],
                patient_id=_patient_id(resources),
                public_base_url=settings.public_base_url,
            )
        else:
            return _fail(
                "FILE must be a FHIR Bundle or a CDS Hooks request (JSON object with 'hook')"
            )
    except ServiceError as exc:
        return _fail(exc.message)
    except PrefetchUnavailable as exc:
        return _fail(
            f"412 precondition failed: {exc.reason} (evaluate never fetches; prefetch every key)"
        )
    json.dump(response, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


def cmd_discovery(_: argparse.Namespace) -> int:
    from cds_hooks.services import discovery_document

    json.dump(discovery_document(), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from cds_hooks.storage import Storage

    storage = Storage(settings_from_env().database_url)
    try:
        storage.create_schema()
        stats = storage.feedback_report()
    finally:
        storage.close()
    if args.json:
        json.dump([dataclasses.asdict(s) for s in stats], sys.stdout)
        sys.stdout.write("\n")
        return 0
    print(f"{'rule':<8} {'accepted':>9} {'overridden':>11} {'total':>6} {'acceptance':>11}")
    for s in stats:
        rate = f"{100 * s.accepted / s.total:.0f}%" if s.total else "-"
        rule = s.rule_id or "(unlinked)"
        print(f"{rule:<8} {s.accepted:>9} {s.overridden:>11} {s.total:>6} {rate:>11}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gist-cds", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the CDS Hooks service with gunicorn (sync workers)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--workers", type=int, default=2)
    serve.add_argument("--certfile", help="TLS certificate (PEM), passed to gunicorn")
    serve.add_argument("--keyfile", help="TLS private key (PEM), passed to gunicorn")
    serve.add_argument("--timeout", type=int, default=30, help="worker timeout in seconds")
    serve.set_defaults(func=cmd_serve)

    evaluate = sub.add_parser("evaluate", help="FHIR Bundle or CDS Hooks request in, cards out")
    evaluate.add_argument("file")
    evaluate.set_defaults(func=cmd_evaluate)

    discovery = sub.add_parser("discovery", help="print the discovery document")
    discovery.set_defaults(func=cmd_discovery)

    report = sub.add_parser("report", help="reports from the database")
    report.add_argument("what", choices=["feedback"])
    report.add_argument("--json", action="store_true")
    report.set_defaults(func=cmd_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result: int = args.func(args)
    except ConfigError as exc:
        return _fail(f"configuration error: {exc}")
    return result


if __name__ == "__main__":
    sys.exit(main())
