"""Prefetch resolution: use what the EHR sent, fetch the rest from its FHIR server.

CDS Hooks 2.0 semantics: a prefetch key holding data is used as is (a paginated searchset is
completed by following its `next` links); `null` means the EHR has no data; an absent key, or one
holding an OperationOutcome, is fetched from `fhirServer` with the `fhirAuthorization` token.

Security: no request (and so no token) ever goes to a server outside `allowed_servers`, nor to a
`next` link outside that server's base (checked on the URL exactly as it is sent, after dot-segment
removal, with encoded `.`, `/` and `\\` refused); redirects are not followed; one time budget bounds
the whole call, and at its end the sockets still in use are shut (`bounded_http`); one resource
limit and one byte budget cover prefetch and fetched data together. Problem reasons never carry the
token, URLs, patient ids or any text the server chose.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import requests
import urllib3.exceptions
from requests.utils import default_headers
from urllib3 import BaseHTTPResponse, HTTPConnectionPool, Timeout

from cds_hooks.bounded_http import Deadline, failure_name, is_stale_connection, pool_for
from cds_hooks.fetch_threads import MAX_WORKERS, CallPool, shared_pool
from cds_hooks.validation import count_resources
from fhir_mappings.prefetch_templates import PREFETCH_TEMPLATES, REQUIRED_KEYS, render

log = logging.getLogger(__name__)

#: FHIR `id` datatype; anything else in `context.patientId` is never put into a URL.
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
#: Idle keep-alive connections a worker keeps per FHIR base (a few calls' worth).
KEEP_ALIVE_PER_BASE = 4 * MAX_WORKERS
#: HTTP work stops this much before the deadline so cut-off searches can still hand back the
#: pages they have before `resolve` stops waiting (at most a tenth of the budget).
WRAP_UP_S = 0.15
READ_SIZE = 64 * 1024
#: Pseudo-key under which Medications read by reference are returned (and problems reported).
MEDICATIONS_KEY = "Medication"
MAX_MEDICATION_READS = 50
#: Resource types whose `medicationReference` is read when the Medication was not sent; each
#: service passes its own (its registry entry), this default serves direct callers.
DEFAULT_MEDICATION_USE_TYPES = frozenset({"MedicationStatement", "MedicationRequest"})
#: A Medication is a code and a few ingredients: a body larger than this is not one.
MAX_MEDICATION_BYTES = 256 * 1024
#: Resource types a FHIR answer may be named by in a problem; any other `resourceType` the server
#: sent is never quoted (it is server-chosen text, possibly huge or token-shaped).
NAMEABLE_TYPES = frozenset(
    {
        "Bundle",
        "OperationOutcome",
        "Patient",
        "Condition",
        "Observation",
        "MedicationStatement",
        "MedicationRequest",
        "Procedure",
        "Medication",
    }
)
#: The headers requests sent by default (User-Agent, gzip/deflate, keep-alive).
_DEFAULT_HEADERS = dict(default_headers())
_ENCODED_SEPARATOR = re.compile(r"%(2e|2f|5c)", re.IGNORECASE)
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class FetchProblem:
    """Why one key's data is missing or incomplete. `reason` is safe to log and show."""

    key: str
    reason: str

    def __str__(self) -> str:
        return f"{self.key}: {self.reason}"


@dataclass(frozen=True)
class ResolvedData:
    """The data per prefetch key, and how each key was obtained.

    `values` holds a resource or a searchset Bundle per key with data (pages merged into one
    Bundle). A key whose prefetched Bundle was completed from the server is in both `prefetched`
    and `fetched`. `empty` holds the keys the EHR declared as having no data (`null`).
    """

    values: dict[str, Any]
    problems: tuple[FetchProblem, ...]
    prefetched: frozenset[str]
    fetched: frozenset[str]
    empty: frozenset[str]


