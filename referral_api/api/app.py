"""The JSON API's part of the application: its routes, its problem handlers, its OpenAPI document.

:func:`install_api` adds them to the app :func:`referral_api.server.create_app` builds. Every
error leaves as problem+json (see :mod:`referral_api.api.problems`).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from referral_api.api.problems import PROBLEM_JSON, install_problem_handlers
from referral_api.api.routes import (
    catalog,
    insights,
    offerings,
    operations,
    recommendations,
    suggestions,
)
from referral_api.schemas.problems import ProblemPublic

log = logging.getLogger("referral_api.api")

DESCRIPTION = """\
Given a customer's need, the best-fitting offering — ours, a partner's or a competitor's — with
reasons and a disclosure on every result. Ranking is ownership-blind; see `GET /v1/ranking`.

Authenticate with `Authorization: Bearer <key>`. Scopes: `recommend` (publishable widget keys,
from their allowed origins only), `advocate`, `curator`, `insights`, `admin` (all). Every error
is `application/problem+json` (RFC 9457).
"""


PROBLEM_STATUSES = {
    "400": "The Host header names no host this service answers for (REFERRAL_ALLOWED_HOSTS).",
    "401": "No key, or an unknown or revoked one.",
    "403": "The key lacks the scope, or may not be used from this origin.",
    "404": "No such resource.",
    "408": "The request body did not arrive in time (REFERRAL_BODY_TIMEOUT_SECONDS).",
    "409": "Conflicts with the current state.",
    "413": "Request body over the limit.",
    "422": "Invalid input; `errors` names the failing fields.",
    "429": "Rate limit reached; see Retry-After.",
    "503": "Not ready (no catalogue loaded) or the database is busy; see Retry-After.",
}


def _problem_codes(method: str, path: str, operation: dict[str, Any]) -> list[str]:
    codes = ["400", "422", "503"]
    if operation.get("security"):
        codes += ["401", "403", "429"]
    if "{" in path:
        codes.append("404")
    if method in ("post", "put", "delete"):
        codes += ["408", "409", "413"]
    return sorted(set(codes))


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with every error documented as problem+json."""
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    problem = ProblemPublic.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    content = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, path_item in schema.get("paths", {}).items():
        for method, operation in path_item.items():
            responses = operation.setdefault("responses", {})
            for code in _problem_codes(method, path, operation):
                described = responses.get(code, {}).get("description")
                responses[code] = {
                    "description": described or PROBLEM_STATUSES[code],
                    "content": content,
                }
    return schema


def install_api(app: FastAPI) -> None:
    """Serve the v1 API from ``app``: its routes, and every error as problem+json."""
    install_problem_handlers(app)
    for module in (recommendations, offerings, catalog, insights, suggestions, operations):
        app.include_router(module.router)
