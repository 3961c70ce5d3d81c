"""Run a (mutated) sandbox patient through the real service — the Flask app's HTTP interface
via its test client, demo mode — and reduce the answer to what a clinician would see change:
the set of (category, ruleId) of the cards, and the text of the data-needed card."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient

from sandbox.patients import load_bundle, prefetch_for

Json = dict[str, Any]
Signature = frozenset[tuple[str, str]]
DATA_NEEDED = "data-needed"


@dataclass(frozen=True)
class Answer:
    cards: list[Json]

    @property
    def signature(self) -> Signature:
        return frozenset(
            (c["extension"]["org.gist-cds"]["category"], c["extension"]["org.gist-cds"]["ruleId"])
            for c in self.cards
        )

    @property
    def categories(self) -> frozenset[str]:
        return frozenset(category for category, _ in self.signature)

    @property
    def text(self) -> str:
        """Everything the cards say (summary, detail, extension), lower-case, for 'is it named'."""
        return " ".join(
            f"{c.get('summary', '')} {c.get('detail', '')} {c.get('extension', {})}"
            for c in self.cards
        ).lower()

    @property
    def data_needed_text(self) -> str:
        return " ".join(
            f"{c.get('summary', '')} {c.get('detail', '')} {c.get('extension', {})}"
            for c in self.cards
            if c["extension"]["org.gist-cds"]["category"] == DATA_NEEDED
        ).lower()


def call(client: FlaskClient, bundle: Json, patient_id: str) -> Answer:
    body = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/example", "patientId": patient_id},
        "prefetch": prefetch_for(bundle),
    }
    response = client.post("/cds-services/gist-treatment", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return Answer(response.get_json()["cards"])


def bundle_of(patient_id: str) -> Json:
    return copy.deepcopy(load_bundle(patient_id))


def resources(bundle: Json, resource_type: str | None = None) -> Iterator[Json]:
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource_type is None or resource["resourceType"] == resource_type:
            yield resource


def first(bundle: Json, resource_type: str, test: Callable[[Json], bool] = lambda r: True) -> Json:
    return next(r for r in resources(bundle, resource_type) if test(r))


def add(bundle: Json, resource: Json) -> None:
    bundle["entry"].append(
        {
            "fullUrl": f"{resource['resourceType']}/{resource['id']}",
            "resource": resource,
            "request": {"method": "PUT", "url": f"{resource['resourceType']}/{resource['id']}"},
        }
    )


def remove(bundle: Json, test: Callable[[Json], bool]) -> None:
    bundle["entry"] = [e for e in bundle["entry"] if not test(e["resource"])]
