"""The CDS services of this deployment: a registry (`registry.py`) and one handler module per
service, each registering itself at import. Importing this package imports every handler module
in it, so adding a hook is adding one module here (plus its tests).
"""

from __future__ import annotations

import importlib
import pkgutil

from cds_hooks.hooks.registry import (
    Handler,
    HookSettings,
    ServiceDefinition,
    discovery_document,
    find,
    for_hook,
    generation,
    register,
    services,
    unregister,
    usage_requirements,
    validate_hook_request,
)

__all__ = [
    "Handler",
    "HookSettings",
    "ServiceDefinition",
    "discovery_document",
    "find",
    "for_hook",
    "generation",
    "register",
    "services",
    "unregister",
    "usage_requirements",
    "validate_hook_request",
]


def _load_handlers() -> None:
    """Import every module of this package (sorted, so registration order is stable)."""
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module.name != "registry" and not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")


_load_handlers()
