"""Hypothesis profiles, chosen by GIST_CDS_TEST_HYPOTHESIS_PROFILE (loaded by the root conftest):
`dev` (the default: quick local runs) and `ci` (`make test` and .ci/run: the thorough counts).

Tests never hard-code an example count: a test whose examples cost more (an HTTP round trip) or
less than usual asks for a share of the profile's count with `examples(share)`."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE_ENV = "GIST_CDS_TEST_HYPOTHESIS_PROFILE"
PROFILES = {"dev": 100, "ci": 300}  # profile -> max_examples of a test of ordinary cost
MIN_EXAMPLES = 10


def register_profiles() -> str:
    """Register every profile and load the one the environment names; returns its name."""
    for name, count in PROFILES.items():
        settings.register_profile(
            name,
            max_examples=count,
            deadline=None,  # no timing assertions: the machine is shared and loaded
            suppress_health_check=[HealthCheck.too_slow],
        )
    chosen = os.environ.get(PROFILE_ENV, "dev")
    if chosen not in PROFILES:
        raise ValueError(f"{PROFILE_ENV}={chosen!r}: use one of {', '.join(PROFILES)}")
    settings.load_profile(chosen)
    return chosen


def examples(share: float = 1.0) -> int:
    """`share` of the loaded profile's example count (at least MIN_EXAMPLES)."""
    return max(MIN_EXAMPLES, round(settings().max_examples * share))
