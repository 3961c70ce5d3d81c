"""The EHR simulator's backend: a static page plus the few things an EHR's server side does.

The browser page talks to the CDS service directly (cross-origin, as an EHR's web client does);
this backend only holds what a browser must not: the signing key (`POST /api/token`), its JWKS,
the patient list, and read access to the EHR's FHIR data for building prefetch (`/api/fhir/...`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, jsonify, request, send_from_directory

from sandbox.simulator.catalog import PatientListing
from sandbox.simulator.fhir import FhirBackend, MemoryFhir, is_relative_fhir_url, operation_outcome
from sandbox.simulator.tokens import MAX_AUDIENCE_CHARS, TokenSigner

STATIC_DIR = Path(__file__).resolve().parent / "static"
SERVICE_ID = "gist-treatment"
USER_ID = "Practitioner/sandbox-oncologist"
# Left out of prefetch on purpose, so the service has to read it from `fhirServer`.
OMITTED_PREFETCH_KEYS = ("procedures",)
DUMMY_ACCESS_TOKEN = "sandbox-access-token-not-checked"  # a demo placeholder


@dataclass(frozen=True)
class SimulatorConfig:
    origin: str  # this simulator's own origin: the JWT issuer and the CORS origin to allow
    service_base_url: str  # the CDS service, e.g. http://127.0.0.1:8080
    fhir: FhirBackend  # the EHR's FHIR data; its base_url is sent as `fhirServer`
    patients: Sequence[PatientListing]
    serve_fhir: MemoryFhir | None = None  # fallback: expose this store at {origin}/fhir
    omitted_prefetch_keys: tuple[str, ...] = OMITTED_PREFETCH_KEYS
    signer: TokenSigner | None = field(default=None, compare=False)


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def create_simulator_app(config: SimulatorConfig) -> Flask:
    """The simulator Flask app; a new signing key per app unless `config.signer` is given."""
    signer = config.signer or TokenSigner(config.origin)
    service_base = config.service_base_url.rstrip("/")
    app = Flask(__name__, static_folder=str(STATIC_DIR), static_url_path="/static")
    app.json.sort_keys = False  # type: ignore[attr-defined]

    @app.after_request
    def security_headers(response: Response) -> Response:
        # Scripts only from here; fetch only here and to the service: card markdown can never
        # load or run anything even if the renderer had a bug.
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self' {_origin_of(service_base)}; frame-ancestors 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/")
    def index() -> Response:
        return send_from_directory(STATIC_DIR, "index.html")

    @app.get("/api/config")
    def page_config() -> Response:
        return jsonify(
            {
                "serviceBaseUrl": service_base,
                "serviceId": SERVICE_ID,
                "fhirServer": config.fhir.base_url,
                "userId": USER_ID,
                "issuer": config.origin,
                "accessToken": DUMMY_ACCESS_TOKEN,
                "omittedPrefetchKeys": list(config.omitted_prefetch_keys),
            }
        )

    @app.get("/api/patients")
    def patients() -> Response:
        return jsonify([listing.as_json() for listing in config.patients])

    @app.post("/api/token")
    def token() -> tuple[Response, int]:
        body: Any = request.get_json(silent=True)
        audience = body.get("aud") if isinstance(body, dict) else None
        # An EHR signs only for the services it is configured to call.
        if (
            not isinstance(audience, str)
            or len(audience) > MAX_AUDIENCE_CHARS
            or not (audience == service_base or audience.startswith(service_base + "/"))
        ):
            return jsonify({"error": f"aud must be a URL of the service {service_base}"}), 400
        return jsonify({"token": signer.mint(audience), "kid": signer.kid}), 200

    @app.get("/.well-known/jwks.json")
    def jwks() -> Response:
        return jsonify(signer.jwks())

    @app.get("/api/fhir/<path:relative>")
    def ehr_fhir(relative: str) -> tuple[Response, int]:
        return _fhir_answer(config.fhir, relative)

    if config.serve_fhir is not None:
        memory = config.serve_fhir

        @app.get("/fhir/<path:relative>")
        def fallback_fhir(relative: str) -> tuple[Response, int]:
            return _fhir_answer(memory, relative)

    return app


def _fhir_answer(backend: FhirBackend, relative: str) -> tuple[Response, int]:
    query = request.query_string.decode("utf-8", "replace")
    target = f"{relative}?{query}" if query else relative
    if not is_relative_fhir_url(target):
        status, payload = 400, operation_outcome("invalid", "not a relative FHIR read or search")
    else:
        status, payload = backend.get(target)
    response = jsonify(payload)
    response.mimetype = "application/fhir+json"
    return response, status
