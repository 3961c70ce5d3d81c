"""The Hypothesis profile comes from the environment, and example counts scale with it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

from tests.support.hypothesis_profiles import MIN_EXAMPLES, PROFILE_ENV, PROFILES, examples

ROOT = Path(__file__).resolve().parents[1]


def test_the_loaded_profile_is_the_one_the_environment_names() -> None:
    chosen = os.environ.get(PROFILE_ENV, "dev")
    assert settings().max_examples == PROFILES[chosen]
    assert settings().deadline is None


def test_examples_are_a_share_of_the_profile() -> None:
    assert examples() == settings().max_examples
    assert examples(0.5) == round(settings().max_examples / 2)
    assert examples(0.0001) == MIN_EXAMPLES


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_each_profile_is_selectable(profile: str) -> None:
    code = (
        "from tests.support.hypothesis_profiles import register_profiles, examples; "
        "print(register_profiles(), examples())"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=os.environ | {PROFILE_ENV: profile},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.split() == [profile, str(PROFILES[profile])]


def test_an_unknown_profile_is_refused() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from tests.support.hypothesis_profiles import register_profiles; register_profiles()",
        ],
        cwd=ROOT,
        env=os.environ | {PROFILE_ENV: "quick"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "use one of dev, ci" in done.stderr
