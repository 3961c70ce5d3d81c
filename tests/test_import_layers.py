"""Import-layer contracts, checked on the source (AST, every import statement including those
inside functions): dependencies point one way, cds_hooks → fhir_mappings → logic, and only the
tests use the sandbox (the local demo and the Medplum FHIR router glue)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIRST_PARTY = ("cds_hooks", "fhir_mappings", "logic", "sandbox", "benchmarks", "tests")

#: package -> top-level modules it must never import
FORBIDDEN: dict[str, frozenset[str]] = {
    "logic": frozenset({"flask", "fhir", "fhir_mappings", "cds_hooks", "sandbox", "tests"}),
    "fhir_mappings": frozenset({"flask", "cds_hooks", "sandbox", "tests"}),
    "cds_hooks": frozenset({"sandbox", "tests", "benchmarks"}),
    "benchmarks": frozenset({"sandbox", "tests"}),
}


def imported_modules(path: Path, root: Path = ROOT) -> set[str]:
    """Absolute module names imported by `path` (relative imports resolved against it)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = path.relative_to(root).with_suffix("").parts[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                found.add(node.module or "")
            else:
                base = package[: len(package) - node.level + 1]
                found.add(".".join([*base, node.module] if node.module else base))
    return found


def top_level_imports(package: str) -> dict[str, set[str]]:
    """file (relative to the repo) -> top-level names of the modules it imports."""
    return {
        path.relative_to(ROOT).as_posix(): {m.split(".")[0] for m in imported_modules(path)}
        for path in sorted((ROOT / package).rglob("*.py"))
        if "node_modules" not in path.parts
    }


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_nothing_forbidden(package: str) -> None:
    files = top_level_imports(package)
    assert len(files) > 3  # the package was found: the check is not vacuous
    offenders = {
        name: sorted(modules & FORBIDDEN[package])
        for name, modules in files.items()
        if modules & FORBIDDEN[package]
    }
    assert offenders == {}


def test_only_tests_and_the_sandbox_import_the_sandbox() -> None:
    importers = {
        name
        for package in FIRST_PARTY
        for name, modules in top_level_imports(package).items()
        if "sandbox" in modules
    }
    assert importers  # the tests do use it: the search sees real imports
    assert {name.split("/")[0] for name in importers} <= {"tests", "sandbox"}


def test_the_checker_sees_imports_inside_functions_and_relative_ones(tmp_path: Path) -> None:
    sample = tmp_path / "logic" / "rules" / "probe.py"
    sample.parent.mkdir(parents=True)
    sample.write_text(
        "def f():\n    import flask\n    from .. import case\n    from .x import y\n",
        encoding="utf-8",
    )
    assert imported_modules(sample, tmp_path) == {"flask", "logic", "logic.rules.x"}
