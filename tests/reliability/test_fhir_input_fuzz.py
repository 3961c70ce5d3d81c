"""Generated prefetch payloads through the whole HTTP path of the live service (auth on).

Valid mCODE-shaped patients (GIST Condition, tumour size, mitotic count, KIT/PDGFRA variants,
TKI MedicationStatements, resection) and mutated ones: wrong JSON types, missing members,
unknown resourceTypes, huge strings, deep nesting up to and past the depth limit, arbitrary
Unicode, numbers as strings, dates without zones, nulls, arrays where objects go. The expected
status comes from the request alone (depth over the limit or a non-object prefetch value → 400,
an unusable `conditions` Bundle with nowhere to fetch from → 412, otherwise 200); a 5xx never.
Every 200 is a schema-valid CDS Hooks response, and when the GIST Condition itself was broken
the data-needed card names it.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from cds_hooks.validation import schema_errors
from tests.fhir_mappings import fhir as F
from tests.reliability.conftest import SecretLedger
from tests.support.live import LiveService, hook_request

SERVICE = "cds-services/gist-treatment"
MAX_DEPTH = 64  # Settings.max_json_depth default
MIN_PAYLOADS = 1000
GENERAL_EXAMPLES = 1200
BROKEN_GIST_EXAMPLES = 300
KEYS = ("conditions", "observations", "medicationStatements", "procedures")
Json = dict[str, Any]
sent: Counter[str] = Counter()

FAMILY = ["Quillfeather", "Okonkwo-Brandt", "Sørensen", "Nguyễn", "Dąbrowska", "O'Malley"]
GIVEN = ["Zebedee", "Aurélie", "Jürgen", "Siobhán", "Mei-Ling", "Bartholomew"]
SITES = ["69695003", "38848004", "21306003", "34516001", "71854001", "34402009", "32849002"]
DATES = ["2021-03-04", "2021-03-04T10:11:12", "2021-03-04T10:11:12+02:00", "2021-03", "2021"]
DRUGS = [("282388", "imatinib"), ("357977", "sunitinib"), ("1312397", "regorafenib")]


# --- valid, mCODE-shaped patients ----------------------------------------------------------


@st.composite
def patients(draw: st.DrawFn) -> tuple[str, Json, dict[str, list[Json]]]:
    """(patient id, Patient, resources per prefetch key) of one plausible GIST patient."""
    pid = "pt-" + uuid.UUID(int=draw(st.integers(0, 2**128 - 1))).hex[:20]
    family = f"{draw(st.sampled_from(FAMILY))}-{pid[3:11]}"  # distinctive: searched in the logs
    name = {"family": family, "given": [draw(st.sampled_from(GIVEN))]}
    patient = F.patient(pid, name=[name], birthDate=draw(st.sampled_from(["1950", "1970-02-03"])))
    date = st.sampled_from(DATES)
    gist = F.gist(
        "gist-1",
        bodySite=[F.cc(F.SNOMED, draw(st.sampled_from(SITES)))],
        onsetDateTime=draw(date),
    )
    observations: list[Json] = []
    if draw(st.booleans()):
        value = draw(st.one_of(st.floats(0.1, 40), st.integers(1, 400)))
        observations.append(F.size("size-1", value, draw(st.sampled_from(["cm", "mm"]))))
    if draw(st.booleans()):
        unit = draw(st.sampled_from(["/5.mm2", "/50.[HPF]", "/10.[HPF]"]))
        observations.append(F.mitoses("mit-1", draw(st.integers(0, 60)), unit))
    if draw(st.booleans()):
        hgvs = draw(st.sampled_from(["p.Trp557_Lys558del", "p.Asp842Val", "p.Ala502_Tyr503dup"]))
        gene = draw(st.sampled_from([F.kit, F.pdgfra]))
        observations.append(gene(draw(st.booleans()), hgvs))
    medications: list[Json] = []
    for index in range(draw(st.integers(0, 2))):
        code, display = draw(st.sampled_from(DRUGS))
        medications.append(
            F.med_statement(f"med-{index}", F.rx(code, display), draw(date), dose_mg=400)
        )
    procedures = [F.resection("op-1", draw(date))] if draw(st.booleans()) else []
    resources = {
        "conditions": [gist],
        "observations": observations,
        "medicationStatements": medications,
        "procedures": procedures,
    }
    resources = json.loads(json.dumps(resources).replace(f"Patient/{F.PATIENT}", f"Patient/{pid}"))
    return pid, patient, resources


# --- mutations -----------------------------------------------------------------------------

HUGE = 200_000

wrong_values = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.text(max_size=30),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def nested(depth: int) -> Any:
    value: Any = {"url": "http://example.org/deep", "valueString": "bottom"}
    for _ in range(depth - 1):
        value = {"url": "http://example.org/deep", "extension": [value]}
    return value


def _fields(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every member path inside a resource (dict keys and list indexes)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*path, key)
            yield from _fields(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*path, index)
            yield from _fields(value, (*path, index))


def _parent(resource: Json, path: tuple[Any, ...]) -> Any:
    node: Any = resource
    for step in path[:-1]:
        node = node[step]
    return node


def _date_like(value: Any) -> bool:
    return isinstance(value, str) and len(value) >= 4 and value[:4].isdigit()


@st.composite
def mutated(draw: st.DrawFn, resource: Json) -> Json:
    """`resource` with one hostile change somewhere inside it."""
    resource = copy.deepcopy(resource)
    path = draw(st.sampled_from(list(_fields(resource))))
    parent, last = _parent(resource, path), path[-1]
    value = parent[last]
    kind = draw(
        st.sampled_from(
            [
                "wrong-type",
                "missing",
                "resource-type",
                "huge",
                "deep",
                "unicode",
                "number-as-string",
                "date-without-zone",
                "null",
                "array-for-object",
                "object-for-array",
            ]
        )
    )
    if kind == "wrong-type":
        parent[last] = draw(wrong_values)
    elif kind == "missing":
        del parent[last]
    elif kind == "resource-type":
        resource["resourceType"] = draw(
            st.sampled_from(["Foo", "", "observation", "Bundle", "OperationOutcome"])
        )
    elif kind == "huge":
        small = not isinstance(value, dict | list) and len(str(value)) < 100
        parent[last] = [value] * 2_000 if small and draw(st.booleans()) else "x" * HUGE
    elif kind == "deep":
        resource["extension"] = [nested(draw(st.integers(1, 70)))]
    elif kind == "unicode":
        parent[last] = draw(st.text(min_size=1, max_size=50))
    elif kind == "number-as-string":
        parent[last] = str(value) if isinstance(value, int | float) else "4.5"
    elif kind == "date-without-zone":
        parent[last] = "2021-03-04T10:11:12" if _date_like(value) else "2021-03-04"
    elif kind == "null":
        parent[last] = None
    elif kind == "array-for-object":
        parent[last] = [value]
    else:
        parent[last] = value[0] if isinstance(value, list) and value else {"0": value}
    return resource


def searchset(resources: list[Any]) -> Json:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }


def depth(value: Any) -> int:
    """Container nesting depth, counted like the service's limit (a scalar is depth 0)."""
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    return 0


