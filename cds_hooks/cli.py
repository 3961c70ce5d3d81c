"""`gist-cds` command line: serve (gunicorn), check the configuration, evaluate a file offline,
print discovery, report on feedback."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cds_hooks.config import ConfigError, settings_from_env

if TYPE_CHECKING:
    from cds_hooks.hooks import ServiceDefinition
    from logic.case import GistCase

EXIT_USAGE = 2


def _fail(message: str) -> int:
    print(f"gist-cds: {message}", file=sys.stderr)
    return EXIT_USAGE


METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"


def _metrics_directory() -> str | None:
    """Point prometheus_client's multiprocess mode at a fresh directory (before anything imports
    it) so /metrics sums every worker; returns the directory to remove on exit, if ours."""
    configured = os.environ.get(METRICS_DIR_ENV)
    if configured:
        Path(configured).mkdir(parents=True, exist_ok=True)
        for stale in Path(configured).glob("*.db"):  # samples of an earlier run
            stale.unlink()
        return None
    created = tempfile.mkdtemp(prefix="gist-cds-metrics-")
    os.environ[METRICS_DIR_ENV] = created
    return created


def cmd_serve(args: argparse.Namespace) -> int:
    created = _metrics_directory()
    try:
        return _serve(args)
    finally:
        if created is not None:
            os.environ.pop(METRICS_DIR_ENV, None)
            shutil.rmtree(created, ignore_errors=True)


def _serve(args: argparse.Namespace) -> int:
    from cds_hooks.app import is_loopback_host
    from cds_hooks.preflight import run_checks, start_banner
    from cds_hooks.server import serve

    if args.upgrade_db and (status := cmd_db_upgrade(args)) != 0:
        return status

    # The checks of check-config, before gunicorn forks: a bad configuration is one line here,
    # not a traceback per worker. An unreachable JWKS host only warns (keys are fetched again
    # at run time, and a restart must not depend on an EHR's key server).
    report = run_checks(jwks_failure_level="warn")
    if report.failures or report.settings is None:
        first = report.failures[0]
        return _fail(f"cannot start: {first.subject}: {first.detail}")
    settings = report.settings
    for warning in (f for f in report.findings if f.level == "warn"):
        print(f"gist-cds: warning: {warning.subject}: {warning.detail}", file=sys.stderr)
    if not settings.auth_enabled and not is_loopback_host(args.host):
        return _fail(
            f"GIST_CDS_AUTH=off (demo mode) refuses to listen on {args.host!r}; use 127.0.0.1"
        )
    if args.threads < 1:
        return _fail("--threads must be at least 1")
    if bool(args.certfile) != bool(args.keyfile):
        return _fail("--certfile and --keyfile go together")
    if settings.request_deadline_s >= args.timeout * 0.8:
        # the in-worker deadline must fire before gunicorn kills the worker (HTML 500)
        os.environ["GIST_CDS_REQUEST_DEADLINE_S"] = f"{max(args.timeout * 0.6, 0.5):g}"
    print(
        start_banner(settings, len(report.clients), workers=args.workers, threads=args.threads),
        file=sys.stderr,
    )
    sys.stderr.flush()
    serve(
        host=args.host,
        port=args.port,
        workers=args.workers,
        threads=args.threads,
        certfile=args.certfile,
        keyfile=args.keyfile,
        timeout_s=args.timeout,
    )
    return 0


def cmd_check_config(args: argparse.Namespace) -> int:
    from cds_hooks.preflight import effective_configuration, run_checks, version_line

    report = run_checks(fetch_jwks=not args.offline)
    print(f"{version_line()}: configuration check")
    if report.settings is not None:
        print("effective configuration (secrets masked):")
        for line in effective_configuration(report.settings, report.clients):
            print(line)
    print("checks:")
    for finding in report.findings:
        print(f"  {finding.level.upper():<4} {finding.subject}: {finding.detail}")
    problems = len(report.failures)
    print(f"result: {'OK' if not problems else f'{problems} problem(s); serve would refuse'}")
    return 1 if problems else 0


def _patient_id(resources: list[Any]) -> str | None:
    for resource in resources:
        if isinstance(resource, dict) and resource.get("resourceType") == "Patient":
            value = resource.get("id")
            return str(value) if value is not None else None
    return None


def cmd_evaluate(args: argparse.Namespace) -> int:
    from cds_hooks import hooks
    from cds_hooks.errors import BadRequest, ServiceError
    from cds_hooks.fetch import PrefetchUnavailable
    from cds_hooks.pipeline import evaluate_resources
    from cds_hooks.validation import parse_json_body, schema_errors
    from fhir_mappings import flatten_resources

    settings = settings_from_env()
    try:
        raw = Path(args.file).read_bytes()
    except OSError as exc:
        return _fail(f"cannot read {args.file}: {exc.strerror}")
    try:
        document = parse_json_body(raw, max_depth=settings.max_json_depth)
        if isinstance(document, dict) and "hook" in document:
            if errors := schema_errors("cds-hooks-request", document):
                raise BadRequest("invalid CDS Hooks request: " + "; ".join(errors))
            service = _service_for(document, args.service)
            if isinstance(service, str):
                return _fail(service)
            body = hooks.validate_hook_request(
                document, service, max_resources=settings.max_resources
            )
            result = service.handler(
                body,
                hooks.HookSettings(
                    allowed_servers=(),
                    timeout_s=settings.fhir_timeout_s,
                    public_base_url=settings.public_base_url,
                ),
            )
            response, case = result.response, result.case
        elif isinstance(document, dict) and document.get("resourceType") == "Bundle":
            resources = flatten_resources([document])
            response, case = evaluate_resources(
                [document],
                patient_id=_patient_id(resources),
                public_base_url=settings.public_base_url,
            )
        else:
            return _fail(
                "FILE must be a FHIR Bundle or a CDS Hooks request (JSON object with 'hook')"
            )
    except ServiceError as exc:
        return _fail(exc.message.replace("request body", args.file, 1))
    except PrefetchUnavailable as exc:
        return _fail(
            f"412 precondition failed: {exc.reason} (evaluate never fetches; prefetch every key)"
        )
    json.dump(response, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    if not response["cards"]:
        print(f"gist-cds: no cards: {_why_no_cards(case)}", file=sys.stderr)
    return 0


def _service_for(document: dict[str, Any], service_id: str | None) -> ServiceDefinition | str:
    """The registered service that answers this request (by --service, else by its hook), or
    why there is none."""
    from cds_hooks import hooks

    if service_id is not None:
        found = hooks.find(service_id)
        if found is None:
            known = ", ".join(s.id for s in hooks.services())
            return f"no CDS service with id {service_id!r} (known: {known})"
        return found
    hook = document.get("hook")
    candidates = hooks.for_hook(hook) if isinstance(hook, str) else ()
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        known = ", ".join(sorted({s.hook for s in hooks.services()}))
        return f"no CDS service answers the {str(hook)[:64]!r} hook (known hooks: {known})"
    ids = ", ".join(s.id for s in candidates)
    return f"several services answer the {hook!r} hook ({ids}): choose one with --service"


def _why_no_cards(case: GistCase) -> str:
    if case.deceased:
        return "patient deceased (no recommendations are made for a deceased patient)"
    if not case.has_gist:
        return "no GIST Condition found (nothing to recommend without a GIST diagnosis)"
    return "no rule applies to this case"


def cmd_token(args: argparse.Namespace) -> int:
    from cds_hooks import dev_tokens

    if args.new_client:
        if not args.iss:
            return _fail("--new-client needs --iss (the issuer the key will sign as)")
        try:
            entry = dev_tokens.new_client(Path(args.new_client), args.iss)
        except FileExistsError:
            return _fail(f"{args.new_client} exists; not overwritten")
        json.dump(entry, sys.stdout, indent=2)
        sys.stdout.write("\n")
        print(
            f"gist-cds: wrote the private key to {args.new_client} (0600); add the entry above "
            "to a TEST trusted-clients file",
            file=sys.stderr,
        )
        return 0
    if not args.client or not args.aud:
        return _fail("token needs --client FILE and --aud URL (or --new-client FILE --iss ISS)")
    print(dev_tokens.mint(Path(args.client), args.aud, args.lifetime))
    return 0


def cmd_db_upgrade(_: argparse.Namespace) -> int:
    """Migrate the configured database to this release's schema (creating it if empty)."""
    from cds_hooks.storage import Storage, normalise_database_url

    url = settings_from_env().database_url
    shown = normalise_database_url(url).render_as_string(hide_password=True)
    storage = Storage(url)
    try:
        before = storage.schema_status()
        storage.create_schema(upgrade=True)
        after = storage.schema_status()
    finally:
        storage.close()
    if before.current == after.current:
        print(f"gist-cds: {shown}: schema revision {after.current} is current", file=sys.stderr)
    else:
        print(
            f"gist-cds: {shown}: schema upgraded from {before.current or 'empty'} to "
            f"{after.current}",
            file=sys.stderr,
        )
    return 0


