"""The real app for tests that talk HTTP: `live_service` serves it on a real loopback socket;
`in_process_service` hands the same requests-based client to the app in-process (Flask's test
client behind a requests transport adapter), for contract tests where the socket does not matter
and a fresh app per test is cheap."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import Flask
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from werkzeug.serving import BaseWSGIServer, make_server

from cds_hooks.app import create_app
from cds_hooks.config import Settings
from cds_hooks.warmup import prepare_process


class _DeferredApp:
    """Lets the server bind its port before the app exists (the app's public URL needs it)."""

    app: Flask | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        assert self.app is not None
        return self.app(environ, start_response)


@dataclass
class LiveService:
    base_url: str
    app: Flask
    settings: Settings
    mint_token: Callable[[str], str] | None = None  # audience URL -> signed JWT
    session: requests.Session = field(default_factory=requests.Session)

    def url(self, path: str) -> str:
        return self.base_url + "/" + path.lstrip("/")

    def headers(self, path: str, *, auth: bool = True) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if auth and self.mint_token is not None:
            headers["Authorization"] = "Bearer " + self.mint_token(self.url(path))
        return headers

    def get(self, path: str, *, auth: bool = True, **kwargs: Any) -> requests.Response:
        return self.session.get(
            self.url(path), headers=self.headers(path, auth=auth), timeout=30, **kwargs
        )

    def post(
        self, path: str, body: Any = None, *, auth: bool = True, **kwargs: Any
    ) -> requests.Response:
        headers = self.headers(path, auth=auth) | kwargs.pop("headers", {})
        if "data" not in kwargs:
            kwargs["json"] = body
        return self.session.post(self.url(path), headers=headers, timeout=30, **kwargs)


def hook_request(
    patient_id: str,
    prefetch: dict[str, Any] | None = None,
    *,
    fhir_server: str | None = None,
    access_token: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A patient-view request as an EHR sends it."""
    body: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/example", "patientId": patient_id},
    }
    if prefetch is not None:
        body["prefetch"] = prefetch
    if fhir_server is not None:
        body["fhirServer"] = fhir_server
    if access_token is not None:
        body["fhirAuthorization"] = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "gist-cds",
        }
    body.update(extra)
    return body


@contextmanager
def live_service(
    make_settings: Callable[[str], Settings],
    mint_token: Callable[[str], str] | None = None,
) -> Iterator[LiveService]:
    """Serve `create_app(make_settings(base_url))` on 127.0.0.1 with a free port."""
    deferred = _DeferredApp()
    server: BaseWSGIServer = make_server("127.0.0.1", 0, deferred, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    settings = make_settings(base_url)
    prepare_process(settings)  # what gunicorn's post_fork does for a worker
    deferred.app = create_app(settings)
    thread = threading.Thread(target=server.serve_forever, name="live-service", daemon=True)
    thread.start()
    try:
        yield LiveService(base_url, deferred.app, settings, mint_token)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        deferred.app.extensions["gist_cds"].storage.close()


class _InProcessAdapter(BaseAdapter):
    """A requests transport that hands each request to the Flask app through its test client."""

    def __init__(self, app: Flask) -> None:
        super().__init__()
        self.client = app.test_client()

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        url = urlsplit(request.url or "")
        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in ("content-length", "host")
        }
        body = request.body.encode() if isinstance(request.body, str) else (request.body or b"")
        answer = self.client.open(
            url.path,
            method=request.method or "GET",
            query_string=url.query,
            headers=headers,
            data=body,
            base_url=f"{url.scheme}://{url.netloc}",
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response.reason = answer.status.partition(" ")[2]
        response.headers = CaseInsensitiveDict(dict(answer.headers))
        response._content = answer.get_data()
        response.encoding = get_encoding_from_headers(response.headers)
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        return


@contextmanager
def in_process_service(
    make_settings: Callable[[str], Settings],
    mint_token: Callable[[str], str] | None = None,
    *,
    base_url: str = "http://127.0.0.1:9",
) -> Iterator[LiveService]:
    """`create_app(make_settings(base_url))` behind a requests session that never opens a socket
    (same interface as `live_service`: use `service.session`, not bare `requests.get`)."""
    settings = make_settings(base_url)
    app = create_app(settings)
    session = requests.Session()
    session.mount(base_url, _InProcessAdapter(app))
    try:
        yield LiveService(base_url, app, settings, mint_token, session)
    finally:
        session.close()
        app.extensions["gist_cds"].storage.close()
