"""The engine and the domain stay pure: they import neither the web framework nor SQL."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "referral_api"
FORBIDDEN = ("fastapi", "starlette", "sqlalchemy", "alembic", "uvicorn", "psycopg", "jinja2")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("layer", ["domain", "matching", "curation", "insights"])
def test_pure_layers_import_no_framework(layer: str) -> None:
    """Pure layers never import HTTP or SQL libraries, directly."""
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(_imports(path) & set(FORBIDDEN))
        for path in (PACKAGE / layer).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_nothing_else_reads_the_environment() -> None:
    """Settings are the only reader of ``os.environ`` (CLI flags override them)."""
    readers = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv", "environb"}:
                readers.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert readers == []
