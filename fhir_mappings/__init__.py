"""FHIR R4 -> GistCase. `build_case` is the entry point; `flatten_resources` flattens Bundles."""

from fhir_mappings.build import build_case
from fhir_mappings.intake import flatten_resources

__all__ = ["build_case", "flatten_resources"]