class PrefetchUnavailable(Exception):
    """Required data was neither prefetched nor fetchable: the service answers 412."""

    def __init__(self, reason: str, keys: Collection[str] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.keys = tuple(sorted(keys))


class _Failed(Exception):
    """One HTTP exchange failed; `args[0]` is a log-safe reason."""


class _NoAnswer(Exception):
    """Sending a GET or reading its answer's head failed; `args[0]` is urllib3's exception."""


def normalise_base(url: str) -> str | None:
    """The canonical form of a FHIR base URL (lower-case scheme/host, no default port, no
    trailing slash), or None when it is not a plain http(s) base (credentials, query, fragment)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        return None
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path.rstrip("/"), "", ""))


def sendable_url(url: str, base: str) -> str | None:
    """`url` exactly as requests will send it, when that lies under the normalised FHIR base
    `base`; None otherwise.

    The check runs on requests' own preparation of the URL (dot segments removed, unreserved
    escapes decoded), so what is compared is what goes on the wire; an encoded `.`, `/` or `\\`
    in the path is refused outright, as servers differ in whether they decode it before routing.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.username is not None or parts.password is not None:
        return None
    if "\\" in parts.path or _ENCODED_SEPARATOR.search(parts.path):
        return None
    try:
        prepared = requests.PreparedRequest()
        prepared.prepare_url(url, None)
        again = requests.PreparedRequest()
        again.prepare_url(prepared.url, None)
    except (requests.RequestException, ValueError, UnicodeError):
        return None
    if not prepared.url or prepared.url != again.url:
        return None
    sent = urlsplit(prepared.url)
    if {".", ".."} & set(sent.path.split("/")):
        return None
    start = normalise_base(urlunsplit((sent.scheme, sent.netloc, sent.path, "", "")))
    if start is None or not (start == base or start.startswith(base + "/")):
        return None
    return prepared.url


def _request_target(sendable: str) -> str:
    """The request line's target for a URL `sendable_url` approved (as requests built it)."""
    parts = urlsplit(sendable)
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def on_base(url: str, base: str) -> bool:
    """True when absolute `url`, as it would be sent, lies under the normalised FHIR base."""
    return sendable_url(url, base) is not None


def type_name(value: Any) -> str:
    """How a problem names what the server answered: a known type name, never its own text."""
    found = value.get("resourceType") if isinstance(value, Mapping) else None
    if found is None:
        return "no resource"
    return found if isinstance(found, str) and found in NAMEABLE_TYPES else "another resource type"


class Allowance:
    """What is left of the per-call resource limit and byte budget, shared by every fetch thread
    (prefetched resources and request bytes are taken first)."""

    def __init__(self, resources: int, bytes_: int) -> None:
        self.max_resources = resources
        self.max_bytes = bytes_
        self._resources = resources
        self._bytes = bytes_
        self._lock = threading.Lock()

    def take_bytes(self, count: int) -> bool:
        with self._lock:
            self._bytes -= count
            return self._bytes >= 0

    def take_resources(self, count: int) -> bool:
        with self._lock:
            if count > self._resources:
                self._resources = 0
                return False
            self._resources -= count
            return True

    @property
    def resources_left(self) -> int:
        return self._resources

    def bytes_reason(self) -> str:
        return f"the FHIR server's data exceeds the limit of {self.max_bytes} bytes per call"

    def resources_reason(self) -> str:
        return f"stopped at the limit of {self.max_resources} resources per call"


def _expected_type(template: str) -> str:
    """`Patient/{{..}}` is a read (a Patient comes back); `Condition?..` a search (a Bundle)."""
    return template.split("/", 1)[0] if "?" not in template else "Bundle"


def _searched_type(template: str) -> str:
    """The resource type a template reads or searches (`MedicationStatement?..` -> that)."""
    return template.split("?", 1)[0].split("/", 1)[0]


