"""The fetch path over real HTTP: the Medplum FHIR router for search semantics, scripted
loopback servers for failures, foreign hosts and slow answers."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from cds_hooks.fetch import (
    FetchProblem,
    PrefetchUnavailable,
    ResolvedData,
    normalise_base,
    on_base,
    resolve,
)
from fhir_mappings.prefetch_templates import PREFETCH_TEMPLATES, REQUIRED_KEYS
from sandbox.fhir_server import FhirTestServer
from tests.support.fhir_server import Reply, ScriptedServer, scripted_server

pytestmark = pytest.mark.fhirserver

PATIENT = "p1"
TOKEN = "tok-5ecret-123"
ALL_KEYS = frozenset(PREFETCH_TEMPLATES)
SEARCH_TYPES = {
    "conditions": "Condition",
    "observations": "Observation",
    "medicationStatements": "MedicationStatement",
    "medicationRequests": "MedicationRequest",
    "procedures": "Procedure",
}
BUDGET_S = 1.0
SLACK_S = 1.5  # correctness bound for "returns within the budget", not a performance target


def resource(kind: str, rid: str, patient: str = PATIENT) -> dict[str, Any]:
    found: dict[str, Any] = {"resourceType": kind, "id": rid}
    if kind == "Patient":
        return found
    if kind in ("MedicationStatement", "MedicationRequest"):
        found["medicationCodeableConcept"] = {"text": "imatinib"}
    found["subject"] = {"reference": f"Patient/{patient}"}
    return found


def patient_record(patient: str = PATIENT, per_type: int = 2) -> list[dict[str, Any]]:
    record = [resource("Patient", patient, patient)]
    for kind in SEARCH_TYPES.values():
        record += [resource(kind, f"{patient}-{kind}-{i}", patient) for i in range(per_type)]
    return record


def searchset(resources: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
        **extra,
    }


def ids(bundle: dict[str, Any]) -> list[str]:
    return sorted(entry["resource"]["id"] for entry in bundle["entry"])


def json_reply(body: Any, status: int = 200) -> Reply:
    return Reply(status=status, body=json.dumps(body).encode())


OUTCOME = {
    "resourceType": "OperationOutcome",
    "issue": [{"severity": "error", "code": "exception", "diagnostics": "EHR could not search"}],
}


@pytest.fixture
def fhir(fhir_server: FhirTestServer) -> Iterator[FhirTestServer]:
    """The Medplum router holding p1's record and another patient's, with an empty request log."""
    fhir_server.reset()
    fhir_server.load(patient_record(PATIENT) + patient_record("p2"))
    yield fhir_server
    fhir_server.reset()


def fetch(
    prefetch: dict[str, Any] | None,
    server: str | None,
    *,
    allowed: list[str] | None = None,
    token: str | None = TOKEN,
    **options: Any,
) -> ResolvedData:
    return resolve(
        prefetch,
        patient_id=options.pop("patient_id", PATIENT),
        fhir_server=server,
        access_token=token,
        allowed_servers=[server] if allowed is None and server else (allowed or []),
        timeout_s=options.pop("timeout_s", 5.0),
        **options,
    )


def fhir_requests(fhir: FhirTestServer) -> list[dict[str, Any]]:
    return [r for r in fhir.requests_seen() if r["method"] == "GET"]


def full_prefetch(fhir: FhirTestServer) -> dict[str, Any]:
    prefetch = {}
    for key, template in PREFETCH_TEMPLATES.items():
        url = f"{fhir.base_url}/{template.replace('{{context.patientId}}', PATIENT)}"
        answer = requests.get(url, timeout=10)
        prefetch[key] = answer.json()
    return prefetch


def reasons(resolved: ResolvedData) -> list[str]:
    return [str(problem) for problem in resolved.problems]


# --- the five prefetch shapes against the real FHIR server -------------------------------


def test_complete_prefetch_sends_no_request(fhir: FhirTestServer) -> None:
    prefetch = full_prefetch(fhir)
    before = len(fhir_requests(fhir))
    resolved = fetch(prefetch, fhir.base_url)
    assert len(fhir_requests(fhir)) == before
    assert resolved.prefetched == ALL_KEYS
    assert resolved.fetched == frozenset()
    assert resolved.problems == ()
    assert resolved.values == prefetch


def test_partial_prefetch_fetches_the_rest_with_the_bearer_token(fhir: FhirTestServer) -> None:
    prefetch = {k: v for k, v in full_prefetch(fhir).items() if k in ("patient", "conditions")}
    before = len(fhir_requests(fhir))
    resolved = fetch(prefetch, fhir.base_url)
    sent = fhir_requests(fhir)[before:]
    assert resolved.prefetched == {"patient", "conditions"}
    assert resolved.fetched == ALL_KEYS - {"patient", "conditions"}
    assert resolved.problems == ()
    for key in resolved.fetched:
        kind = SEARCH_TYPES[key]
        assert ids(resolved.values[key]) == [f"{PATIENT}-{kind}-0", f"{PATIENT}-{kind}-1"]
    assert sorted(r["url"].split("?")[0] for r in sent) == sorted(
        f"/fhir/{SEARCH_TYPES[k]}" for k in resolved.fetched
    )
    assert {r["authorization"] for r in sent} == {f"Bearer {TOKEN}"}


def test_absent_keys_are_all_fetched_in_one_call(fhir: FhirTestServer) -> None:
    resolved = fetch({}, fhir.base_url)
    assert resolved.fetched == ALL_KEYS
    assert resolved.values["patient"]["id"] == PATIENT
    assert ids(resolved.values["procedures"]) == [
        f"{PATIENT}-Procedure-0",
        f"{PATIENT}-Procedure-1",
    ]


def test_null_key_means_no_data_and_is_not_fetched(fhir: FhirTestServer) -> None:
    prefetch = full_prefetch(fhir) | {"conditions": None, "patient": None}
    before = len(fhir_requests(fhir))
    resolved = fetch(prefetch, fhir.base_url)
    assert len(fhir_requests(fhir)) == before
    assert resolved.empty == {"conditions", "patient"}
    assert "conditions" not in resolved.values
    assert resolved.problems == ()


def test_operation_outcome_key_is_fetched(fhir: FhirTestServer) -> None:
    prefetch = full_prefetch(fhir) | {"conditions": OUTCOME}
    before = len(fhir_requests(fhir))
    resolved = fetch(prefetch, fhir.base_url)
    sent = fhir_requests(fhir)[before:]
    assert [r["url"] for r in sent] == [f"/fhir/Condition?patient={PATIENT}"]
    assert resolved.fetched == {"conditions"}
    assert ids(resolved.values["conditions"]) == [
        f"{PATIENT}-Condition-0",
        f"{PATIENT}-Condition-1",
    ]


def test_bare_patient_id_search_returns_only_that_patient(fhir: FhirTestServer) -> None:
    resolved = fetch({}, fhir.base_url, patient_id="p2")
    assert all(
        entry["resource"]["subject"]["reference"] == "Patient/p2"
        for key in SEARCH_TYPES
        for entry in resolved.values[key]["entry"]
    )
    assert resolved.values["conditions"]["total"] == 2


def test_open_server_without_token_is_called_without_authorization(fhir: FhirTestServer) -> None:
    before = len(fhir_requests(fhir))
    fetch({}, fhir.base_url, token=None)
    assert {r["authorization"] for r in fhir_requests(fhir)[before:]} == {None}


# --- paging -------------------------------------------------------------------------------


@pytest.fixture
def many_conditions(fhir: FhirTestServer) -> FhirTestServer:
    fhir.load([resource("Condition", f"extra-{i}") for i in range(5)])  # p1 now has 7
    return fhir


def test_fetched_search_follows_next_links(many_conditions: FhirTestServer) -> None:
    templates = {"conditions": "Condition?patient={{context.patientId}}&_count=3"}
    before = len(fhir_requests(many_conditions))
    resolved = fetch({}, many_conditions.base_url, templates=templates)
    assert len(fhir_requests(many_conditions)) - before == 3
    assert len(resolved.values["conditions"]["entry"]) == 7
    assert resolved.values["conditions"]["total"] == 7
    assert len(set(ids(resolved.values["conditions"]))) == 7
    assert resolved.problems == ()


def test_prefetched_page_is_completed_from_the_server(many_conditions: FhirTestServer) -> None:
    first = requests.get(
        f"{many_conditions.base_url}/Condition?patient={PATIENT}&_count=2", timeout=10
    ).json()
    assert len(first["entry"]) == 2
    resolved = fetch({"conditions": first}, many_conditions.base_url, templates=_conditions_only())
    assert len(set(ids(resolved.values["conditions"]))) == 7
    assert resolved.prefetched == {"conditions"}
    assert resolved.fetched == {"conditions"}
    assert resolved.problems == ()


def test_paging_stops_at_max_pages(many_conditions: FhirTestServer) -> None:
    templates = {"conditions": "Condition?patient={{context.patientId}}&_count=2"}
    resolved = fetch({}, many_conditions.base_url, templates=templates, max_pages=2)
    assert len(resolved.values["conditions"]["entry"]) == 4
    assert reasons(resolved) == ["conditions: incomplete: stopped after 2 pages"]


def test_prefetched_page_without_server_keeps_first_page_and_says_partial(
    many_conditions: FhirTestServer,
) -> None:
    first = requests.get(
        f"{many_conditions.base_url}/Condition?patient={PATIENT}&_count=2", timeout=10
    ).json()
    resolved = fetch({"conditions": first}, None, templates=_conditions_only())
    assert resolved.values["conditions"] == first
    assert [p.key for p in resolved.problems] == ["conditions"]
    assert resolved.problems[0].reason.startswith("incomplete")


def _conditions_only() -> dict[str, str]:
    return {"conditions": PREFETCH_TEMPLATES["conditions"]}


def _never_called() -> Reply:
    return json_reply(searchset([resource("Condition", "foreign")]))


def test_next_link_to_another_host_is_not_followed(fhir: FhirTestServer) -> None:
    with scripted_server(lambda _: _never_called()) as foreign:
        first = searchset(
            [resource("Condition", "c0")],
            link=[{"relation": "next", "url": f"{foreign.base_url}/Condition?page=2"}],
        )
        resolved = fetch({"conditions": first}, fhir.base_url, templates=_conditions_only())
        assert foreign.hits == []
    assert ids(resolved.values["conditions"]) == ["c0"]
    assert reasons(resolved) == [
        "conditions: incomplete: a next link points outside the FHIR server"
    ]


def test_fetched_page_linking_to_another_host_is_not_followed() -> None:
    with scripted_server(lambda _: _never_called()) as foreign:
        page = searchset(
            [resource("Condition", "c0")],
            link=[{"relation": "next", "url": f"{foreign.base_url}/Condition?page=2"}],
        )
        with scripted_server(lambda _: json_reply(page)) as ehr:
            resolved = fetch({}, ehr.base_url, templates=_conditions_only())
        assert foreign.hits == []
    assert ids(resolved.values["conditions"]) == ["c0"]
    assert resolved.problems[0].reason.startswith("incomplete")


def test_next_link_loop_is_detected() -> None:
    def script(path: str) -> Reply:
        return json_reply(searchset([resource("Condition", "c0")], link=[_next(ehr, path)]))

    with scripted_server(script) as ehr:
        resolved = fetch({}, ehr.base_url, templates=_conditions_only())
        assert len(ehr.hits) == 1
    assert reasons(resolved) == ["conditions: incomplete: the server's next links loop"]


def _next(server: ScriptedServer, path: str) -> dict[str, str]:
    origin = server.base_url.rsplit("/", 1)[0]
    return {"relation": "next", "url": origin + path}


# --- where requests may go ----------------------------------------------------------------


def test_server_outside_allowlist_gets_no_request_and_required_key_is_412(
    fhir: FhirTestServer,
) -> None:
    with scripted_server(lambda _: _never_called()) as stranger:
        with pytest.raises(PrefetchUnavailable) as raised:
            fetch({}, stranger.base_url, allowed=[fhir.base_url])
        assert stranger.hits == []
    assert raised.value.keys == tuple(sorted(REQUIRED_KEYS))
    assert "not allowed" in raised.value.reason
    assert TOKEN not in raised.value.reason


def test_server_outside_allowlist_for_optional_keys_is_a_problem(fhir: FhirTestServer) -> None:
    prefetch = {"conditions": searchset([])}
    with scripted_server(lambda _: _never_called()) as stranger:
        resolved = fetch(prefetch, stranger.base_url, allowed=[fhir.base_url])
        assert stranger.hits == []
    assert {p.key for p in resolved.problems} == ALL_KEYS - {"conditions"}
    assert all("not allowed" in p.reason for p in resolved.problems)


def test_no_fhir_server_and_required_key_missing_is_412() -> None:
    with pytest.raises(PrefetchUnavailable):
        fetch({"patient": resource("Patient", PATIENT)}, None)
    with pytest.raises(PrefetchUnavailable):
        fetch({"conditions": OUTCOME}, None)


def test_no_fhir_server_with_required_data_present_lists_the_missing_keys() -> None:
    resolved = fetch({"conditions": searchset([])}, None)
    assert resolved.values == {"conditions": searchset([])}
    assert {p.key for p in resolved.problems} == ALL_KEYS - {"conditions"}


@pytest.mark.parametrize(
    "server", ["ftp://127.0.0.1/fhir", "http://user:pw@127.0.0.1/fhir", "not a url"]
)
def test_non_http_or_credentialed_server_is_refused(server: str) -> None:
    with pytest.raises(PrefetchUnavailable):
        fetch({}, server, allowed=[server])


@pytest.mark.parametrize("patient_id", ["../Patient/p2", "p1&_id=p2", "x" * 65, ""])
def test_patient_id_that_is_not_a_fhir_id_is_never_sent(
    fhir: FhirTestServer, patient_id: str
) -> None:
    before = len(fhir_requests(fhir))
    with pytest.raises(PrefetchUnavailable):
        fetch({}, fhir.base_url, patient_id=patient_id)
    assert len(fhir_requests(fhir)) == before


def test_allowlist_match_ignores_trailing_slash_case_and_default_port(
    fhir: FhirTestServer,
) -> None:
    shouting = fhir.base_url.replace("http://127.0.0.1", "HTTP://127.0.0.1") + "/"
    resolved = fetch({}, fhir.base_url, allowed=[shouting])
    assert resolved.fetched == ALL_KEYS


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("HTTP://Example.org:80/fhir/", "http://example.org/fhir"),
        ("https://example.org:443/fhir", "https://example.org/fhir"),
        ("https://example.org:8443/fhir/r4", "https://example.org:8443/fhir/r4"),
        ("https://example.org/fhir?x=1", None),
        ("https://u@example.org/fhir", None),
        ("file:///etc/passwd", None),
        ("https://", None),
    ],
)
def test_normalise_base(url: str, base: str | None) -> None:
    assert normalise_base(url) == base


@pytest.mark.parametrize(
    ("url", "inside"),
    [
        ("https://ehr.example/fhir/Condition?page=2", True),
        ("https://EHR.example:443/fhir/Condition", True),
        ("https://ehr.example/fhirx/Condition", False),
        ("https://ehr.example/other/fhir/Condition", False),
        ("http://ehr.example/fhir/Condition", False),
        ("https://ehr.example:8443/fhir/Condition", False),
        ("https://ehr.example.evil/fhir/Condition", False),
        ("https://x@ehr.example/fhir/Condition", False),
    ],
)
def test_next_links_must_stay_on_the_base(url: str, inside: bool) -> None:
    assert on_base(url, "https://ehr.example/fhir") is inside


# --- failing servers: a problem, never an exception -----------------------------------------


BROKEN: dict[str, tuple[Reply, str]] = {
    "http 500": (json_reply(OUTCOME, 500), "FHIR server answered HTTP 500"),
    "http 401": (Reply(status=401), "FHIR server answered HTTP 401"),
    "not json": (Reply(body=b"<html>oops</html>"), "not valid JSON"),
    "truncated json": (Reply(body=json.dumps(searchset([])).encode()[:-7]), "not valid JSON"),
    "outcome body": (json_reply(OUTCOME), "answered with OperationOutcome, not a Bundle"),
    "wrong type": (json_reply(resource("Patient", "p1")), "answered with Patient, not a Bundle"),
    "too large": (json_reply(searchset([resource("Condition", "c")] * 200)), "larger than"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_answer_is_a_problem_not_an_exception(case: str) -> None:
    reply, expected = BROKEN[case]
    with scripted_server(lambda _: reply) as ehr:
        resolved = fetch(
            {"conditions": OUTCOME}, ehr.base_url, templates=_conditions_only(),
            max_response_bytes=10_000,
        )  # fmt: skip
        assert len(ehr.hits) == 1
    assert [p.key for p in resolved.problems] == ["conditions"]
    assert expected in resolved.problems[0].reason
    assert "conditions" not in resolved.values
    assert TOKEN not in str(resolved.problems)


def test_redirect_is_not_followed() -> None:
    with scripted_server(lambda _: _never_called()) as target:
        moved = Reply(status=302, headers={"Location": f"{target.base_url}/Condition"})
        with scripted_server(lambda _: moved) as ehr:
            resolved = fetch({}, ehr.base_url, allowed=[ehr.base_url, target.base_url])
        assert target.hits == []
    assert {str(p) for p in resolved.problems} == {
        f"{key}: FHIR server answered HTTP 302 (redirects are not followed)" for key in ALL_KEYS
    }


def test_body_cut_short_is_a_problem() -> None:
    body = json.dumps(searchset([])).encode()
    with scripted_server(lambda _: Reply(body=body, length=len(body) + 100)) as ehr:
        resolved = fetch({}, ehr.base_url, templates=_conditions_only())
    assert [p.key for p in resolved.problems] == ["conditions"]
    assert resolved.problems[0].reason.startswith("could not read from the FHIR server")


def test_unreachable_server_is_a_problem() -> None:
    with scripted_server(lambda _: _never_called()) as ehr:
        gone = ehr.base_url
    resolved = fetch({}, gone, templates=_conditions_only())
    assert reasons(resolved) == [
        "conditions: could not read from the FHIR server (ConnectionError)"
    ]


def test_read_of_missing_patient_is_a_problem(fhir: FhirTestServer) -> None:
    resolved = fetch({}, fhir.base_url, patient_id="nobody")
    assert "patient" not in resolved.values
    assert FetchProblem("patient", "FHIR server answered HTTP 404") in resolved.problems
    assert resolved.values["conditions"]["entry"] == []


def test_one_failing_search_does_not_spoil_the_others(fhir: FhirTestServer) -> None:
    origin = fhir.base_url

    def script(path: str) -> Reply:
        if path.startswith("/fhir/Observation"):
            return json_reply(OUTCOME, 503)
        return Reply(body=requests.get(origin.rsplit("/", 1)[0] + path, timeout=10).content)

    with scripted_server(script) as ehr:
        resolved = fetch({}, ehr.base_url)
    assert resolved.fetched == ALL_KEYS - {"observations"}
    assert reasons(resolved) == ["observations: FHIR server answered HTTP 503"]


# --- one time budget for the whole call ------------------------------------------------------


def _timed(prefetch: dict[str, Any], server: str) -> tuple[ResolvedData, float]:
    started = time.monotonic()
    resolved = fetch(prefetch, server, timeout_s=BUDGET_S)
    return resolved, time.monotonic() - started


def test_slow_server_is_cut_at_the_budget() -> None:
    with scripted_server(lambda _: Reply(delay_s=BUDGET_S + 4, body=b"{}")) as ehr:
        resolved, elapsed = _timed({}, ehr.base_url)
    assert elapsed < BUDGET_S + SLACK_S
    assert {p.key for p in resolved.problems} == ALL_KEYS
    assert all("time budget" in p.reason for p in resolved.problems)


def test_slow_drip_body_is_cut_at_the_budget() -> None:
    body = json.dumps(searchset([resource("Condition", f"c{i}") for i in range(20)])).encode()
    with scripted_server(lambda _: Reply(body=body, drip_s=0.01)) as ehr:  # ~20 s to send
        resolved, elapsed = _timed({"patient": resource("Patient", PATIENT)}, ehr.base_url)
        # the fetch threads themselves hang up at the deadline instead of reading on for 20 s
        hung_up_by = time.monotonic() + SLACK_S
        while len(ehr.aborted) < len(SEARCH_TYPES) and time.monotonic() < hung_up_by:
            time.sleep(0.02)
        assert len(ehr.aborted) == len(SEARCH_TYPES)
    assert elapsed < BUDGET_S + SLACK_S
    assert {p.key for p in resolved.problems} == ALL_KEYS - {"patient"}
    assert all("time budget" in p.reason for p in resolved.problems)


def test_body_stalling_mid_way_is_cut_at_the_budget() -> None:
    stall = Reply(body=json.dumps(searchset([])).encode(), drip_s=BUDGET_S + 3)
    with scripted_server(lambda _: stall) as ehr:
        resolved, elapsed = _timed({"patient": resource("Patient", PATIENT)}, ehr.base_url)
    assert elapsed < BUDGET_S + SLACK_S
    assert {p.key for p in resolved.problems} == ALL_KEYS - {"patient"}
    assert all("time budget" in p.reason for p in resolved.problems)


def test_budget_covers_all_pages_not_each_request() -> None:
    def script(path: str) -> Reply:
        time.sleep(0.3)
        nxt = {"relation": "next", "url": f"{ehr.base_url.rsplit('/', 1)[0]}{path}x"}
        return json_reply(searchset([resource("Condition", path[-8:])], link=[nxt]))

    with scripted_server(script) as ehr:
        started = time.monotonic()
        resolved = resolve(
            {}, patient_id=PATIENT, fhir_server=ehr.base_url, access_token=None,
            allowed_servers=[ehr.base_url], timeout_s=BUDGET_S, templates=_conditions_only(),
            max_pages=100,
        )  # fmt: skip
        elapsed = time.monotonic() - started
    assert elapsed < BUDGET_S + SLACK_S
    assert 2 <= len(resolved.values["conditions"]["entry"]) <= 4
    assert resolved.problems[0].reason.startswith("incomplete")


def test_token_never_reaches_logs_or_problems(
    fhir: FhirTestServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with scripted_server(lambda _: json_reply(OUTCOME, 500)) as ehr:
        failed = fetch({}, ehr.base_url)
    worked = fetch({}, fhir.base_url)
    assert failed.problems
    assert worked.fetched == ALL_KEYS
    assert "prefetch resolved" in caplog.text  # the resolver did log, just not the token
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(failed) + repr(worked.problems)
    assert all(TOKEN not in repr(record.__dict__) for record in caplog.records)
