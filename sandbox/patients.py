"""The synthetic patients of the sandbox: their manifest, their transaction Bundles, and the
CDS Hooks prefetch an EHR would send for each, so demos and tests feed the service the same data.

Each patient is one FHIR R4 transaction Bundle (PUT per resource) in `patients/`; the manifest
says what the patient shows and which card categories the knowledge base leads us to expect.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any, NotRequired, TypedDict, cast

from fhir_mappings.prefetch_templates import PATIENT_KEY, PREFETCH_TEMPLATES

PATIENTS_DIR = Path(__file__).resolve().parent / "patients"
MANIFEST_PATH = PATIENTS_DIR / "manifest.json"


class ManifestEntry(TypedDict):
    id: str  # the Patient id (also the CDS Hooks context.patientId)
    file: str  # bundle file name inside PATIENTS_DIR
    title: str
    vignette: str  # 2–4 sentences of clinical story
    expected_categories: list[str]  # sorted card categories a KB-faithful service returns
    kb_rules: list[str]  # knowledge-base rule ids behind the expectation
    notes: str
    invalid_resources: NotRequired[list[str]]  # "Type/id" entries that are deliberately not R4
    #: prefetch keys the EHR leaves out for this patient (the service must fetch them, and here
    #: the fetch fails: the patient shows what unreadable data does, e.g. P6)
    prefetch_omit: NotRequired[list[str]]


def load_manifest() -> list[ManifestEntry]:
    return cast(list[ManifestEntry], json.loads(MANIFEST_PATH.read_text(encoding="utf-8")))


def manifest_entry(patient_id: str) -> ManifestEntry:
    for entry in load_manifest():
        if entry["id"] == patient_id:
            return entry
    raise KeyError(f"no synthetic patient {patient_id!r}")


#: The records are dated around when they were written. The service reports decision facts older
#: than 6 months as stale, so every date of a bundle is moved by whole days until its newest date
#: falls this many days before today: the patients stay current, intervals between dates are kept.
RECENT_DAYS = 14
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(T.*)?$")


def _dates(node: Any) -> list[dt.date]:
    if isinstance(node, dict):
        return [d for key, value in node.items() if key != "meta" for d in _dates(value)]
    if isinstance(node, list):
        return [d for value in node for d in _dates(value)]
    if isinstance(node, str) and (match := _DATE.match(node)):
        return [dt.date.fromisoformat(match.group(1))]
    return []


def _shifted(node: Any, delta: dt.timedelta) -> Any:
    if isinstance(node, dict):  # record metadata (meta.lastUpdated) stays as written
        return {k: v if k == "meta" else _shifted(v, delta) for k, v in node.items()}
    if isinstance(node, list):
        return [_shifted(value, delta) for value in node]
    if isinstance(node, str) and (match := _DATE.match(node)):
        day = dt.date.fromisoformat(match.group(1)) + delta
        return day.isoformat() + (match.group(2) or "")
    return node


def shift_dates(bundle: dict[str, Any], today: dt.date | None = None) -> dict[str, Any]:
    """A copy of `bundle` whose newest clinical date is RECENT_DAYS before `today` (default:
    now). Partial dates (`2019`, `2019-05`) and `meta` are left as written."""
    dates = _dates(bundle)
    if not dates:
        return bundle
    target = (today or dt.date.today()) - dt.timedelta(days=RECENT_DAYS)
    shifted: dict[str, Any] = _shifted(bundle, target - max(dates))
    return shifted


def load_bundle(patient_id: str, *, today: dt.date | None = None) -> dict[str, Any]:
    """The transaction Bundle of one synthetic patient, dated relative to `today` (see
    `shift_dates`); `raw_bundle` gives the file as written."""
    return shift_dates(raw_bundle(patient_id), today)


def raw_bundle(patient_id: str) -> dict[str, Any]:
    """The transaction Bundle of one synthetic patient exactly as stored."""
    path = PATIENTS_DIR / manifest_entry(patient_id)["file"]
    return cast(dict[str, Any], json.loads(path.read_text(encoding="utf-8")))


def resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle.get("entry", []) if isinstance(e.get("resource"), dict)]


def _template_type(template: str) -> str:
    """The resource type a prefetch template reads or searches ("Condition?patient=…")."""
    return template.split("?", 1)[0].split("/", 1)[0]


def prefetch_for(bundle: dict[str, Any], base_url: str | None = None) -> dict[str, Any]:
    """The prefetch an EHR would send for this patient: one key per `PREFETCH_TEMPLATES` entry,
    the Patient resource for the read, a searchset Bundle for each search (possibly empty).
    `base_url` gives entries absolute fullUrls; without it the transaction's fullUrls are kept."""
    by_type: dict[str, list[dict[str, Any]]] = {}
    for entry in bundle.get("entry", []):
        resource = entry.get("resource")
        if isinstance(resource, dict):
            by_type.setdefault(str(resource.get("resourceType")), []).append(entry)

    prefetch: dict[str, Any] = {}
    for key, template in PREFETCH_TEMPLATES.items():
        entries = by_type.get(_template_type(template), [])
        if key == PATIENT_KEY:
            prefetch[key] = entries[0]["resource"] if entries else None
            continue
        prefetch[key] = {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(entries),
            "entry": [
                {
                    "fullUrl": _full_url(entry, base_url),
                    "resource": entry["resource"],
                    "search": {"mode": "match"},
                }
                for entry in entries
            ],
        }
    return prefetch


def _full_url(entry: dict[str, Any], base_url: str | None) -> str:
    resource = entry["resource"]
    if base_url:
        return f"{base_url.rstrip('/')}/{resource['resourceType']}/{resource['id']}"
    return str(entry.get("fullUrl") or f"{resource['resourceType']}/{resource['id']}")