def expected_status(body: Json) -> int:
    if depth(body) > MAX_DEPTH:
        return 400
    prefetch = body["prefetch"]
    if any(v is not None and not isinstance(v, dict) for v in prefetch.values()):
        return 400
    conditions = prefetch.get("conditions")
    if conditions is not None and conditions.get("resourceType") != "Bundle":
        return 412  # unusable, and no fhirServer to fetch it from
    return 200


# --- the HTTP round trip -------------------------------------------------------------------


def call(service: LiveService, body: Json, label: str) -> requests.Response:
    response = service.post(SERVICE, body)
    sent[label] += 1
    expected = expected_status(body)
    assert response.status_code < 500, response.text
    assert response.status_code == expected, (expected, response.text[:2000])
    if expected == 200:
        assert schema_errors("cds-hooks-response", response.json()) == []
    else:
        assert response.json()["resourceType"] == "OperationOutcome"
    return response


@pytest.fixture(scope="module", autouse=True)
def _payload_count() -> Iterator[None]:
    yield
    total = sum(sent.values())
    print(f"\nFHIR payloads fuzzed through HTTP: {total} {dict(sent)}")
    if sent["general"] and sent["broken-gist"]:  # both property tests ran in full
        assert total >= MIN_PAYLOADS


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        phases=(Phase.explicit, Phase.generate),  # shrinking HTTP round trips takes too long
    )


class Payload(dict[str, Any]):
    """A request body whose repr stays short (Hypothesis prints failing examples)."""

    def __repr__(self) -> str:
        text = json.dumps(self)
        return text if len(text) < 4000 else text[:4000] + f"… ({len(text)} chars)"