def cmd_discovery(_: argparse.Namespace) -> int:
    from cds_hooks.hooks import discovery_document

    json.dump(discovery_document(), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


DEMO_DATABASE = Path("var") / "gist-cds.sqlite3"  # where `make run` keeps its database


def _report_database() -> str | None:
    """GIST_CDS_DATABASE_URL if set, else the demo database of `make run` if it exists."""
    configured = os.environ.get("GIST_CDS_DATABASE_URL")
    if configured:
        return settings_from_env().database_url
    return f"sqlite:///{DEMO_DATABASE}" if DEMO_DATABASE.is_file() else None


def cmd_report(args: argparse.Namespace) -> int:
    from cds_hooks.storage import Storage, normalise_database_url

    url = _report_database()
    if url is None:
        return _fail(
            f"no database to report on: set GIST_CDS_DATABASE_URL, or run `make run` first "
            f"(its database is {DEMO_DATABASE})"
        )
    parsed = normalise_database_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        return _fail(f"database {parsed.database} does not exist (nothing was created)")
    print(f"gist-cds: reading {parsed.render_as_string(hide_password=True)}", file=sys.stderr)
    storage = Storage(url)
    try:
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
    from cds_hooks.preflight import version_line

    parser = argparse.ArgumentParser(prog="gist-cds", description=__doc__)
    parser.add_argument("--version", action="version", version=version_line())
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser(
        "serve",
        help="run the CDS Hooks service with gunicorn after the check-config checks",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on")
    serve.add_argument(
        "--workers",
        type=int,
        default=2,
        help="gunicorn worker processes; when EHRs call without prefetch, add the calls waiting "
        "on the FHIR server (fetch calls a second x seconds each) to the cores "
        "(docs/performance.md)",
    )
    serve.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per worker; above 1 the workers are gunicorn gthread workers, so calls "
        "waiting on a slow FHIR server do not hold a whole worker, but slow clients are not "
        "cut at --timeout: put a buffering proxy in front (docs/performance.md)",
    )
    serve.add_argument("--certfile", help="TLS certificate (PEM), passed to gunicorn")
    serve.add_argument("--keyfile", help="TLS private key (PEM), passed to gunicorn")
    serve.add_argument("--timeout", type=int, default=30, help="worker timeout in seconds")
    serve.add_argument(
        "--upgrade-db",
        action="store_true",
        help="migrate an older database schema first (as `gist-cds db upgrade`); without it an "
        "older schema stops the start",
    )
    serve.set_defaults(func=cmd_serve)

    check = sub.add_parser(
        "check-config",
        help="check every GIST_CDS_* setting, the trusted clients and their keys, the database",
        description="Prints the effective configuration (secrets masked) and one line per "
        "check; exits 1 on any problem. Writes nothing.",
    )
    check.add_argument(
        "--offline", action="store_true", help="do not download the clients' jwks_uri key sets"
    )
    check.set_defaults(func=cmd_check_config)

    evaluate = sub.add_parser(
        "evaluate",
        help="FHIR Bundle or CDS Hooks request in, cards out",
        description="Offline: no server, no network, no database. Prints the CDS Hooks "
        "response; when there are no cards, says why on stderr.",
    )
    evaluate.add_argument(
        "file",
        help="JSON file: a FHIR R4 Bundle of the patient's resources, or a CDS Hooks "
        "request of a registered hook (patient-view, ...) with every prefetch key filled",
    )
    evaluate.add_argument(
        "--service",
        help="service id to answer a CDS Hooks request (default: the one service on its hook)",
    )
    evaluate.set_defaults(func=cmd_evaluate)

    token = sub.add_parser(
        "token",
        help="TEST ONLY: mint a short-lived CDS-client JWT from a local private key",
        description="For smoke tests and trying the service with auth on; a real EHR signs its "
        "own tokens. Prints the JWT; use it as 'Authorization: Bearer <jwt>' once (the jti is "
        "single-use).",
    )
    token.add_argument("--client", help="client key file (JSON: iss, kid, alg, private_key PEM)")
    token.add_argument("--aud", help="the exact URL the token is for, e.g. {base}/cds-services")
    token.add_argument(
        "--lifetime", type=int, default=300, help="seconds until the token expires (max 3600)"
    )
    token.add_argument(
        "--new-client",
        metavar="FILE",
        help="write a new ES384 client key file and print its trusted-clients entry (with --iss)",
    )
    token.add_argument("--iss", help="issuer for --new-client")
    token.set_defaults(func=cmd_token)

    db = sub.add_parser("db", help="database schema management")
    db.add_argument("action", choices=["upgrade"], help="upgrade: migrate to this release's schema")
    db.set_defaults(func=cmd_db_upgrade)

    discovery = sub.add_parser("discovery", help="print the discovery document")
    discovery.set_defaults(func=cmd_discovery)

    report = sub.add_parser(
        "report",
        help="reports from the database",
        description="Reads GIST_CDS_DATABASE_URL, or the demo database var/gist-cds.sqlite3 "
        "of `make run`; says which on stderr; never creates a database.",
    )
    report.add_argument("what", choices=["feedback"], help="feedback: acceptance per rule")
    report.add_argument("--json", action="store_true", help="JSON instead of a table")
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