def _is_outcome(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get("resourceType") == "OperationOutcome"


def _next_link(bundle: Mapping[str, Any]) -> str | None:
    links = bundle.get("link")
    if not isinstance(links, list):
        return None
    for link in links:
        if isinstance(link, Mapping) and link.get("relation") == "next":
            url = link.get("url")
            return url if isinstance(url, str) and url else None
    return None


def _entries(bundle: Mapping[str, Any]) -> list[Any]:
    """Entries carrying data; `search.mode = outcome` entries are server warnings, not data."""
    entries = bundle.get("entry")
    if not isinstance(entries, list):
        return []
    return [
        e
        for e in entries
        if isinstance(e, Mapping)
        and isinstance(e.get("resource"), Mapping)
        and not (isinstance(e.get("search"), Mapping) and e["search"].get("mode") == "outcome")
    ]


@dataclass
class _Fetcher:
    """The HTTP side: the worker's keep-alive pool for the allowlisted base, one deadline, one
    optional token, and the allowance shared with every other fetch of the call."""

    http: HTTPConnectionPool
    base: str
    token: str | None
    deadline: Deadline
    max_pages: int
    max_bytes: int
    allowance: Allowance
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.headers = {**_DEFAULT_HEADERS, "Accept": "application/fhir+json"}
        if self.token:
            self.headers["Authorization"] = f"Bearer {self.token}"

    def get_json(self, url: str, *, max_bytes: int | None = None) -> Any:
        sendable = sendable_url(url, self.base)
        if sendable is None:
            raise _Failed("a link points outside the FHIR server")
        target = _request_target(sendable)
        with self.deadline.bound():
            try:
                body = self._exchange(target, max_bytes or self.max_bytes)
            except _NoAnswer as exc:
                # a keep-alive socket the server had just closed: GET is idempotent, send it again
                if not is_stale_connection(exc.args[0]) or self.deadline.remaining() <= 0:
                    raise self._failure(exc) from None
                try:
                    body = self._exchange(target, max_bytes or self.max_bytes)
                except (_NoAnswer, urllib3.exceptions.HTTPError, OSError) as again:
                    raise self._failure(again) from None
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise self._failure(exc) from None
        if self.deadline.expired:  # the read was cut by the deadline: what came is not all
            raise _Failed("FHIR server did not answer within the time budget")
        try:
            return json.loads(body)
        except (ValueError, RecursionError):
            raise _Failed("FHIR server answered with a body that is not valid JSON") from None

    def _failure(self, exc: BaseException) -> _Failed:
        cause = exc.args[0] if isinstance(exc, _NoAnswer) else exc
        timed_out = isinstance(cause, urllib3.exceptions.TimeoutError | TimeoutError)
        if self.deadline.expired or (timed_out and not is_stale_connection(cause)):
            return _Failed("FHIR server did not answer within the time budget")
        # no answer at all: named by kind; a body that broke off: by urllib3's own error type
        name = failure_name(cause) if isinstance(exc, _NoAnswer) else type(exc).__name__
        return _Failed(f"could not read from the FHIR server ({name})")

    def _exchange(self, target: str, max_bytes: int) -> bytes:
        remaining = self.deadline.remaining()
        if remaining <= 0 or self.deadline.expired:
            raise _Failed("time budget used up before the request")
        try:
            response = self.http.urlopen(
                "GET",
                target,
                headers=self.headers,
                retries=False,
                redirect=False,
                timeout=Timeout(connect=remaining, read=remaining),
                preload_content=False,
                decode_content=True,
            )
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise _NoAnswer(exc) from None
        try:
            status = response.status
            if 300 <= status < 400:
                raise _Failed(f"FHIR server answered HTTP {status} (redirects are not followed)")
            if not 200 <= status < 300:
                raise _Failed(f"FHIR server answered HTTP {status}")
            return self._read_body(response, max_bytes)
        finally:
            # a body read to its end has already handed the connection back for reuse; one
            # left unread (error, limit) is closed, as it cannot carry another request
            response.close()
            response.release_conn()

    def _read_body(self, response: BaseHTTPResponse, max_bytes: int) -> bytes:
        """Read with `read1` (returns after each socket read, unlike `iter_content`, which blocks
        until a whole chunk arrives), so a slow-drip body is cut at the deadline; a read blocked
        inside urllib3 (dripped headers, gzip header, trailers) ends when the deadline shuts the
        socket."""
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise _Failed(f"FHIR server response is larger than {max_bytes} bytes")
        body = bytearray()
        while chunk := response.read1(READ_SIZE, decode_content=True):
            body += chunk
            if len(body) > max_bytes:
                raise _Failed(f"FHIR server response is larger than {max_bytes} bytes")
            if not self.allowance.take_bytes(len(chunk)):
                raise _Failed(self.allowance.bytes_reason())
            if self.deadline.remaining() <= 0:
                raise _Failed("FHIR server did not answer within the time budget")
        return bytes(body)

    def read(self, url: str, resource_type: str, max_bytes: int | None = None) -> Any:
        value = self.get_json(url, max_bytes=max_bytes)
        if not isinstance(value, Mapping) or value.get("resourceType") != resource_type:
            raise _Failed(f"FHIR server answered with {type_name(value)}, not {resource_type}")
        if not self.allowance.take_resources(count_resources(value)):
            raise _Failed(f"not read: {self.allowance.resources_reason()}")
        return dict(value)

    def complete(self, first: Mapping[str, Any] | None, url: str | None) -> tuple[Any, list[str]]:
        """Fetch a search (or the rest of a prefetched page) following same-base `next` links;
        returns one merged searchset Bundle and the problems that left it incomplete."""
        entries: list[Any] = []
        total: Any = None
        seen: set[str] = set()
        pages = 0
        if first is not None:
            entries += _entries(first)
            total = first.get("total")
            pages = 1
        problems: list[str] = []
        while url is not None:
            sendable = sendable_url(url, self.base)
            if sendable is None:
                problems.append("incomplete: a next link points outside the FHIR server")
                break
            if sendable in seen:
                problems.append("incomplete: the server's next links loop")
                break
            if pages >= self.max_pages:
                problems.append(f"incomplete: stopped after {self.max_pages} pages")
                break
            seen.add(sendable)
            try:
                page = self.get_json(sendable)
            except _Failed as failed:
                if pages == 0:
                    raise
                problems.append(f"incomplete: {failed.args[0]}")
                break
            if not isinstance(page, Mapping) or page.get("resourceType") != "Bundle":
                reason = f"FHIR server answered with {type_name(page)}, not a Bundle"
                if pages == 0:
                    raise _Failed(reason)
                problems.append(f"incomplete: {reason}")
                break
            found = _entries(page)
            if not self.allowance.take_resources(sum(count_resources(e) for e in found)):
                problems.append(f"incomplete: {self.allowance.resources_reason()}")
                break
            pages += 1
            entries += found
            if total is None:
                total = page.get("total")
            nxt = _next_link(page)
            url = urljoin(sendable, nxt) if nxt else None
        merged: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "entry": entries}
        if not problems:
            merged["total"] = len(entries)
        elif isinstance(total, int):
            merged["total"] = total
        return merged, problems