@st.composite
def hostile_requests(draw: st.DrawFn) -> Payload:
    pid, patient, resources = draw(patients())
    prefetch: Json = {"patient": patient}
    mutations = draw(st.integers(0, 3))
    for _ in range(mutations):
        key = draw(st.sampled_from(KEYS))
        if resources[key]:
            index = draw(st.integers(0, len(resources[key]) - 1))
            resources[key][index] = draw(mutated(resources[key][index]))
        else:
            resources[key].append(draw(mutated(F.observation("extra", F.cc(F.LOINC, "1-8")))))
    for key in KEYS:
        prefetch[key] = searchset(resources[key])
    if draw(st.booleans()):
        prefetch["patient"] = draw(mutated(patient))
    if draw(st.integers(0, 9)) == 0:  # entries that are not resources at all
        prefetch["observations"]["entry"].append(draw(st.one_of(wrong_values, st.just({}))))
    if draw(st.integers(0, 9)) == 0:  # request-level damage: a whole key, or the Bundle
        key = draw(st.sampled_from(("patient", *KEYS)))
        prefetch[key] = draw(st.one_of(wrong_values, mutated(searchset(resources.get(key, [])))))
    return Payload(hook_request(pid, prefetch))


@fuzz(GENERAL_EXAMPLES)
@given(body=hostile_requests())
def test_hostile_prefetch_never_gets_a_5xx(
    service: LiveService, secrets_ledger: SecretLedger, body: Payload
) -> None:
    pid = body["context"]["patientId"]
    secrets_ledger.add(pid, *(f"{family}-{pid[3:11]}" for family in FAMILY))
    call(service, body, "general")


#: Changes that make the GIST Condition invalid FHIR R4 while its `code` still says GIST.
BREAKS: dict[str, Callable[[Json], None]] = {
    "subject-not-a-reference": lambda c: c.update(subject=7),
    "subject-a-string": lambda c: c.update(subject="Patient/x"),
    "bodySite-object-not-array": lambda c: c.update(bodySite=c["bodySite"][0]),
    "bodySite-string": lambda c: c.update(bodySite="stomach"),
    "onset-object": lambda c: c.update(onsetDateTime={"year": 2020}),
    "onset-not-a-date": lambda c: c.update(onsetDateTime="yesterday"),
    "clinicalStatus-array": lambda c: c.update(clinicalStatus=[c["clinicalStatus"]]),
    "extension-string": lambda c: c.update(extension="x"),
    "id-object": lambda c: c.update(id={"value": "gist-1"}),
    "unknown-member": lambda c: c.update(xUnknownMember=1),
}


@fuzz(BROKEN_GIST_EXAMPLES)
@given(
    case=patients(),
    breaks=st.lists(st.sampled_from(sorted(BREAKS)), min_size=1, max_size=3, unique=True),
)
def test_a_broken_gist_condition_is_named_on_a_data_needed_card(
    service: LiveService,
    secrets_ledger: SecretLedger,
    case: tuple[str, Json, dict[str, list[Json]]],
    breaks: list[str],
) -> None:
    pid, patient, resources = case
    secrets_ledger.add(pid, patient["name"][0]["family"])
    gist = resources["conditions"][0]
    for name in breaks:
        BREAKS[name](gist)
    prefetch: Json = {"patient": patient, **{key: searchset(resources[key]) for key in KEYS}}
    cards = call(service, hook_request(pid, prefetch), "broken-gist").json()["cards"]
    name = "Condition" if "id-object" in breaks else "Condition/gist-1"
    naming = [
        card
        for card in cards
        if card["extension"]["org.gist-cds"]["category"] == "data-needed" and name in card["detail"]
    ]
    assert naming, (breaks, [card["summary"] for card in cards])


#: A Condition in the conditions search whose code cannot be read at all: it may be the GIST.
UNIDENTIFIABLE: dict[str, Callable[[Json], None]] = {
    "code-number": lambda c: c.update(code=420120006),
    "code-string": lambda c: c.update(code="420120006"),
    "code-array": lambda c: c.update(code=[c["code"]]),
    "coding-object": lambda c: c.update(code={"coding": c["code"]["coding"][0]}),
    "coding-code-number": lambda c: c["code"]["coding"][0].update(code=420120006),
}


@pytest.mark.parametrize("damage", sorted(UNIDENTIFIABLE))
def test_a_condition_whose_code_cannot_be_read_is_reported(
    service: LiveService, damage: str
) -> None:
    """Input profile: what cannot be interpreted is reported, never guessed — a Condition with
    an unreadable code must not be taken for "no GIST" (which answers an empty card list)."""
    condition = F.gist("gist-1", bodySite=[F.cc(F.SNOMED, "69695003")])
    UNIDENTIFIABLE[damage](condition)
    prefetch: Json = {"patient": F.patient(), "conditions": searchset([condition])}
    prefetch |= {key: searchset([]) for key in KEYS if key != "conditions"}
    cards = call(service, hook_request(F.PATIENT, prefetch), "unidentifiable").json()["cards"]
    assert any("Condition" in card["detail"] for card in cards), cards
