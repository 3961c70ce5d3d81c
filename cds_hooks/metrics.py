"""Prometheus metrics (`GET /metrics`), in prometheus_client's multiprocess mode under gunicorn.

`gist-cds serve` points PROMETHEUS_MULTIPROC_DIR at a fresh directory before any worker starts,
so every worker writes its samples there and `/metrics` in any worker reports the sum over all
of them; a worker that exits is marked dead (its live gauges dropped, its counts kept). Without
that variable (tests, `flask run`) the process's own registry is served.

Label values are bounded: services from the registry, rule ids and categories from the
knowledge base, reasons from fixed lists — never a value a client chose.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Collection, Iterable, Mapping

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

HOOK_CALLS = Counter(
    "gist_cds_hook_calls_total",
    "CDS service calls answered, by service and HTTP status.",
    ["service", "status"],
)
HOOK_LATENCY = Histogram(
    "gist_cds_hook_latency_seconds",
    "Time to answer a CDS service call (any status), by service.",
    ["service"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CARDS = Counter(
    "gist_cds_cards_total",
    "Cards returned, by card category and rule id.",
    ["category", "rule"],
)
FETCH_OUTCOMES = Counter(
    "gist_cds_fetch_outcomes_total",
    "Prefetch keys per call by how their data was obtained: prefetched, fetched, empty "
    "(declared null by the EHR) or failed (named on a data-needed card).",
    ["kind"],
)
JWT_REJECTIONS = Counter(
    "gist_cds_jwt_rejections_total",
    "Requests refused with 401, by reason class.",
    ["reason"],
)
FEEDBACK = Counter(
    "gist_cds_feedback_items_total",
    "Feedback items received, by card outcome and result (stored, duplicate, or the reason it "
    "was refused: unknown-card, conflict, rate-limited).",
    ["outcome", "result"],
)

#: Reason classes of JWT rejections, matched in order against AuthError reasons (safe texts).
_REJECTION_CLASSES: tuple[tuple[str, str], ...] = (
    ("missing Authorization", "missing"),
    ("replayed jti", "replay"),
    ("jti is not", "replay"),
    ("untrusted iss", "untrusted-issuer"),
    ("token has no iss", "untrusted-issuer"),
    ("unknown kid", "key"),
    ("kid has no key", "key"),
    ("JWKS unavailable", "key"),
    ("jku not allowlisted", "key"),
    ("bad signature", "signature"),
    ("invalid token", "signature"),
    ("aud ", "audience"),
    ("expired", "time"),
    ("not yet valid", "time"),
    ("iat is in the future", "time"),
    ("lifetime", "time"),
    ("exp/iat", "time"),
    ("token lacks", "missing-claim"),
)


def rejection_class(reason: str) -> str:
    for fragment, name in _REJECTION_CLASSES:
        if fragment in reason:
            return name
    return "malformed"


def allowed(remote_addr: str | None, cidrs: Iterable[str]) -> bool:
    """Is this peer address inside one of the CIDRs of GIST_CDS_METRICS_ALLOW?"""
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in ipaddress.ip_network(cidr) for cidr in cidrs)


def exposition() -> tuple[bytes, str]:
    """The text exposition: summed over every worker when running under `gist-cds serve`."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST


def worker_exited(pid: int) -> None:
    """gunicorn child_exit hook: drop the dead worker's live-only samples."""
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


def count_call(
    *,
    categories_and_rules: Iterable[tuple[str, str]],
    key_sources: Mapping[str, str],
) -> None:
    """Cards and prefetch-key outcomes of one answered call."""
    for category, rule in categories_and_rules:
        CARDS.labels(category=category, rule=rule).inc()
    for kind in key_sources.values():
        FETCH_OUTCOMES.labels(kind=kind).inc()


def key_sources(
    *,
    prefetched: Collection[str],
    fetched: Collection[str],
    empty: Collection[str],
    failed: Collection[str],
) -> dict[str, str]:
    """How each prefetch key's data was obtained; a failure wins, then a fetch."""
    sources: dict[str, str] = {}
    for kind, keys in (
        ("prefetched", prefetched),
        ("empty", empty),
        ("fetched", fetched),
        ("failed", failed),
    ):
        sources.update(dict.fromkeys(keys, kind))
    return sources
