"""A proposed replacement for the JSON nesting-depth check, measured against the current one.

    .venv/bin/python -m benchmarks.depth_scan [--repeats 20]

`cds_hooks.validation.json_depth_exceeds` pushes every value of the parsed body, leaves too,
on a stack of (value, depth) tuples. The walk below gives the same answer level by level inside
list comprehensions, looking at each leaf once. Not wired into the service here:
cds_hooks/validation.py is not this branch's to change (docs/performance.md proposes it).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

from benchmarks import synthetic
from cds_hooks.validation import json_depth_exceeds

_CONTAINERS = (dict, list)


def depth_exceeds(value: Any, limit: int) -> bool:
    """True when containers in `value` nest deeper than `limit` (root = depth 1).

    Level by level: each level is one list comprehension over the containers of the level
    above, so leaves (most of a FHIR body) are looked at once and never pushed on a stack."""
    level: list[Any] = [value] if isinstance(value, _CONTAINERS) else []
    depth = 1
    while level:
        if depth > limit:
            return True
        level = [
            child
            for node in level
            for child in (node.values() if isinstance(node, dict) else node)
            if isinstance(child, _CONTAINERS)
        ]
        depth += 1
    return False


def _time_ms(repeats: int, call: object) -> float:
    assert callable(call)
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    typical = next(synthetic.distinct_bodies(1, seed=5))
    huge = json.dumps(
        synthetic.request_body(synthetic.patient_resources(1, observations=10_000))
    ).encode()
    print("| body | depth check now ms | level-by-level ms | json.loads ms |")
    print("|---|---|---|---|")
    for name, raw in (("typical", typical), ("10,000 Observations", huge)):
        parsed = json.loads(raw)
        assert depth_exceeds(parsed, 64) == json_depth_exceeds(parsed, 64)
        walk = _time_ms(args.repeats, lambda: json_depth_exceeds(parsed, 64))  # noqa: B023
        scan = _time_ms(args.repeats, lambda: depth_exceeds(parsed, 64))  # noqa: B023
        parse = _time_ms(args.repeats, lambda: json.loads(raw))  # noqa: B023
        print(f"| {name} ({len(raw) / 1024:,.0f} KB) | {walk:.2f} | {scan:.2f} | {parse:.2f} |")


if __name__ == "__main__":
    main()
