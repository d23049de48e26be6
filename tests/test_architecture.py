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


# --- import direction between packages (ARCHITECTURE.md) -------------------------------------

#: each top-level package or module of referral_api, by layer: a module may import its own
#: layer (peers, except doors) and any layer below it
LAYERS: dict[str, int] = {
    "__init__": 0, "config": 0, "errors": 0, "memory": 0, "domain": 0,
    "curation": 1, "matching": 1, "insights": 1,
    "store": 2,
    "schemas": 3,
    "service": 4,
    "http": 5,
    "api": 6, "web": 6, "cli": 6,
    "server": 7,
}  # fmt: skip
DOORS = frozenset({"api", "web", "cli"})
#: the one upward arrow: `referral serve` and `referral openapi` start the composed server
ALLOWED = frozenset({("cli", "server")})


def _unit(module: str) -> str:
    """``referral_api.api.routes.x`` → ``api``; ``referral_api`` → ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imported(source: str, package: list[str]) -> list[tuple[int, str]]:
    """Every ``referral_api`` module ``source`` imports (``package``: where it sits, for
    relative imports), with its line."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            if module == "referral_api":  # `from referral_api import server` imports a unit
                found += [
                    (node.lineno, f"{module}.{alias.name}" if alias.name in LAYERS else module)
                    for alias in node.names
                ]
            else:
                found.append((node.lineno, module))
    return [(line, name) for line, name in found if name.split(".")[0] == "referral_api"]


def layer_offences(sources: dict[str, str]) -> list[str]:
    """Imports against the layering, as ``path:line: a imports b``.

    ``sources`` maps a path under ``referral_api/`` (``web/routes.py``) to its source text.
    """
    offences = []
    for path, source in sorted(sources.items()):
        parts = path.removesuffix(".py").split("/")
        package = ["referral_api", *parts[:-1]]
        here = parts[0]
        for line, module in _imported(source, package):
            there = _unit(module)
            if there == here:
                continue
            if here not in LAYERS or there not in LAYERS:
                offences.append(f"{path}:{line}: {here} imports {there}, which has no layer")
                continue
            lower = LAYERS[there] < LAYERS[here]
            peer = LAYERS[there] == LAYERS[here] and here not in DOORS
            if not (lower or peer or (here, there) in ALLOWED):
                offences.append(f"{path}:{line}: {here} imports {there}")
    return offences


def test_imports_follow_the_layers() -> None:
    """domain ← curation/matching/insights ← store ← schemas ← service ← http ← api/web/cli
    ← server, and no door (api, web, cli) imports another."""
    sources = {
        str(path.relative_to(PACKAGE)): path.read_text(encoding="utf-8")
        for path in PACKAGE.rglob("*.py")
    }
    assert layer_offences(sources) == []


@pytest.mark.parametrize(
    ("path", "source", "offence"),
    [
        ("web/routes.py", "from referral_api.api.deps import SessionDep",
         "web/routes.py:1: web imports api"),
        # a relative import is resolved before it is judged
        ("web/routes.py", "from ..cli import app", "web/routes.py:1: web imports cli"),
        ("store/x.py", "\nimport referral_api.service.keys", "store/x.py:2: store imports service"),
        ("domain/x.py", "from referral_api.matching import Engine",
         "domain/x.py:1: domain imports matching"),
        ("api/x.py", "from referral_api import server", "api/x.py:1: api imports server"),
        ("service/x.py", "from referral_api.nowhere import y",
         "service/x.py:1: service imports nowhere, which has no layer"),
    ],
)  # fmt: skip
def test_the_layer_check_reports_a_wrong_import(path: str, source: str, offence: str) -> None:
    """The checker is not vacuous: each wrong arrow is reported, with file and line."""
    assert layer_offences({path: source}) == [offence]


def test_the_layer_check_allows_the_right_imports() -> None:
    """Downward imports, peers of a lower layer, and the CLI starting the server pass."""
    sources = {
        "api/routes/x.py": "from referral_api.service.keys import Scope\nfrom ..schemas import A",
        "matching/x.py": "from referral_api.curation import load_rules",
        "cli/serve.py": "from referral_api.server import create_app",
    }
    assert layer_offences(sources) == []