@dataclass
class _Plan:
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[FetchProblem] = field(default_factory=list)
    prefetched: set[str] = field(default_factory=set)
    empty: set[str] = field(default_factory=set)
    to_fetch: list[str] = field(default_factory=list)  # absent / OperationOutcome / unusable
    to_continue: dict[str, str] = field(default_factory=dict)  # prefetched page -> its next link


def _plan(prefetch: Mapping[str, Any], templates: Mapping[str, str]) -> _Plan:
    plan = _Plan()
    for key, template in templates.items():
        if key not in prefetch:
            plan.to_fetch.append(key)
            continue
        value = prefetch[key]
        expected = _expected_type(template)
        if value is None:
            plan.empty.add(key)
        elif _is_outcome(value) or not isinstance(value, Mapping):
            plan.to_fetch.append(key)  # the EHR's error, or unusable: fetch it ourselves
        elif value.get("resourceType") != expected:
            plan.to_fetch.append(key)
        else:
            plan.values[key] = value
            plan.prefetched.add(key)
            if expected == "Bundle" and (nxt := _next_link(value)):
                plan.to_continue[key] = nxt
    return plan


def _why_not_fetchable(
    fhir_server: str | None, base: str | None, allowed: set[str], patient_id: str
) -> str | None:
    if not fhir_server:
        return "there is no fhirServer to fetch from"
    if base is None:
        return "fhirServer is not a plain http(s) base URL"
    if base not in allowed:
        return "fhirServer is not allowed for this client"
    if not FHIR_ID.fullmatch(patient_id):
        return "patientId is not a plain FHIR id"
    return None


