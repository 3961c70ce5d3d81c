"""Dependency rules, checked on the source (AST): fhir_mappings imports no flask, and only
fhir_mappings/r4b.py imports fhir.resources."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "fhir_mappings"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def sources() -> list[Path]:
    files = sorted(PACKAGE.rglob("*.py"))
    assert PACKAGE / "r4b.py" in files
    return files


def test_no_flask_in_fhir_mappings() -> None:
    offenders = [
        p.name for p in sources() if any(m.split(".")[0] == "flask" for m in imported_modules(p))
    ]
    assert offenders == []


def test_only_r4b_imports_fhir_resources() -> None:
    importers = [
        p.relative_to(PACKAGE).as_posix()
        for p in sources()
        if any(m == "fhir" or m.startswith("fhir.") for m in imported_modules(p))
    ]
    assert importers == ["r4b.py"]
