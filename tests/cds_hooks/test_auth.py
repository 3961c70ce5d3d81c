"""The JWT attack suite: real keys, real tokens, a real replay database, a real HTTPS JWKS host.

Each rejection test also checks the logged reason names the failed check, so a token rejected
for the wrong reason (say, a bad signature where an expired one was meant) fails the test.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cds_hooks.auth import MAX_TOKEN_CHARS, AuthError, JwksCache, JwtVerifier
from cds_hooks.config import ConfigError
from cds_hooks.storage import Storage
from cds_hooks.trusted_clients import TrustedClient, load_trusted_clients, parse_trusted_clients
from tests.support.https_server import (  # noqa: F401 - fixtures
    HttpsTestServer,
    https_server_fixture,
    https_server_session_fixture,
)
from tests.support.hypothesis_profiles import examples
from tests.support.jwt_tools import (
    OMIT,
    TEST_ISSUER,
    bearer,
    client_entry,
    jwks_for,
    make_keys,
    mint,
    new_key,
    write_trusted_clients,
)
from tests.support.postgres import (  # noqa: F401 - fixtures
    database_url_fixture,
    postgres_db_url_fixture,
    postgres_url_fixture,
)

AUD = "https://cds.example.test/cds-services/gist-treatment"
OTHER_ISSUER = "https://other-ehr.example.test"

MakeVerifier = Callable[..., JwtVerifier]


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[Storage]:
    store = Storage(f"sqlite:///{tmp_path / 'replay.sqlite3'}")
    store.create_schema()
    yield store
    store.engine.dispose()


@pytest.fixture
def make_verifier(storage: Storage) -> MakeVerifier:
    """A verifier over the given trusted-client entries (default: the test issuer, static JWKS)."""

    def build(entries: Sequence[Mapping[str, Any]] | None = None, **options: Any) -> JwtVerifier:
        clients = parse_trusted_clients(list(entries or [client_entry()]))
        return JwtVerifier(clients, storage, **options)

    return build


def rejected(verifier: JwtVerifier, token_or_header: str | None, reason: str) -> str:
    """Assert the header is rejected and the reason mentions `reason`; return the reason."""
    header = token_or_header
    if token_or_header and " " not in token_or_header and token_or_header.count(".") == 2:
        header = bearer(token_or_header)
    with pytest.raises(AuthError) as caught:
        verifier.verify(header, AUD)
    assert reason.lower() in caught.value.reason.lower(), caught.value.reason
    return caught.value.reason


# -- accepted -----------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["ES384", "RS384"])
def test_valid_token_is_accepted(make_verifier: MakeVerifier, alg: str) -> None:
    client = make_verifier().verify(bearer(mint(TEST_ISSUER, AUD, alg=alg)), AUD)
    assert client.iss == TEST_ISSUER


def test_aud_may_be_an_array(make_verifier: MakeVerifier) -> None:
    token = mint(TEST_ISSUER, ["https://elsewhere.example.test", AUD])
    assert make_verifier().verify(bearer(token), AUD).iss == TEST_ISSUER


def test_aud_trailing_slash_is_normalised(make_verifier: MakeVerifier) -> None:
    verifier = make_verifier()
    verifier.verify(bearer(mint(TEST_ISSUER, AUD + "/")), AUD)
    verifier.verify(bearer(mint(TEST_ISSUER, AUD)), AUD + "/")


def test_lowercase_bearer_scheme_and_missing_typ_are_tolerated(make_verifier: MakeVerifier) -> None:
    token = mint(TEST_ISSUER, AUD, extra_headers={"typ": OMIT})
    assert make_verifier().verify("bearer " + token, AUD).iss == TEST_ISSUER


def test_expiry_within_leeway_is_accepted(make_verifier: MakeVerifier) -> None:
    token = mint(TEST_ISSUER, AUD, iat=int(time.time()) - 100, exp_in=-10)
    make_verifier(leeway_s=30).verify(bearer(token), AUD)


def test_reason_never_contains_the_token(make_verifier: MakeVerifier) -> None:
    token = mint(TEST_ISSUER, "https://wrong.example.test/cds-services/gist-treatment")
    reason = rejected(make_verifier(), token, "aud")
    assert token not in reason
    assert token.split(".")[1] not in reason


# -- header attacks -----------------------------------------------------------------------------


def test_alg_none_is_rejected(make_verifier: MakeVerifier) -> None:
    rejected(make_verifier(), mint(TEST_ISSUER, AUD, alg="none"), "alg")


def test_hs384_signed_with_the_public_key_is_rejected(make_verifier: MakeVerifier) -> None:
    """Algorithm confusion: the RSA public key (PEM and JWK JSON) used as an HMAC secret."""
    public = make_keys().rsa.private_key.public_key()
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    jwk_json = json.dumps(make_keys().rsa.public_jwk()).encode()
    verifier = make_verifier()
    for secret in (pem, jwk_json):
        token = mint(TEST_ISSUER, AUD, alg="HS384", kid=make_keys().rsa.kid, key=secret)
        rejected(verifier, token, "alg")


@pytest.mark.parametrize("alg", ["RS256", "ES256", "PS384", "EdDSA", "HS256"])
def test_other_algorithms_are_rejected(make_verifier: MakeVerifier, alg: str) -> None:
    rejected(make_verifier(), mint(TEST_ISSUER, AUD, alg=alg, key=b"secret"), "alg")


def test_missing_kid_is_rejected(make_verifier: MakeVerifier) -> None:
    rejected(make_verifier(), mint(TEST_ISSUER, AUD, extra_headers={"kid": OMIT}), "kid")


@pytest.mark.parametrize("typ", ["JWE", "at+jwt", 7])
def test_wrong_typ_is_rejected(make_verifier: MakeVerifier, typ: Any) -> None:
    rejected(make_verifier(), mint(TEST_ISSUER, AUD, extra_headers={"typ": typ}), "typ")


def test_crit_header_is_rejected(make_verifier: MakeVerifier) -> None:
    token = mint(TEST_ISSUER, AUD, extra_headers={"crit": ["exp"]})
    rejected(make_verifier(), token, "crit")


def test_oversized_token_is_rejected(make_verifier: MakeVerifier) -> None:
    token = mint(TEST_ISSUER, AUD, extra_claims={"padding": "x" * MAX_TOKEN_CHARS})
    assert len(token) > MAX_TOKEN_CHARS
    rejected(make_verifier(), token, "too large")


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing"),
        ("", "missing"),
        ("Basic dXNlcjpwYXNz", "bearer"),
        ("Bearer", "empty"),
        ("Bearer not-a-jwt", "compact"),
        ("Bearer a.b.c", "malformed"),
        ("Bearer eyJhbGciOiJFUzM4NCJ9.e30.", "kid"),
    ],
)
def test_malformed_authorization_is_rejected(
    make_verifier: MakeVerifier, header: str | None, reason: str
) -> None:
    rejected(make_verifier(), header, reason)


# -- key attacks --------------------------------------------------------------------------------


def test_wrong_key_with_a_known_kid_is_rejected(make_verifier: MakeVerifier) -> None:
    impostor = new_key("ES384", kid=make_keys().ec.kid)
    rejected(make_verifier(), mint(TEST_ISSUER, AUD, key=impostor), "signature")


def test_unknown_kid_is_rejected(make_verifier: MakeVerifier) -> None:
    rejected(make_verifier(), mint(TEST_ISSUER, AUD, key=new_key("ES384")), "unknown kid")


def test_kid_of_the_wrong_key_type_is_rejected(make_verifier: MakeVerifier) -> None:
    """An ES384 header naming the RSA key's kid must not verify with that key."""
    token = mint(TEST_ISSUER, AUD, alg="ES384", kid=make_keys().rsa.kid)
    rejected(make_verifier(), token, "usable")


