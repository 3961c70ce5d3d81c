"""Latest-wins selection with conflict detection (input profile, general rules).

Several observations of one fact: the one with the latest clinical date wins; two sources on that
same date that disagree make the fact CONFLICTING (both values kept, the rules will not guess).
Ordering is by value and source, never by input order, so shuffled input gives the same case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Generic, TypeVar

from logic.case import Fact, Provenance

T = TypeVar("T")

_UNDATED = dt.date.min


@dataclass(frozen=True, slots=True)
class Candidate(Generic[T]):
    """One value of a fact read from one resource."""

    value: T
    source: Provenance
    #: Which of two same-day results wins (input profile, "Result status"): higher first. For
    #: Observations (status rank, issued instant); equal ranks that disagree are a conflict.
    rank: tuple[int, float] = (0, 0.0)

    @property
    def day(self) -> dt.date:
        return self.source.date or _UNDATED


def source_key(p: Provenance) -> tuple[str, str, dt.date]:
    return (p.resource_type, p.resource_id or "", p.date or _UNDATED)


def sort_sources(sources: Sequence[Provenance]) -> tuple[Provenance, ...]:
    return tuple(sorted(set(sources), key=source_key))


def latest(candidates: Sequence[Candidate[T]], missing: str) -> Fact[T]:
    """The latest value, CONFLICTING when same-day sources disagree, UNKNOWN(`missing`) if none."""
    if not candidates:
        return Fact.unknown(missing)
    last_day = max(c.day for c in candidates)
    newest = [c for c in candidates if c.day == last_day]
    best = max(c.rank for c in newest)
    newest = [c for c in newest if c.rank == best]  # amended / later issued / final wins
    values = sorted({c.value for c in newest}, key=repr)
    sources = sort_sources([c.source for c in newest])
    when = "undated sources" if last_day == _UNDATED else f"sources dated {last_day.isoformat()}"
    if len(values) > 1:
        listed = ", ".join(
            f"{_show(c.value)} ({c.source.label()})" for c in sorted(newest, key=_cand_key)
        )
        return Fact.conflicting(tuple(values), sources, f"{when} disagree: {listed}")
    older = len(candidates) - len(newest)
    note = f"latest of {len(candidates)} values" if older else None
    return Fact.known(values[0], *sources, note=note)


def _cand_key(c: Candidate[T]) -> tuple[str, tuple[str, str, dt.date]]:
    return (repr(c.value), source_key(c.source))


def _show(value: object) -> str:
    return str(value.value) if isinstance(value, Enum) else str(value)
