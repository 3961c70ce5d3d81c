"""Root conftest: registers the fixture plugins that start real servers (FHIR, PostgreSQL) and
loads the Hypothesis profile (GIST_CDS_TEST_HYPOTHESIS_PROFILE: `dev` by default, `ci`)."""

from tests.support.hypothesis_profiles import register_profiles

pytest_plugins = [
    "tests.support.fhir_server",
    "tests.support.postgres",
    "tests.support.https_server",
]

register_profiles()