def test_keys_of_one_trusted_client_do_not_vouch_for_another(make_verifier: MakeVerifier) -> None:
    other = new_key("ES384", kid="other-ec")
    verifier = make_verifier([client_entry(), client_entry(OTHER_ISSUER, jwks=jwks_for([other]))])
    verifier.verify(bearer(mint(OTHER_ISSUER, AUD, key=other)), AUD)
    rejected(verifier, mint(OTHER_ISSUER, AUD), "unknown kid")  # our key, their iss


# -- claim attacks ------------------------------------------------------------------------------


def test_expired_token_is_rejected(make_verifier: MakeVerifier) -> None:
    token = mint(TEST_ISSUER, AUD, iat=int(time.time()) - 400, exp_in=-100)
    rejected(make_verifier(leeway_s=30), token, "expired")


def test_token_issued_in_the_future_is_rejected(make_verifier: MakeVerifier) -> None:
    token = mint(TEST_ISSUER, AUD, iat=int(time.time()) + 600, exp_in=900)
    rejected(make_verifier(leeway_s=30), token, "not yet valid")


def test_nbf_in_the_future_is_rejected(make_verifier: MakeVerifier) -> None:
    token = mint(TEST_ISSUER, AUD, extra_claims={"nbf": int(time.time()) + 600})
    rejected(make_verifier(), token, "not yet valid")


