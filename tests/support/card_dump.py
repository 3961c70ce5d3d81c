"""Every Recommendation the engine makes for a fixed set of inputs, as canonical JSON.

Restructuring the rules must not change a single card. The golden test
(tests/logic/test_golden_cards.py) compares the sandbox patients and the named logic scenarios,
both dated at GOLDEN_TODAY, with `tests/fixtures/golden_cards.json`. For a same-day comparison
of a refactoring branch against main, `--all` adds the FHIR scenarios (dated relative to today)
and a fixed, derandomized sample of the property tests' generated cases:

    python -m tests.support.card_dump --all > /tmp/before.json   # on main
    python -m tests.support.card_dump --all > /tmp/after.json    # on the branch
    diff /tmp/before.json /tmp/after.json

After an intended card change, rewrite the golden file with `python -m tests.support.card_dump
--write` and review its diff like code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import sys
from pathlib import Path
from typing import Any

from fhir_mappings import build_case
from logic.case import GistCase
from logic.engine import evaluate
from sandbox.patients import load_bundle, load_manifest, prefetch_for

GOLDEN_TODAY = dt.date(2026, 12, 3)
GOLDEN_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "golden_cards.json"

#: Generated cases in the `--all` dump (derandomized: the same cases on every run).
GENERATED_CASES = 400


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple, frozenset, set)):
        items = [_plain(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def cards_of(case: GistCase) -> list[Any]:
    return [_plain(r) for r in evaluate(case)]


#: Named cases: (input name, case); the dumps map them to their cards.
Cases = dict[str, GistCase]


def sandbox_cases(today: dt.date, prefix: str = "sandbox") -> Cases:
    """The sandbox patients, each from the prefetch an EHR would send (omitted keys left out)."""
    out: Cases = {}
    for entry in load_manifest():
        prefetch = prefetch_for(load_bundle(entry["id"], today=today))
        for key in entry.get("prefetch_omit", []):
            prefetch.pop(key, None)
        case = build_case(list(prefetch.values()), patient_id=entry["id"], today=today)
        out[f"{prefix}/{entry['id']}"] = case
    return out


def logic_scenario_cases() -> Cases:
    from tests.logic.scenarios import SCENARIOS

    return {f"logic/{name}": case for name, (case, _) in SCENARIOS.items()}


def fhir_scenario_cases() -> Cases:
    from tests.fhir_mappings.fhir import PATIENT
    from tests.scenarios.fhir_cases import SCENARIOS

    return {
        f"fhir/{name}": build_case(scenario.resources(), patient_id=PATIENT)
        for name, scenario in SCENARIOS.items()
    }


def generated_cases() -> Cases:
    """The property tests' case generator, derandomized (same hypothesis version, same cases)."""
    from hypothesis import HealthCheck, given, settings

    from tests.logic.test_properties import cases

    found: list[GistCase] = []

    @settings(
        max_examples=GENERATED_CASES,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(cases())
    def collect(case: GistCase) -> None:
        found.append(case)

    collect()
    return {f"generated/{i:04d}": case for i, case in enumerate(found)}


def golden_cases() -> Cases:
    """What the golden files pin: the sandbox patients and the logic scenarios, at GOLDEN_TODAY."""
    return {**sandbox_cases(GOLDEN_TODAY), **logic_scenario_cases()}


def same_day_cases() -> Cases:
    """`--all`: the golden cases, the sandbox dated today, the FHIR scenarios, generated cases."""
    return {
        **golden_cases(),
        **sandbox_cases(dt.date.today(), "sandbox-today"),
        **fhir_scenario_cases(),
        **generated_cases(),
    }


def golden() -> dict[str, list[Any]]:
    return {name: cards_of(case) for name, case in golden_cases().items()}


def render(dump: dict[str, list[Any]]) -> str:
    return json.dumps(dump, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    if "--write" in argv:
        GOLDEN_FILE.write_text(render(golden()), encoding="utf-8")
        print(f"wrote {GOLDEN_FILE}")
        return 0
    cases = same_day_cases() if "--all" in argv else golden_cases()
    sys.stdout.write(render({name: cards_of(case) for name, case in cases.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