def resolve(
    prefetch: Mapping[str, Any] | None,
    *,
    patient_id: str,
    fhir_server: str | None,
    access_token: str | None,
    allowed_servers: Collection[str],
    timeout_s: float,
    templates: Mapping[str, str] = PREFETCH_TEMPLATES,
    required: Collection[str] = REQUIRED_KEYS,
    max_pages: int = 20,
    max_response_bytes: int = 20 * 1024 * 1024,
    max_resources: int = 20_000,
    max_total_bytes: int = 32 * 1024 * 1024,
    received_bytes: int = 0,
    medication_use_types: Collection[str] = DEFAULT_MEDICATION_USE_TYPES,
) -> ResolvedData:
    """Resolve every template key to data, within `timeout_s` for the whole call.

    `max_resources` and `max_total_bytes` bound prefetch and fetched data together (the request
    body's `received_bytes` count against the byte budget). Raises PrefetchUnavailable (412) only
    when a required key is neither prefetched nor fetchable; a fetch that was tried and failed,
    or was cut at a limit, is a FetchProblem (the service still answers, naming it).
    """
    started = time.monotonic()
    deadline = started + timeout_s
    plan = _plan(prefetch or {}, templates)
    base = normalise_base(fhir_server) if fhir_server else None
    allowed = {b for b in (normalise_base(a) for a in allowed_servers) if b is not None}
    blocked = _why_not_fetchable(fhir_server, base, allowed, patient_id)
    if blocked is not None:
        missing_required = [k for k in plan.to_fetch if k in required]
        if missing_required:
            raise PrefetchUnavailable(
                f"required prefetch {', '.join(sorted(missing_required))}: not prefetched, "
                f"and {blocked}",
                missing_required,
            )
        plan.problems += [FetchProblem(k, f"not prefetched, and {blocked}") for k in plan.to_fetch]
        plan.problems += [
            FetchProblem(k, f"incomplete: the server has more pages, but {blocked}")
            for k in plan.to_continue
        ]
        return _result(plan, set(), started)
    assert base is not None  # narrowed by _why_not_fetchable
    allowance = Allowance(max_resources, max_total_bytes)
    allowance.take_resources(count_resources(prefetch or {}))
    allowance.take_bytes(received_bytes)
    http = pool_for(base, KEEP_ALIVE_PER_BASE)
    budget = max(deadline - time.monotonic(), 0.0)
    io_deadline = Deadline(deadline - min(WRAP_UP_S, budget / 10))
    fetcher = _Fetcher(
        http, base, access_token, io_deadline, max_pages, max_response_bytes, allowance
    )
    pool = CallPool(shared_pool())
    try:
        medications = _MedicationReads(pool, fetcher, medication_use_types)
        fetched = _fetch_all(plan, templates, patient_id, fetcher, deadline, medications)
        fetched |= medications.finish(plan, deadline)
    finally:
        pool.close()  # cancel what has not started; never wait for stragglers
        io_deadline.expire()  # also when the request's own deadline interrupts the wait
    return _result(plan, fetched, started)


