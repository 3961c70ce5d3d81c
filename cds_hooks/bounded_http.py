"""HTTP the service sends on a caller's behalf (FHIR reads, JWKS downloads), bounded in total time.

requests' timeouts bound each socket read, not a whole exchange: a server that drips its headers,
a gzip header or chunk trailers one byte at a time keeps a read going for as long as it likes.
Here every connection an exchange uses is registered with the `Deadline` the calling thread works
under; `Deadline.expire()` shuts those sockets down, so a blocked read ends at once with an error
and no thread or socket outlives the budget.

FHIR reads go through urllib3 connection pools kept per worker process and FHIR base
(keep-alive); JWKS downloads through requests sessions. Neither takes cookies, proxies or `.netrc`
credentials from the environment: the token of one hook call never rides along with another's, and
nothing but the request itself reaches the server.
"""

from __future__ import annotations

import os
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from requests.utils import DEFAULT_CA_BUNDLE_PATH
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_local = threading.local()


class _Scope:
    """One `Deadline.bound()` block: the connections that its thread registered."""

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline
        self.connections: list[HTTPConnection] = []


class Deadline:
    """A point in time after which the connections used under it are shut down."""

    def __init__(self, at: float) -> None:
        self.at = at
        self._lock = threading.Lock()
        self._connections: set[HTTPConnection] = set()
        self._expired = False

    def remaining(self) -> float:
        return self.at - time.monotonic()

    @property
    def expired(self) -> bool:
        return self._expired

    @contextmanager
    def bound(self) -> Iterator[None]:
        """Run HTTP in this thread under the deadline (its connections are registered until
        they go back to their pool, or the block ends)."""
        previous = getattr(_local, "scope", None)
        scope = _Scope(self)
        _local.scope = scope
        try:
            yield
        finally:
            _local.scope = previous
            for connection in scope.connections:
                _untrack(connection, scope)

    def track(self, connection: HTTPConnection) -> None:
        with self._lock:
            if not self._expired:
                self._connections.add(connection)
                return
        _shut(connection)

    def forget(self, connection: HTTPConnection) -> None:
        with self._lock:  # waits for an `expire` under way, so it never shuts a reused socket
            self._connections.discard(connection)

    def expire(self) -> None:
        """Shut down every socket still in use under this deadline (idempotent)."""
        with self._lock:
            self._expired = True
            for connection in self._connections:
                _shut(connection)
            self._connections.clear()

    @contextmanager
    def watched(self) -> Iterator[None]:
        """`bound()`, plus a timer that expires the deadline when it passes (single-thread use)."""
        timer = threading.Timer(max(self.remaining(), 0.0), self.expire)
        timer.daemon = True
        timer.start()
        try:
            with self.bound():
                yield
        finally:
            timer.cancel()


def _shut(connection: HTTPConnection) -> None:
    sock = getattr(connection, "sock", None)
    if sock is None:
        return
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked recv in another thread; no fd reuse


def _register(connection: HTTPConnection) -> None:
    scope: _Scope | None = getattr(_local, "scope", None)
    if scope is not None:
        scope.connections.append(connection)
        connection.gist_scope = scope  # type: ignore[attr-defined]
        scope.deadline.track(connection)


def _untrack(connection: Any, scope: _Scope | None = None) -> None:
    """Stop a connection's deadline from shutting it (`scope`: only if that block registered it
    last; another thread may have taken it from the pool since and registered it again)."""
    current: _Scope | None = getattr(connection, "gist_scope", None)
    if current is None or (scope is not None and current is not scope):
        return
    connection.gist_scope = None
    current.deadline.forget(connection)


class _TrackedHTTPConnection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _register(self)
        super().request(*args, **kwargs)


class _TrackedHTTPSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _register(self)
        super().request(*args, **kwargs)


class _TrackedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _TrackedHTTPConnection

    def _put_conn(self, conn: Any) -> None:
        _untrack(conn)  # back in the pool: the next call's, no longer this deadline's
        super()._put_conn(conn)


class _TrackedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _TrackedHTTPSConnection

    def _put_conn(self, conn: Any) -> None:
        _untrack(conn)
        super()._put_conn(conn)


class _TrackedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _TrackedHTTPPool,
            "https": _TrackedHTTPSPool,
        }


def new_session(pool_size: int = 8) -> requests.Session:
    """A session whose connections a `Deadline` can shut; no cookies, proxies or netrc."""
    session = requests.Session()
    session.trust_env = False
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    adapter = _TrackedAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


MAX_POOLED_BASES = 32
_pools: tuple[int, dict[str, HTTPConnectionPool]] = (os.getpid(), {})
_pools_lock = threading.Lock()


def pool_for(base: str, keep_alive: int = 8) -> HTTPConnectionPool:
    """This worker's keep-alive connections to one FHIR base (`scheme://host[:port]/path`),
    made on first use and anew after a fork (a child must not share its parent's sockets).

    No retries and no redirects at this level (the caller decides); HTTPS is verified against
    the same CA bundle requests uses. Up to `keep_alive` idle connections are kept."""
    global _pools
    pid = os.getpid()
    with _pools_lock:
        if _pools[0] != pid:
            _pools = (pid, {})
        pools = _pools[1]
        pool = pools.get(base)
        if pool is None:
            if len(pools) >= MAX_POOLED_BASES:
                pools.pop(next(iter(pools))).close()
            pool = pools[base] = _new_pool(base, keep_alive)
        return pool


def _new_pool(base: str, keep_alive: int) -> HTTPConnectionPool:
    parts = urlsplit(base)
    host = parts.hostname or ""
    options: dict[str, Any] = {"maxsize": keep_alive, "block": False, "retries": False}
    if parts.scheme == "https":
        return _TrackedHTTPSPool(
            host,
            parts.port,
            cert_reqs="CERT_REQUIRED",
            ca_certs=DEFAULT_CA_BUNDLE_PATH,
            **options,
        )
    return _TrackedHTTPPool(host, parts.port, **options)


def _new_pools_lock_in_child() -> None:
    global _pools_lock
    _pools_lock = threading.Lock()  # a lock held by a parent thread at the fork stays held


os.register_at_fork(after_in_child=_new_pools_lock_in_child)


def is_stale_connection(exc: BaseException) -> bool:
    """True when sending a GET or reading its answer's head failed on the connection itself
    (refused, reset, closed under us: a reused keep-alive socket the server had just dropped),
    not on a timeout: the GET can safely be sent again."""
    if isinstance(exc, urllib3.exceptions.NewConnectionError):
        return True  # urllib3 files a refused connection under its timeouts
    return not isinstance(exc, urllib3.exceptions.TimeoutError | TimeoutError)


def failure_name(exc: BaseException) -> str:
    """A log-safe name for a failure to get an answer at all (its text may carry the URL)."""
    if isinstance(exc, urllib3.exceptions.SSLError | ssl.SSLError):
        return "SSLError"
    return "ConnectionError"
