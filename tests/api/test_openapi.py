"""The committed OpenAPI document is the app's, and documents every field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from referral_api.config import Settings
from referral_api.server import create_app

COMMITTED = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app(Settings(database_url="sqlite://")).openapi()


def test_committed_openapi_matches_the_app(document: dict[str, Any]) -> None:
    """Regenerate with `make openapi` when this fails."""
    assert json.loads(COMMITTED.read_text(encoding="utf-8")) == document


def test_every_field_has_a_description_and_an_example(document: dict[str, Any]) -> None:
    missing = []
    for name, schema in document["components"]["schemas"].items():
        for field, spec in schema.get("properties", {}).items():
            if "description" not in spec:
                missing.append(f"{name}.{field}: description")
            if "examples" not in spec and "example" not in spec:
                missing.append(f"{name}.{field}: example")
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                if "description" not in parameter or not (
                    "examples" in parameter
                    or "example" in parameter
                    or "examples" in parameter.get("schema", {})
                ):
                    missing.append(f"{method.upper()} {path} {parameter['name']}")
    assert missing == []


def test_every_operation_has_a_summary_line_and_problem_errors(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation.get("description"), f"{method} {path}"
            assert "422" in operation["responses"], f"{method} {path}"
            problem = operation["responses"]["422"]["content"]
            assert "application/problem+json" in problem


def test_operations_with_a_body_document_its_limits(document: dict[str, Any]) -> None:
    """A body may be too large (413) or too slow (408): both are answered before any route."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in ("post", "put", "delete"):
                assert {"408", "413"} <= operation["responses"].keys(), f"{method} {path}"