def test_wrong_aud_is_rejected(make_verifier: MakeVerifier) -> None:
    verifier = make_verifier()
    rejected(verifier, mint(TEST_ISSUER, AUD + "/feedback"), "aud")
    rejected(
        verifier, mint(TEST_ISSUER, ["https://a.example.test", "https://b.example.test"]), "aud"
    )
    rejected(verifier, mint(TEST_ISSUER, AUD, extra_claims={"aud": {"url": AUD}}), "aud")


def test_untrusted_iss_is_rejected(make_verifier: MakeVerifier) -> None:
    reason = rejected(make_verifier(), mint("https://attacker.example.test", AUD), "untrusted iss")
    assert "attacker.example.test" in reason  # the issuer is the one claim worth logging


@pytest.mark.parametrize("claim", ["iss", "aud", "exp", "iat", "jti"])
def test_missing_required_claim_is_rejected(make_verifier: MakeVerifier, claim: str) -> None:
    token = mint(TEST_ISSUER, AUD, extra_claims={claim: OMIT})
    rejected(make_verifier(), token, "iss" if claim == "iss" else claim)


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"exp": str(int(time.time()) + 300)}, "numeric"),
        ({"iat": True}, "iat"),
        ({"jti": 12345}, "jti"),
        ({"jti": "j" * 300}, "jti"),
        ({"iss": ["x"]}, "iss"),
    ],
)
def test_malformed_claims_are_rejected(
    make_verifier: MakeVerifier, claims: dict[str, Any], reason: str
) -> None:
    rejected(make_verifier(), mint(TEST_ISSUER, AUD, extra_claims=claims), reason)


def test_lifetime_over_an_hour_is_rejected(make_verifier: MakeVerifier) -> None:
    verifier = make_verifier()
    rejected(verifier, mint(TEST_ISSUER, AUD, exp_in=3600 + 120), "lifetime")
    verifier.verify(bearer(mint(TEST_ISSUER, AUD, exp_in=3600)), AUD)


# -- replay -------------------------------------------------------------------------------------


def test_replayed_jti_is_rejected(make_verifier: MakeVerifier) -> None:
    verifier = make_verifier()
    token = mint(TEST_ISSUER, AUD)
    verifier.verify(bearer(token), AUD)
    rejected(verifier, token, "replayed")
    rejected(verifier, mint(TEST_ISSUER, AUD, jti=_jti_of(token)), "replayed")  # new token too


def test_same_jti_from_two_issuers_is_not_a_replay(make_verifier: MakeVerifier) -> None:
    other = new_key("ES384", kid="other-ec")
    verifier = make_verifier([client_entry(), client_entry(OTHER_ISSUER, jwks=jwks_for([other]))])
    verifier.verify(bearer(mint(TEST_ISSUER, AUD, jti="shared-jti")), AUD)
    verifier.verify(bearer(mint(OTHER_ISSUER, AUD, jti="shared-jti", key=other)), AUD)


def test_rejected_token_does_not_burn_its_jti(make_verifier: MakeVerifier) -> None:
    """A forged token carrying a victim's jti must not make the genuine token fail."""
    verifier = make_verifier()
    rejected(verifier, mint(TEST_ISSUER, AUD, jti="victim", key=new_key(kid="test-ec-1")), "sig")
    verifier.verify(bearer(mint(TEST_ISSUER, AUD, jti="victim")), AUD)


def test_replay_is_rejected_across_workers(database_url: str) -> None:
    """Two workers (separate Storage engines and verifiers) on one database share replay state."""
    workers = [Storage(database_url) for _ in range(2)]
    try:
        for store in workers:
            store.create_schema()
        clients = parse_trusted_clients([client_entry()])
        first, second = (JwtVerifier(clients, store) for store in workers)
        token = mint(TEST_ISSUER, AUD)
        first.verify(bearer(token), AUD)
        rejected(second, token, "replayed")
        second.verify(bearer(mint(TEST_ISSUER, AUD)), AUD)
    finally:
        for store in workers:
            store.engine.dispose()


