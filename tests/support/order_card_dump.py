"""Every order-alert card the order checks make for a fixed grid of patients × drafted orders.

The order-hook counterpart of `card_dump`: restructuring the order checks must not change a
card. Each patient gets the same order-sign bundle of drafts (every TKI the checks know, at the
regimen dose, above and below it, with an unreadable dose, plus a non-TKI order), read with the
draft reader and rendered by the order-card renderer; the random card and suggestion uuids are
blanked.

The golden test (tests/orders/test_order_golden_cards.py) compares the sandbox patients and the
named logic scenarios, dated at GOLDEN_TODAY, with `tests/fixtures/golden_order_cards.json`:
one line per card (order, rule, indicator, summary, suggestion) ending in a digest of the whole
rendered card, so any change to any field shows, and the readable part says which card changed.
`--all` dumps the full cards instead and adds the FHIR scenarios, the order-hook test patients
(dated relative to today) and the derandomized generated cases, for same-day before/after diffs
of a refactoring branch:

    python -m tests.support.order_card_dump --all > /tmp/orders-before.json
    python -m tests.support.order_card_dump --all > /tmp/orders-after.json
    diff /tmp/orders-before.json /tmp/orders-after.json

After an intended card change, `--write` rewrites the golden file; review its diff like code.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cds_hooks.order_pipeline import order_cards
from fhir_mappings import build_case
from fhir_mappings.draft_orders import read_draft_orders
from logic.case import GistCase
from tests.support.card_dump import golden_cases, same_day_cases

GOLDEN_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "golden_order_cards.json"
BASE_URL = "https://cds.example.org"

Json = dict[str, Any]


def _named(text: str) -> Json:
    return {"text": text}


def drafts() -> list[Json]:
    """The drafted orders every patient is checked with (ids say what each one is)."""
    from tests.scenarios.test_order_hooks import GLEEVEC_400, SUTENT_50, draft

    regorafenib = _named("regorafenib 40 MG Oral Tablet")
    ripretinib = _named("ripretinib 50 MG Oral Tablet")
    avapritinib = _named("avapritinib 300 MG Oral Tablet")
    return [
        draft("imatinib-400", GLEEVEC_400, 1),
        draft("imatinib-800", GLEEVEC_400, 1, per_day=2),
        draft("imatinib-1200", GLEEVEC_400, 3),
        draft("imatinib-qd-pill", _named("imatinib 400 MG Oral Tablet"), 1, "{pill}", 1, "QD"),
        draft("imatinib-no-strength", _named("imatinib oral tablet"), 2),
        draft("imatinib-no-dose", GLEEVEC_400, None),
        draft("sunitinib-50", SUTENT_50, 1, "{capsule}"),
        draft("sunitinib-100", SUTENT_50, 2, "{capsule}"),
        draft("sunitinib-no-dose", SUTENT_50, None),
        draft("regorafenib-160", regorafenib, 4),
        draft("regorafenib-200", regorafenib, 5),
        draft("regorafenib-120", regorafenib, 3),
        draft("regorafenib-no-dose", regorafenib, None),
        draft("ripretinib-150", ripretinib, 3),
        draft("ripretinib-100", ripretinib, 2),
        draft("ripretinib-200", ripretinib, 4),
        draft("ripretinib-no-dose", ripretinib, None),
        draft("avapritinib-300", avapritinib, 1),
        draft("avapritinib-600", avapritinib, 2),
        draft("avapritinib-no-dose", avapritinib, None),
        draft("sorafenib", _named("sorafenib 200 MG Oral Tablet"), 2, per_day=2),
        draft("nilotinib", _named("nilotinib 200 MG Oral Capsule"), 2, "{capsule}", 2),
        draft("pazopanib", _named("pazopanib 200 MG Oral Tablet"), 4),
        draft("dasatinib", _named("dasatinib 70 MG Oral Tablet"), 1, per_day=2),
        draft("ondansetron", _named("ondansetron 8 MG Oral Tablet"), 1),
    ]


def _blank_uuids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "-" if k == "uuid" else _blank_uuids(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_blank_uuids(v) for v in value]
    return value


def order_cards_of(case: GistCase) -> list[Any]:
    bundle = {"resourceType": "Bundle", "entry": [{"resource": d} for d in drafts()]}
    cards, _ = order_cards(case, read_draft_orders(bundle, None), BASE_URL)
    return [_blank_uuids(card) for card in cards]


def _order_test_patients() -> Mapping[str, Callable[[], list[Json]]]:
    """The patients of tests/scenarios/test_order_hooks.py (their FHIR, dated from today)."""
    from tests.fhir_mappings import fhir as f
    from tests.scenarios import test_order_hooks as t
    from tests.scenarios.fhir_cases import IMATINIB, _metastatic, _resected, ago

    sdh = f.gist_obs("sdh", "sdh-deficient", ago(30), valueBoolean=True)
    abscess = f.condition(
        "abscess", f.cc(f.ICD10, "K65.1", "Peritoneal abscess"), onsetDateTime=ago(2)
    )
    active = f.med_statement("ima", IMATINIB, ago(300), status="active")
    return {
        "metastatic-d842v": lambda: _metastatic(t.D842V),
        "metastatic-kit11": lambda: _metastatic(t.KIT_11),
        "metastatic-kit9": lambda: _metastatic(t.KIT_9),
        "metastatic-genotype-unknown": lambda: _metastatic(),
        "metastatic-after-imatinib": t._after_imatinib,
        "metastatic-on-imatinib": lambda: _metastatic(t.KIT_11, active),
        "metastatic-emergency": lambda: _metastatic(t.KIT_11, abscess),
        "resected-high-d842v": lambda: [*_resected(8.0, 10), t.D842V],
        "resected-high-sdh": lambda: [*_resected(8.0, 10), sdh],
        "resected-high-wild-type": lambda: [
            *_resected(8.0, 10),
            f.kit(present=False),
            f.pdgfra(present=False),
        ],
        "resected-low-kit11": lambda: [*_resected(3.0, 2), t.KIT_11],
        "resected-high-kit11": lambda: [*_resected(8.0, 10), t.KIT_11],
        "marginal-d842v": lambda: t._marginal(t.D842V),
        "marginal-sdh": lambda: t._marginal(sdh),
    }


def order_test_cases() -> dict[str, GistCase]:
    """The patients of tests/scenarios/test_order_hooks.py as cases (dated from today)."""
    from tests.fhir_mappings.fhir import PATIENT

    return {
        f"order-test/{name}": build_case(resources(), patient_id=PATIENT)
        for name, resources in _order_test_patients().items()
    }


def card_line(card: Mapping[str, Any]) -> str:
    """One card as a reviewable line: the order it acts on, rule, indicator, summary and
    suggestion, then a digest of the whole card (canonical JSON)."""
    canonical = json.dumps(card, sort_keys=True, ensure_ascii=False).encode()
    digest = hashlib.sha256(canonical).hexdigest()[:16]
    action = card["suggestions"][0]["actions"][0] if card.get("suggestions") else {}
    order = action.get("resourceId") or action.get("resource", {}).get("id", "?")
    ext = card["extension"]["org.gist-cds"]
    label = card["suggestions"][0]["label"] if card.get("suggestions") else "-"
    summary = card["summary"]
    return f"{order} | {ext['ruleId']} {card['indicator']} | {summary} | {label} | {digest}"


def golden() -> dict[str, list[Any]]:
    return {
        name: [card_line(card) for card in order_cards_of(case)]
        for name, case in golden_cases().items()
    }


def render(dump: Mapping[str, list[Any]]) -> str:
    return json.dumps(dump, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    if "--write" in argv:
        GOLDEN_FILE.write_text(render(golden()), encoding="utf-8")
        print(f"wrote {GOLDEN_FILE}")
        return 0
    if "--all" in argv:
        cases = {**same_day_cases(), **order_test_cases()}
        dump = {name: order_cards_of(case) for name, case in cases.items()}
    else:
        dump = golden()
    sys.stdout.write(render(dump))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
