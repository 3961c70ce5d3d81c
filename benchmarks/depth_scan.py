"""The service's JSON nesting-depth check (level by level) against the stack walk it replaced.

    .venv/bin/python -m benchmarks.depth_scan [--repeats 20]

The old check pushed every value of the parsed body, leaves too, on a stack of (value, depth)
tuples; `cds_hooks.validation.json_depth_exceeds` now walks level by level inside list
comprehensions and looks at each leaf once. Kept to show what the change bought.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

from benchmarks import synthetic
from cds_hooks.validation import json_depth_exceeds


def stack_walk_exceeds(value: Any, limit: int) -> bool:
    """The check the service used before (a stack of every value, leaves included)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > limit:
                return True
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
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
    print("| body | old stack walk ms | level by level (service) ms | json.loads ms |")
    print("|---|---|---|---|")
    for name, raw in (("typical", typical), ("10,000 Observations", huge)):
        parsed = json.loads(raw)
        assert stack_walk_exceeds(parsed, 64) == json_depth_exceeds(parsed, 64)
        walk = _time_ms(args.repeats, lambda: stack_walk_exceeds(parsed, 64))  # noqa: B023
        scan = _time_ms(args.repeats, lambda: json_depth_exceeds(parsed, 64))  # noqa: B023
        parse = _time_ms(args.repeats, lambda: json.loads(raw))  # noqa: B023
        print(f"| {name} ({len(raw) / 1024:,.0f} KB) | {walk:.2f} | {scan:.2f} | {parse:.2f} |")


if __name__ == "__main__":
    main()