# -- JWKS URLs, jku and SSRF ---------------------------------------------------------------------


def _jwks_client(server: HttpsTestServer, path: str = "/jwks.json", **extra: Any) -> dict[str, Any]:
    return client_entry(jwks_uri=server.url(path), **extra)


def test_jwks_uri_keys_are_fetched_over_tls_and_cached(
    make_verifier: MakeVerifier, https_server: HttpsTestServer
) -> None:
    https_server.serve_json("/jwks.json", jwks_for(make_keys()))
    verifier = make_verifier([_jwks_client(https_server)], ca_bundle=str(https_server.ca_file))
    uri = https_server.url("/jwks.json")
    verifier.verify(bearer(mint(TEST_ISSUER, AUD, extra_headers={"jku": uri})), AUD)
    verifier.verify(bearer(mint(TEST_ISSUER, AUD)), AUD)  # no jku: the configured URL is used
    verifier.verify(bearer(mint(TEST_ISSUER, AUD, alg="RS384")), AUD)
    assert https_server.hits("/jwks.json") == 1


def test_jku_not_allowlisted_is_rejected_and_never_fetched(
    make_verifier: MakeVerifier, https_server: HttpsTestServer
) -> None:
    attacker = new_key("ES384", kid="attacker")
    https_server.serve_json("/jwks.json", jwks_for(make_keys()))
    evil = https_server.serve_json("/evil.json", jwks_for([attacker]))
    verifier = make_verifier([_jwks_client(https_server)], ca_bundle=str(https_server.ca_file))
    token = mint(TEST_ISSUER, AUD, key=attacker, extra_headers={"jku": evil})
    rejected(verifier, token, "jku not allowlisted")
    assert https_server.hits("/evil.json") == 0
    assert https_server.requests == []


def test_jku_on_a_client_with_a_static_jwks_is_rejected(
    make_verifier: MakeVerifier, https_server: HttpsTestServer
) -> None:
    evil = https_server.serve_json("/evil.json", jwks_for(make_keys()))
    token = mint(TEST_ISSUER, AUD, extra_headers={"jku": evil})
    rejected(make_verifier(ca_bundle=str(https_server.ca_file)), token, "jku not allowlisted")
    assert https_server.requests == []


def test_jwks_redirect_is_not_followed(
    make_verifier: MakeVerifier, https_server: HttpsTestServer
) -> None:
    target = https_server.serve_json("/jwks.json", jwks_for(make_keys()))
    redirect = https_server.serve_redirect("/redirect-jwks", target)
    verifier = make_verifier(
        [_jwks_client(https_server, "/redirect-jwks")], ca_bundle=str(https_server.ca_file)
    )
    rejected(verifier, mint(TEST_ISSUER, AUD, extra_headers={"jku": redirect}), "jwks")
    assert https_server.hits("/redirect-jwks") == 1
    assert https_server.hits("/jwks.json") == 0


def test_jwks_host_with_an_untrusted_certificate_is_rejected(
    make_verifier: MakeVerifier, https_server: HttpsTestServer
) -> None:
    https_server.serve_json("/jwks.json", jwks_for(make_keys()))
    verifier = make_verifier([_jwks_client(https_server)])  # system CAs only
    rejected(verifier, mint(TEST_ISSUER, AUD), "jwks")
    assert https_server.requests == []  # the TLS handshake failed before any HTTP request


def test_oversized_jwks_is_rejected(
    make_verifier: MakeVerifier, https_server: HttpsTestServer
) -> None:
    bloated = jwks_for(make_keys())
    bloated["padding"] = "x" * 100_000
    https_server.serve_json("/jwks.json", bloated)
    verifier = make_verifier([_jwks_client(https_server)], ca_bundle=str(https_server.ca_file))
    rejected(verifier, mint(TEST_ISSUER, AUD), "jwks")


def test_failing_jwks_host_is_not_hammered(
    make_verifier: MakeVerifier, https_server: HttpsTestServer
) -> None:
    https_server.serve_json("/jwks.json", {"error": "down"}, status=500)
    verifier = make_verifier([_jwks_client(https_server)], ca_bundle=str(https_server.ca_file))
    for _ in range(3):
        rejected(verifier, mint(TEST_ISSUER, AUD), "jwks")
    assert https_server.hits("/jwks.json") == 1  # later calls wait out the cooldown