def _run_until(
    futures: Collection[Future[Any]],
    fetcher: _Fetcher,
    deadline: float,
    on_done: Callable[[Future[Any]], set[Future[Any]]] | None = None,
) -> set[Future[Any]]:
    """Wait for `futures` (and those `on_done` adds as each one finishes) until the HTTP
    deadline, shut the sockets still in use (so blocked reads end and hand back what they have),
    then wait out the wrap-up time; returns the unfinished."""
    pending = set(futures)
    while pending and (remaining := fetcher.deadline.remaining()) > 0:
        done, pending = wait(pending, timeout=remaining, return_when=FIRST_COMPLETED)
        if on_done is not None:
            for future in done:
                pending |= on_done(future)
    if pending:
        fetcher.deadline.expire()
        while pending and (remaining := deadline - time.monotonic()) > 0:
            _, pending = wait(pending, timeout=remaining, return_when=FIRST_COMPLETED)
    return pending


def _resources_of(value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, Mapping):
        return []
    if value.get("resourceType") == "Bundle":
        return [e["resource"] for e in _entries(value)]
    return [value]


def _missing_medication_ids(values: Iterable[Any], use_types: Collection[str]) -> list[str]:
    """Ids of Medications that medication uses point at (`Medication/{id}`) but that are neither
    contained nor among the data: EHRs often send the drug only as such a reference, and without
    it a TKI course cannot be recognised."""
    resources = [r for value in values for r in _resources_of(value)]
    present = {str(r.get("id")) for r in resources if r.get("resourceType") == "Medication"}
    wanted: list[str] = []
    for resource in resources:
        if resource.get("resourceType") not in use_types:
            continue
        ref = resource.get("medicationReference")
        target = ref.get("reference") if isinstance(ref, Mapping) else None
        if not isinstance(target, str) or not target.startswith("Medication/"):
            continue
        med_id = target.split("/", 2)[1]
        if FHIR_ID.fullmatch(med_id) and med_id not in present and med_id not in wanted:
            wanted.append(med_id)
    return wanted[:MAX_MEDICATION_READS]


class _MedicationReads:
    """Reads of referenced Medications, started as soon as the references are known (prefetched
    data at once, a medication search as soon as it is answered) so they overlap the searches
    still running instead of adding a round trip after the slowest one."""

    def __init__(self, pool: CallPool, fetcher: _Fetcher, use_types: Collection[str]) -> None:
        self.pool = pool
        self.use_types = use_types
        self._fetcher = fetcher
        self._seen: list[Any] = []
        self._asked: dict[str, Future[Any]] = {}

    def ask(self, values: Collection[Any]) -> set[Future[Any]]:
        """Start reading the Medications that `values` (with the data seen before) point at and
        lack; returns the reads started."""
        self._seen += values
        wanted = _missing_medication_ids(self._seen, self.use_types)
        return {self._start(i) for i in wanted if i not in self._asked and self._room()}

    def _room(self) -> bool:
        return len(self._asked) < MAX_MEDICATION_READS

    def _start(self, med_id: str) -> Future[Any]:
        url = f"{self._fetcher.base}/Medication/{quote(med_id, safe='')}"
        max_bytes = min(MAX_MEDICATION_BYTES, self._fetcher.max_bytes)
        future = self.pool.submit(self._fetcher.read, url, "Medication", max_bytes)
        self._asked[med_id] = future
        return future

    def finish(self, plan: _Plan, deadline: float) -> set[str]:
        """Wait for the reads the final data needs (starting any not started yet) within what is
        left of the time budget; add the Medications and the problems in the data's order."""
        wanted = _missing_medication_ids(plan.values.values(), self.use_types)
        for med_id in wanted:
            if med_id not in self._asked and self._room():
                self._start(med_id)
        futures = {self._asked[i]: i for i in wanted if i in self._asked}
        if not futures:
            return set()
        pending = _run_until(futures, self._fetcher, deadline)
        found: list[dict[str, Any]] = []
        for future, med_id in futures.items():
            if future in pending:
                reason = "FHIR server did not answer within the time budget"
            else:
                try:
                    found.append(future.result())
                    continue
                except _Failed as failed:
                    reason = failed.args[0]
                except Exception as exc:  # a bug here must not turn into a 500
                    log.error("medication read failed", extra={"reason": type(exc).__name__})
                    reason = "could not read from the FHIR server"
            plan.problems.append(FetchProblem(MEDICATIONS_KEY, f"Medication/{med_id}: {reason}"))
        if not found:
            return set()
        plan.values[MEDICATIONS_KEY] = {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": r} for r in found],
        }
        return {MEDICATIONS_KEY}


