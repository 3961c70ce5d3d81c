"""JWT checks through the real app (the verifier's full attack suite is in test_auth.py): every
failure is a bare 401 OperationOutcome, and the token never reaches the logs."""

from __future__ import annotations

import pytest
import requests

from tests.cds_hooks.test_http_api import assert_operation_outcome, gist_prefetch
from tests.support import jwt_tools
from tests.support.live import LiveService, hook_request

SERVICE = "cds-services/gist-treatment"


def post_with(service: LiveService, token: str | None) -> requests.Response:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.post(
        service.url(SERVICE), json=hook_request("p1", gist_prefetch()), headers=headers, timeout=10
    )


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda url: None, id="no-token"),
        pytest.param(lambda url: "not.a.jwt", id="garbage"),
        pytest.param(
            lambda url: jwt_tools.mint(jwt_tools.TEST_ISSUER, url, alg="none"), id="alg-none"
        ),
        pytest.param(
            lambda url: jwt_tools.mint(jwt_tools.TEST_ISSUER, url.rsplit("/", 1)[0]),
            id="aud-discovery",
        ),
        pytest.param(lambda url: jwt_tools.mint("https://evil.example", url), id="unknown-iss"),
        pytest.param(
            lambda url: jwt_tools.mint(jwt_tools.TEST_ISSUER, url, exp_in=-600), id="expired"
        ),
    ],
)
def test_bad_tokens_get_a_bare_401(service: LiveService, make_token: object) -> None:
    token = make_token(service.url(SERVICE))  # type: ignore[operator]
    outcome = assert_operation_outcome(post_with(service, token), 401)
    assert "diagnostics" not in outcome["issue"][0]


@pytest.mark.parametrize("alg", ["ES384", "RS384"])
def test_valid_tokens_are_accepted(service: LiveService, alg: str) -> None:
    response = post_with(
        service, jwt_tools.mint(jwt_tools.TEST_ISSUER, service.url(SERVICE), alg=alg)
    )
    assert response.status_code == 200


def test_a_replayed_token_is_refused(service: LiveService) -> None:
    token = jwt_tools.mint(jwt_tools.TEST_ISSUER, service.url(SERVICE))
    assert post_with(service, token).status_code == 200
    assert_operation_outcome(post_with(service, token), 401)


def test_rejected_tokens_are_logged_by_reason_not_by_value(
    service: LiveService, caplog: pytest.LogCaptureFixture
) -> None:
    token = jwt_tools.mint(jwt_tools.TEST_ISSUER, service.url("cds-services"))  # wrong audience
    with caplog.at_level("INFO"):
        assert post_with(service, token).status_code == 401
    assert token not in caplog.text
    assert token.split(".")[1] not in caplog.text
    assert any(getattr(r, "event", None) == "auth-rejected" for r in caplog.records)
