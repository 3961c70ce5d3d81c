"""Settings from GIST_CDS_* variables: defaults are safe, bad values refuse to start."""

from __future__ import annotations

import pytest

from cds_hooks.app import check_demo_mode
from cds_hooks.config import ConfigError, Settings, settings_from_env


def test_defaults_have_auth_on_and_a_three_second_budget() -> None:
    settings = settings_from_env({})
    assert settings.auth_enabled
    assert settings.fhir_timeout_s == 3.0
    assert settings.database_url.startswith("sqlite:///")


def test_every_documented_variable_is_read() -> None:
    settings = settings_from_env(
        {
            "GIST_CDS_AUTH": "off",
            "GIST_CDS_PUBLIC_BASE_URL": "https://cds.example.org/",
            "GIST_CDS_TRUSTED_CLIENTS": "/etc/gist/clients.json",
            "GIST_CDS_FHIR_ALLOWLIST": "https://a.example/fhir/, https://b.example/fhir",
            "GIST_CDS_DATABASE_URL": "postgresql://gist@db/gist",
            "GIST_CDS_FHIR_TIMEOUT_S": "1.5",
            "GIST_CDS_CORS_ORIGINS": "https://sandbox.cds-hooks.org",
            "GIST_CDS_MAX_BODY_BYTES": "1000",
            "GIST_CDS_MAX_RESOURCES": "50",
            "GIST_CDS_JWT_LEEWAY_S": "5",
            "GIST_CDS_LOG_LEVEL": "debug",
        }
    )
    assert settings == Settings(
        auth="off",
        public_base_url="https://cds.example.org",
        trusted_clients_path="/etc/gist/clients.json",
        fhir_allowlist=("https://a.example/fhir", "https://b.example/fhir"),
        database_url="postgresql://gist@db/gist",
        fhir_timeout_s=1.5,
        cors_origins=("https://sandbox.cds-hooks.org",),
        max_body_bytes=1000,
        max_resources=50,
        jwt_leeway_s=5,
        log_level="DEBUG",
    )
    assert settings.endpoint_url("cds-services") == "https://cds.example.org/cds-services"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GIST_CDS_AUTH", "maybe"),
        ("GIST_CDS_FHIR_TIMEOUT_S", "soon"),
        ("GIST_CDS_FHIR_TIMEOUT_S", "-1"),
        ("GIST_CDS_MAX_BODY_BYTES", "0"),
    ],
)
def test_bad_values_refuse_to_start(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        settings_from_env({name: value})


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost:9", "http://[::1]:80"])
def test_demo_mode_is_allowed_on_loopback(url: str) -> None:
    check_demo_mode(Settings(auth="off", public_base_url=url))


@pytest.mark.parametrize("url", ["http://10.0.0.5:8080", "https://cds.example.org"])
def test_demo_mode_is_refused_elsewhere(url: str) -> None:
    with pytest.raises(ConfigError, match="loopback"):
        check_demo_mode(Settings(auth="off", public_base_url=url))
