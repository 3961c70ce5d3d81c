"""Root conftest: registers the fixture plugins that start real servers (FHIR, PostgreSQL)."""

pytest_plugins = [
    "tests.support.fhir_server",
    "tests.support.postgres",
    "tests.support.https_server",
]
