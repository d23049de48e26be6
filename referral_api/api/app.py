"""``create_app(settings)``: the FastAPI app, with a lifespan that loads the active catalogue.

The app holds: the :class:`~referral_api.store.db.Database`, the worker's engine (kept in step
with the active catalogue version by :class:`~referral_api.service.engines.EngineHolder`), and its
Prometheus metrics. Every error leaves as problem+json (see :mod:`referral_api.api.problems`).
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

from referral_api import __version__
from referral_api.api.middleware import (
    AllowedHostsMiddleware,
    BodyLimitMiddleware,
    CorsMiddleware,
    Metrics,
    MetricsMiddleware,
    RelativeSlashRedirect,
)
from referral_api.api.problems import PROBLEM_JSON, install_problem_handlers
from referral_api.api.routes import catalog, insights, offerings, operations, recommendations
from referral_api.config import Settings, load_settings
from referral_api.service.engines import EngineFactory, EngineHolder, default_engine_factory
from referral_api.service.keys import Admission
from referral_api.service.recommendations import store_records
from referral_api.service.recording import RecordBuffer
from referral_api.store.db import Database
from referral_api.store.models import utcnow
from referral_api.store.repositories import ApiKeyRepository
from referral_api.web import install_web

log = logging.getLogger("referral_api.api")

DESCRIPTION = """\
Given a customer's need, the best-fitting offering — ours, a partner's or a competitor's — with
reasons and a disclosure on every result. Ranking is ownership-blind; see `GET /v1/ranking`.

Authenticate with `Authorization: Bearer <key>`. Scopes: `recommend` (publishable widget keys,
from their allowed origins only), `advocate`, `curator`, `insights`, `admin` (all). Every error
is `application/problem+json` (RFC 9457).
"""


class ProblemField(BaseModel):
    field: str = Field(description="The failing field, dotted.", examples=["constraints.region"])
    message: str = Field(description="What is wrong with it.", examples=["unknown region"])
    at: str | None = Field(
        default=None, description="file:line, for catalogue problems.", examples=["offerings/x:3"]
    )


class Problem(BaseModel):
    """An error, as RFC 9457 problem details."""

    type: str = Field(
        description="Stable URI of the error kind.",
        examples=["https://honest-referral.example/problems/invalid-input"],
    )
    title: str = Field(description="Short summary of the kind.", examples=["Invalid input"])
    status: int = Field(description="HTTP status.", examples=[422])
    detail: str = Field(description="What happened here.", examples=["1 invalid field(s)"])
    instance: str = Field(description="The request path.", examples=["/v1/recommendations"])
    errors: list[ProblemField] | None = Field(
        default=None,
        description="The failing fields (validation errors).",
        examples=[[{"field": "limit", "message": "Input should be less than or equal to 50"}]],
    )
    retry_after: int | None = Field(
        default=None, description="Seconds to wait (429, 503).", examples=[30]
    )


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
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
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


# A worker ranks on its event loop while its request threads (key checks) and its record
# writer need the GIL only for short stretches between I/O. With CPython's default switch
# interval (5 ms) each of them can wait that long for the loop to let go, several times per
# request, while the loop runs out of requests to work on: with two workers on two cores,
# recommend throughput rose only 1.1-1.35x over one worker (`python -m bench http`). The
# serving process hands the GIL over after 0.5 ms instead.
GIL_SWITCH_SECONDS = 0.0005


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    engine_factory: EngineFactory | None = None,
    poll: bool = True,
    clock: Callable[[], dt.datetime] = utcnow,
) -> FastAPI:
    """Build the application for ``settings``.

    ``database`` and ``engine_factory`` default to the settings' database and the matching
    engine; tests pass their own. ``poll=False`` checks for new catalogue versions only at start.
    ``clock`` is the time rate-limit windows are counted in (tests fix it).
    """
    settings = settings or load_settings()
    database = database or Database.from_url(settings.database_url)
    engines = EngineHolder(
        database,
        engine_factory or default_engine_factory,
        interval_seconds=settings.reload_interval_seconds if poll else 0,
    )

    metrics = Metrics()
    records = RecordBuffer(
        database,
        store_records,
        capacity=settings.record_buffer_size,
        retry_seconds=settings.record_retry_seconds,
        on_change=metrics.record_buffer,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        sys.setswitchinterval(GIL_SWITCH_SECONDS)
        try:
            engines.refresh()
        except Exception:  # serve /healthz, and /readyz says why we are not ready
            log.exception("loading the active catalogue failed")
        engines.start()
        records.start()
        yield
        engines.stop()
        records.stop()  # in-flight requests have finished: write what is still buffered

    app = FastAPI(
        title="Honest Referral",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs" if settings.docs_enabled else None,
        redoc_url="/redoc" if settings.docs_enabled else None,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.engines = engines
    app.state.metrics = metrics
    app.state.records = records
    app.state.clock = clock
    app.state.admission = Admission()

    install_problem_handlers(app)
    for module in (recommendations, offerings, catalog, insights, operations):
        app.include_router(module.router)
    install_web(app, settings)
    # `GET /v1/offerings/` redirects to a relative `/v1/offerings`, never to the Host it came with
    app.router.redirect_slashes = False
    app.router.default = RelativeSlashRedirect(app.router)

    def allowed_origins() -> set[str]:
        with database.session(write=False) as session:
            return ApiKeyRepository(session).allowed_origins()

    # added innermost first: metrics see everything, a wrong Host is refused before anything
    # else looks at the request, CORS wraps every response
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        timeout_seconds=settings.body_timeout_seconds,
    )
    app.add_middleware(CorsMiddleware, allowed_origins=allowed_origins)
    app.add_middleware(AllowedHostsMiddleware, allowed_hosts=settings.trusted_hosts)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def app_from_environment() -> FastAPI:
    """Factory for ``uvicorn --factory`` and multi-worker serving: settings from REFERRAL_*."""
    return create_app(load_settings())