def test_key_rotation_is_picked_up_with_one_refetch(
    make_verifier: MakeVerifier, https_server: HttpsTestServer
) -> None:
    old, rotated = make_keys().ec, new_key("ES384", kid="rotated-ec")
    https_server.serve_json("/jwks.json", jwks_for([old]))
    verifier = make_verifier([_jwks_client(https_server)], ca_bundle=str(https_server.ca_file))
    verifier.verify(bearer(mint(TEST_ISSUER, AUD, key=old)), AUD)
    https_server.serve_json("/jwks.json", jwks_for([old, rotated]))
    verifier.verify(bearer(mint(TEST_ISSUER, AUD, key=rotated)), AUD)
    assert https_server.hits("/jwks.json") == 2
    # A flood of unknown kids right after does not trigger further fetches (cooldown).
    for _ in range(3):
        rejected(verifier, mint(TEST_ISSUER, AUD, key=new_key("ES384")), "unknown kid")
    assert https_server.hits("/jwks.json") == 2
    verifier.verify(bearer(mint(TEST_ISSUER, AUD, key=old)), AUD)


# -- fuzzing: whatever arrives, the verifier answers with AuthError (a 401), never a crash -----

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=10,
)
_MISSING: Any = object()
_ABSENT = st.just(_MISSING)


