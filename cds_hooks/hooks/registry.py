"""The hook registry: each CDS service this deployment offers, keyed by service id (not by hook:
two services on the same hook must not collide), with its context schema and its handler.

Discovery, the HTTP views, the OpenAPI document, `gist-cds evaluate` and the landing page all read
this registry, so a new hook is one handler module under `cds_hooks/hooks/` that calls
`register(ServiceDefinition(...))` at import. Transport-free: nothing here imports Flask.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonschema.validators import Draft202012Validator

from cds_hooks.errors import BadRequest, PayloadTooLarge
from cds_hooks.pipeline import HookResult
from cds_hooks.validation import (
    compile_schema,
    count_prefetch_resources,
    schema_errors,
    validation_errors,
)
from logic.knowledge.version import KNOWLEDGE_VERSION

SERVICE_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


@dataclass(frozen=True, slots=True)
class HookSettings:
    """What a handler may use of the running deployment (settings and the calling client's
    FHIR allowlist), so a handler never reaches into Flask."""

    allowed_servers: Collection[str]
    timeout_s: float
    public_base_url: str
    max_resources: int = 20_000
    max_fhir_bytes: int = 32 * 1024 * 1024
    received_bytes: int = 0


#: A validated CDS Hooks request and the runtime settings in, the answer out. Raises
#: fetch.PrefetchUnavailable for a 412 and deadline.RequestDeadlineExceeded for a 503.
Handler = Callable[[Mapping[str, Any], HookSettings], HookResult]


@dataclass(frozen=True, slots=True, eq=False)
class ServiceDefinition:
    id: str
    hook: str
    title: str
    description: str
    prefetch: Mapping[str, str]
    required_keys: frozenset[str]
    usage_requirements: str
    #: JSON Schema (draft 2020-12) of the hook's `context` object.
    context_schema: Mapping[str, Any]
    handler: Handler
    #: Resource types whose `medicationReference` the fetch path reads when the EHR sent only
    #: the reference (a TKI course cannot be recognised without the drug).
    medication_use_types: frozenset[str] = frozenset()
    _context_validator: Draft202012Validator = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.id or not set(self.id) <= SERVICE_ID_CHARS or len(self.id) > 64:
            raise ValueError(f"service id {self.id!r} is not 1-64 of [A-Za-z0-9-_.]")
        missing = self.required_keys - set(self.prefetch)
        if missing:
            raise ValueError(f"service {self.id!r}: required keys {sorted(missing)} not prefetched")
        object.__setattr__(self, "_context_validator", compile_schema(dict(self.context_schema)))

    def context_errors(self, context: Any) -> list[str]:
        """Readable violations of the context schema (empty when valid)."""
        return validation_errors(self._context_validator, context)

    def discovery_entry(self) -> dict[str, Any]:
        return {
            "hook": self.hook,
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "prefetch": dict(self.prefetch),
            "usageRequirements": self.usage_requirements,
            "extension": {"org.gist-cds": {"knowledgeVersion": KNOWLEDGE_VERSION}},
        }


_SERVICES: dict[str, ServiceDefinition] = {}
_LOCK = threading.Lock()
_generation = 0


def register(service: ServiceDefinition) -> ServiceDefinition:
    """Add a service; a second service with the same id is a programming error."""
    global _generation
    with _LOCK:
        if service.id in _SERVICES:
            raise ValueError(f"a CDS service with id {service.id!r} is already registered")
        _SERVICES[service.id] = service
        _generation += 1
    return service


def unregister(service_id: str) -> None:
    """Remove a service (tests registering a throwaway hook clean up with this)."""
    global _generation
    with _LOCK:
        _SERVICES.pop(service_id, None)
        _generation += 1


def generation() -> int:
    """Changes whenever the registry does (lets derived documents cache safely)."""
    return _generation


def services() -> tuple[ServiceDefinition, ...]:
    """Every registered service, in registration order."""
    return tuple(_SERVICES.values())


def find(service_id: str) -> ServiceDefinition | None:
    return _SERVICES.get(service_id)


def for_hook(hook: str) -> tuple[ServiceDefinition, ...]:
    return tuple(s for s in _SERVICES.values() if s.hook == hook)


def discovery_document() -> dict[str, Any]:
    return {"services": [service.discovery_entry() for service in services()]}


def validate_hook_request(
    body: Any, service: ServiceDefinition, *, max_resources: int
) -> dict[str, Any]:
    """The body as a CDS Hooks request this service answers; 400/413 naming what is wrong."""
    if not isinstance(body, dict):
        raise BadRequest("request body must be a JSON object")
    if errors := schema_errors("cds-hooks-request", body):
        raise BadRequest("invalid CDS Hooks request: " + "; ".join(errors))
    if body["hook"] != service.hook:
        raise BadRequest(
            f"service {service.id!r} answers the {service.hook!r} hook, not {body['hook']!r}"
        )
    if errors := service.context_errors(body["context"]):
        raise BadRequest(f"invalid {service.hook} context: " + "; ".join(errors))
    if (count := count_prefetch_resources(body.get("prefetch"))) > max_resources:
        raise PayloadTooLarge(f"prefetch holds {count} resources; the limit is {max_resources}")
    return body


def usage_requirements(prefetch: Mapping[str, str]) -> str:
    """The discovery `usageRequirements` prose, written from the prefetch templates themselves
    so the two cannot drift."""
    types = list(dict.fromkeys(t.split("/", 1)[0].split("?", 1)[0] for t in prefetch.values()))
    listed = ", ".join(types[:-1]) + f" and {types[-1]}" if len(types) > 1 else "".join(types)
    return (
        f"Needs read access to the patient's {listed} resources (prefetch or fhirServer "
        "with fhirAuthorization)."
    )