def _fetch_all(
    plan: _Plan,
    templates: Mapping[str, str],
    patient_id: str,
    fetcher: _Fetcher,
    deadline: float,
    medications: _MedicationReads,
) -> set[str]:
    """Run every fetch in parallel, and the Medication reads as soon as their references are
    known; give up on whatever is unfinished at the deadline."""
    jobs = len(plan.to_fetch) + len(plan.to_continue)
    if jobs == 0:
        return set()
    base = fetcher.base
    pool = medications.pool
    futures: dict[Future[Any], str] = {}
    for key in plan.to_fetch:
        template = templates[key]
        url = f"{base}/{render(template, quote(patient_id, safe=''))}"
        expected = _expected_type(template)
        if expected == "Bundle":
            futures[pool.submit(fetcher.complete, None, url)] = key
        else:
            futures[pool.submit(lambda u, t: (fetcher.read(u, t), []), url, expected)] = key
    for key, nxt in plan.to_continue.items():
        first = plan.values[key]
        futures[pool.submit(fetcher.complete, first, urljoin(base + "/", nxt))] = key

    def on_done(future: Future[Any]) -> set[Future[Any]]:
        key = futures.get(future)
        if key is None or _searched_type(templates[key]) not in medications.use_types:
            return set()
        if future.cancelled() or future.exception() is not None:
            return set()
        return medications.ask([future.result()[0]])

    fetched: set[str] = set()
    extra = medications.ask(list(plan.values.values()))  # references the EHR sent
    pending = _run_until(set(futures) | extra, fetcher, deadline, on_done) & set(futures)
    for future, key in futures.items():
        if future in pending:
            plan.problems.append(
                FetchProblem(key, "FHIR server did not answer within the time budget")
            )
            continue
        try:
            value, problems = future.result()
        except _Failed as failed:
            plan.problems.append(FetchProblem(key, failed.args[0]))
            continue
        except Exception as exc:  # a bug here must not turn into a 500 for the whole hook
            log.error(
                "prefetch fetch failed unexpectedly",
                extra={"problems": [key], "reason": type(exc).__name__},
            )
            plan.problems.append(FetchProblem(key, "could not read from the FHIR server"))
            continue
        plan.values[key] = value
        fetched.add(key)
        plan.problems += [FetchProblem(key, reason) for reason in problems]
    return fetched


def _result(plan: _Plan, fetched: set[str], started: float) -> ResolvedData:
    problems = tuple(plan.problems)
    log.info(
        "prefetch resolved",
        extra={
            "prefetched": sorted(plan.prefetched),
            "fetched": sorted(fetched),
            "empty": sorted(plan.empty),
            "problems": [f"{p.key}: {p.reason}" for p in problems],
            "fetch_ms": round((time.monotonic() - started) * 1000, 1),
        },
    )
    return ResolvedData(
        values=plan.values,
        problems=problems,
        prefetched=frozenset(plan.prefetched),
        fetched=frozenset(fetched),
        empty=frozenset(plan.empty),
    )