def _mostly(plausible: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually the plausible value, sometimes anything JSON, sometimes absent."""
    return _weighted(plausible, 8, json_values, 1, _ABSENT, 1)


def _weighted(*choices: Any) -> st.SearchStrategy[Any]:
    """Pick among (strategy, weight) pairs (st.one_of gives every branch similar odds)."""
    pairs = list(zip(choices[::2], choices[1::2], strict=True))
    table = [strategy for strategy, weight in pairs for _ in range(weight)]
    return st.sampled_from(table).flatmap(lambda strategy: strategy)


def _members(strategies: Mapping[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(dict(strategies)).map(
        lambda drawn: {k: v for k, v in drawn.items() if v is not _MISSING}
    )


fuzzed_claims = _members(
    {
        "iss": _mostly(st.just(TEST_ISSUER)),
        "aud": _mostly(st.sampled_from([AUD, [AUD], AUD + "/", "https://other.example.test"])),
        "exp": _mostly(st.integers(-100, 4000).map(lambda s: int(time.time()) + s)),
        "iat": _mostly(st.integers(-4000, 100).map(lambda s: int(time.time()) + s)),
        "jti": _mostly(st.uuids().map(str)),
        "nbf": _weighted(_ABSENT, 9, json_values, 1),
        "tenant": _weighted(_ABSENT, 1, json_values, 1),
    }
)
fuzzed_headers = _members(
    {
        "typ": _weighted(st.just("JWT"), 6, _ABSENT, 3, json_values, 1),
        "jku": _weighted(_ABSENT, 9, json_values, 1),
        "crit": _weighted(_ABSENT, 9, json_values, 1),
    }
)


@settings(max_examples=examples(0.67), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.one_of(st.text(max_size=200), st.text(max_size=50).map(lambda t: "Bearer " + t)))
def test_fuzzed_authorization_headers_only_raise_auth_error(
    make_verifier: MakeVerifier, header: str
) -> None:
    with pytest.raises(AuthError):
        make_verifier().verify(header, AUD)


@settings(max_examples=examples(), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(claims=fuzzed_claims, headers=fuzzed_headers)
def test_fuzzed_signed_tokens_only_raise_auth_error(
    make_verifier: MakeVerifier, claims: dict[str, Any], headers: dict[str, Any]
) -> None:
    """Correctly signed tokens with arbitrary claims and headers: accepted or AuthError only."""
    key = make_keys().ec
    payload = json.dumps(claims).encode()
    token = jwt.api_jws.encode(
        payload, key.private_key, algorithm="ES384", headers={**headers, "kid": key.kid}
    )
    try:
        client = make_verifier().verify(bearer(token), AUD)
    except AuthError as exc:
        event(f"rejected: {exc.reason.split(' (')[0][:30]}")
        return
    event("accepted")
    assert client.iss == TEST_ISSUER
    assert claims["aud"] == AUD or AUD in claims["aud"]


# -- trusted clients file -----------------------------------------------------------------------


def test_trusted_clients_file_round_trip(tmp_path: Path) -> None:
    path = write_trusted_clients(
        tmp_path / "clients.json",
        [
            client_entry(fhir_servers=["https://fhir.example.test/r4/", "http://127.0.0.1:8090"]),
            client_entry(OTHER_ISSUER, jwks_uri="https://other-ehr.example.test/jwks.json"),
        ],
    )
    clients = load_trusted_clients(path)
    assert set(clients) == {TEST_ISSUER, OTHER_ISSUER}
    ours = clients[TEST_ISSUER]
    assert ours.fhir_servers == ("https://fhir.example.test/r4", "http://127.0.0.1:8090")
    assert ours.jwks is not None
    assert ours.jwks_uri is None
    assert clients[OTHER_ISSUER] == TrustedClient(
        OTHER_ISSUER, "https://other-ehr.example.test/jwks.json", None, ()
    )
    assert load_trusted_clients(None) == {}


_JWKS = jwks_for(make_keys())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"iss": "x"}, "list"),
        (["not an object"], "object"),
        ([{"jwks": _JWKS, "fhir_servers": []}], "iss"),
        ([{"iss": "", "jwks": _JWKS, "fhir_servers": []}], "iss"),
        ([{"iss": "a", "fhir_servers": []}], "exactly one"),
        (
            [{"iss": "a", "jwks": _JWKS, "jwks_uri": "https://a/j", "fhir_servers": []}],
            "exactly one",
        ),
        ([{"iss": "a", "jwks_uri": "http://a.example.test/jwks", "fhir_servers": []}], "https"),
        ([{"iss": "a", "jwks_uri": "file:///etc/passwd", "fhir_servers": []}], "https"),
        ([{"iss": "a", "jwks": {"keys": "no"}, "fhir_servers": []}], "keys"),
        ([{"iss": "a", "jwks": {"keys": [{"kty": "EC"}]}, "fhir_servers": []}], "kid"),
        (
            [{"iss": "a", "jwks": {"keys": [{"kid": "k", "d": "secret"}]}, "fhir_servers": []}],
            "private",
        ),
        ([{"iss": "a", "jwks": _JWKS}], "fhir_servers"),
        ([{"iss": "a", "jwks": _JWKS, "fhir_servers": "https://f"}], "list"),
        ([{"iss": "a", "jwks": _JWKS, "fhir_servers": [3]}], "url"),
        ([{"iss": "a", "jwks": _JWKS, "fhir_servers": ["not a url"]}], "url"),
        ([{"iss": "a", "jwks": _JWKS, "fhir_servers": ["http://fhir.example.test"]}], "https"),
        ([{"iss": "a", "jwks": _JWKS, "fhir_servers": [], "jku": "https://x"}], "unknown keys"),
        ([client_entry("a"), client_entry("a")], "duplicate"),
    ],
)
def test_malformed_trusted_clients_are_refused(data: Any, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_trusted_clients(data)
    assert message.lower() in str(caught.value).lower()


def test_unreadable_trusted_clients_file_is_a_config_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("[{", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_trusted_clients(str(broken))
    with pytest.raises(ConfigError, match="cannot be read"):
        load_trusted_clients(str(tmp_path / "missing.json"))


def _jti_of(token: str) -> str:
    jti: str = jwt.decode(token, options={"verify_signature": False})["jti"]
    return jti


def test_a_jwks_host_dripping_its_headers_is_cut_at_the_total_deadline(
    https_server: HttpsTestServer,
) -> None:
    """Each byte arrives well within the per-read timeout; only a total deadline stops it (the
    whole answer would take about 10 s, and the per-URL lock is held meanwhile)."""
    uri = https_server.serve_dripping("/slow.json", jwks_for(make_keys()), drip_s=0.03)
    cache = JwksCache(
        cache_s=300, timeout_s=0.5, ca_bundle=str(https_server.ca_file), cooldown_s=30
    )
    started = time.monotonic()
    with pytest.raises(AuthError, match="JWKS unavailable"):
        cache.keys(uri, "any")
    assert time.monotonic() - started < 4.0  # budget 2 × 0.5 s, slack for a loaded machine


def test_the_jwks_download_ignores_proxy_settings_of_the_environment(
    https_server: HttpsTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    uri = https_server.serve_json("/jwks.json", jwks_for(make_keys()))
    cache = JwksCache(
        cache_s=300, timeout_s=2.0, ca_bundle=str(https_server.ca_file), cooldown_s=30
    )
    assert cache.keys(uri, "test-ec-1") != []
