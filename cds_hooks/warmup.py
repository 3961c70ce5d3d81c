"""Prime a worker before its first request: import the FHIR models and run one synthetic case
through mapping, logic and card rendering, so no real call pays the lazy-loading cost.

Server entry points call `prepare_process` (gunicorn in its `post_fork` hook, the test and sandbox
servers before they serve); `create_app` itself only wires the app."""

from __future__ import annotations

import gc
import logging
import os
import time
from typing import Any

from cds_hooks.cards import render_cards
from cds_hooks.config import Settings
from cds_hooks.logs import configure_logging
from cds_hooks.malloc_tuning import return_large_buffers_to_os
from fhir_mappings import build_case
from fhir_mappings.r4b import warm_up as warm_up_models
from logic.engine import evaluate

_SAMPLE: list[dict[str, Any]] = [
    {
        "resourceType": "Patient",
        "id": "warm-up",
        "birthDate": "1960-01-01",
    },
    {
        "resourceType": "Condition",
        "id": "warm-up-gist",
        "subject": {"reference": "Patient/warm-up"},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "420120006"}]},
        "bodySite": [{"coding": [{"system": "http://snomed.info/sct", "code": "69695003"}]}],
        "onsetDateTime": "2025-01-01",
    },
    {
        "resourceType": "Observation",
        "id": "warm-up-size",
        "status": "final",
        "subject": {"reference": "Patient/warm-up"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "33728-7"}]},
        "effectiveDateTime": "2025-01-01",
        "valueQuantity": {
            "value": 4.5,
            "unit": "cm",
            "system": "http://unitsofmeasure.org",
            "code": "cm",
        },
    },
]


def warm_up(public_base_url: str) -> None:
    warm_up_models()
    case = build_case(_SAMPLE, patient_id="warm-up")
    render_cards(evaluate(case), case=case, public_base_url=public_base_url)


log = logging.getLogger("gist_cds.warmup")


def prepare_process(settings: Settings) -> None:
    """JSON logging at the configured level, large buffers returned to the OS after use, then
    the warm-up: once per serving process."""
    configure_logging(settings.log_level)
    fixed_threshold = return_large_buffers_to_os()
    started = time.perf_counter()
    warm_up(settings.public_base_url)
    log.info(
        "process warmed up",
        extra={
            "event": "warm-up",
            "pid": os.getpid(),
            "latency_ms": round((time.perf_counter() - started) * 1000, 1),
            "malloc_mmap_threshold_fixed": fixed_threshold,
        },
    )


def freeze_startup_objects() -> None:
    """Move everything alive now (modules, FHIR model classes and schemas, the knowledge base,
    the app) out of the cyclic garbage collector's reach: every full collection would otherwise
    walk them again. Call once per serving process, after the app is built. A 10,000-Observation
    request creates ~370,000 containers and so triggers full collections: its CPU time fell by
    about 30 % (docs/performance.md). Garbage made later is collected as before."""
    gc.collect()
    gc.freeze()
    log.info(
        "start-up objects frozen",
        extra={"event": "gc-frozen", "pid": os.getpid(), "objects": gc.get_freeze_count()},
    )
