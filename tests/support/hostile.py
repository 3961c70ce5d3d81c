"""Raw answers of a hostile FHIR server, written byte by byte to a real socket.

Each writer keeps the client's read going (a byte every `DRIP_S`, always within any per-read
timeout) for up to `GIVE_UP_S`, then stops; a client that shuts its socket ends it sooner (the
write fails). Used as `Reply(stream=...)` of `tests.support.fhir_server.scripted_server`.
"""

from __future__ import annotations

import json
import time
from typing import Any

DRIP_S = 0.1
GIVE_UP_S = 30.0
_BUNDLE = json.dumps({"resourceType": "Bundle", "type": "searchset", "entry": []}).encode()


def _send(wfile: Any, data: bytes) -> None:
    wfile.write(data)
    wfile.flush()


def _drip_forever(wfile: Any, byte: bytes) -> None:
    stop = time.monotonic() + GIVE_UP_S
    while time.monotonic() < stop:
        _send(wfile, byte)
        time.sleep(DRIP_S)


def dripped_headers(wfile: Any) -> None:
    """A status line, then one header line that never ends."""
    _send(wfile, b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nX-Slow: ")
    _drip_forever(wfile, b"a")


def dripped_gzip_header(wfile: Any) -> None:
    """Complete headers, then a gzip member whose file-name field never ends."""
    _send(
        wfile,
        b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\n"
        b"Content-Encoding: gzip\r\nContent-Length: 10000000\r\n\r\n"
        # magic, deflate, FLG.FNAME, mtime, xfl, os: the name follows until a NUL byte
        + b"\x1f\x8b\x08\x08\x00\x00\x00\x00\x00\x03",
    )
    _drip_forever(wfile, b"a")


def endless_trailers(wfile: Any) -> None:
    """A chunked Bundle, its last chunk, then trailer lines without end."""
    _send(
        wfile,
        b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
        + f"{len(_BUNDLE):x}\r\n".encode()
        + _BUNDLE
        + b"\r\n0\r\n",
    )
    stop = time.monotonic() + GIVE_UP_S
    while time.monotonic() < stop:
        for byte in b"X-Trailer: a\r\n":
            _send(wfile, bytes([byte]))
            time.sleep(DRIP_S / 4)


SLOW_FAULTS = {
    "slow-headers": dripped_headers,
    "slow-gzip-header": dripped_gzip_header,
    "endless-trailers": endless_trailers,
}
