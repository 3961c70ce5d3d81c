"""A loopback HTTPS server for JWKS tests: serves JSON or redirects per path, records requests.

The certificate chain (a throwaway CA and a leaf for 127.0.0.1/localhost) is generated with
`cryptography`; `ca_file` is what the verifier gets as `ca_bundle`, so TLS is really verified.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import ssl
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class _Route:
    status: int
    body: bytes
    headers: dict[str, str]
    drip_s: float = 0.0  # > 0: the whole answer, headers included, one byte per `drip_s`


_CA_KEY_USAGE = x509.KeyUsage(
    **dict.fromkeys(
        ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment"),
        False,
    ),
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=False,
    decipher_only=False,
)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def write_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """(ca.pem, server.pem, server-key.pem) for 127.0.0.1 and localhost, valid for a day."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("gist-cds test CA"))
        .issuer_name(_name("gist-cds test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_CA_KEY_USAGE, critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = (
        directory / "ca.pem",
        directory / "server.pem",
        directory / "server-key.pem",
    )
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_file, cert_file, key_file


class HttpsTestServer:
    """Threaded HTTPS server on 127.0.0.1; routes are set per test, requests are recorded."""

    def __init__(self, directory: Path) -> None:
        self.ca_file, cert_file, key_file = write_certificates(directory)
        self._routes: dict[str, _Route] = {}
        self._requests: list[str] = []
        self._lock = threading.Lock()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(cert_file, key_file)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def serve_json(self, path: str, document: Any, status: int = 200) -> str:
        """Answer GET `path` with this JSON; returns the absolute URL."""
        body = json.dumps(document).encode()
        self._set(path, _Route(status, body, {"Content-Type": "application/json"}))
        return self.url(path)

    def serve_dripping(self, path: str, document: Any, drip_s: float) -> str:
        """Answer GET `path` with this JSON, status line and headers dripped byte by byte."""
        body = json.dumps(document).encode()
        self._set(path, _Route(200, body, {"Content-Type": "application/json"}, drip_s))
        return self.url(path)

    def serve_redirect(self, path: str, location: str, status: int = 302) -> str:
        self._set(path, _Route(status, b"", {"Location": location}))
        return self.url(path)

    def hits(self, path: str) -> int:
        """How many requests arrived for `path`."""
        wanted = "/" + path.lstrip("/")
        with self._lock:
            return sum(1 for seen in self._requests if seen == wanted)

    @property
    def requests(self) -> list[str]:
        with self._lock:
            return list(self._requests)

    def reset(self) -> None:
        with self._lock:
            self._routes.clear()
            self._requests.clear()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _set(self, path: str, route: _Route) -> None:
        with self._lock:
            self._routes["/" + path.lstrip("/")] = route

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                with server._lock:
                    server._requests.append(path)
                    route = server._routes.get(path, _Route(404, b"", {}))
                if route.drip_s:
                    self._drip(route)
                    return
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)

            def _drip(self, route: _Route) -> None:
                head = (
                    f"HTTP/1.1 {route.status} OK\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(route.body)}\r\nX-Pad: {'p' * 64}\r\n\r\n"
                ).encode()
                try:
                    for byte in head + route.body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(route.drip_s)
                except OSError:
                    return  # the client hung up

            def log_message(self, format: str, *args: Any) -> None:
                return  # keep test output clean

        return Handler


@pytest.fixture(scope="session", name="https_server_session")
def https_server_session_fixture() -> Iterator[HttpsTestServer]:
    with tempfile.TemporaryDirectory(prefix="gist-cds-https-") as directory:
        server = HttpsTestServer(Path(directory))
        try:
            yield server
        finally:
            server.close()


@pytest.fixture(name="https_server")
def https_server_fixture(https_server_session: HttpsTestServer) -> HttpsTestServer:
    """The session's HTTPS server with no routes and an empty request log."""
    https_server_session.reset()
    return https_server_session
