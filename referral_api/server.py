"""``create_app(settings)``: the HTTP server — the API and the pages on one ASGI app.

The composition root: the only module that imports both HTTP doors (``api/`` and ``web/``).
The app holds the :class:`~referral_api.store.db.Database`, the worker's engine (kept in step
with the active catalogue version by :class:`~referral_api.service.engines.EngineHolder`), its
record writer and its Prometheus metrics, read by routes only through
:mod:`referral_api.http.deps`; a lifespan loads the active catalogue once.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from referral_api import __version__
from referral_api.api.app import DESCRIPTION, build_openapi, install_api
from referral_api.api.middleware import (
    AllowedHostsMiddleware,
    BodyLimitMiddleware,
    CorsMiddleware,
    MetricsMiddleware,
    RelativeSlashRedirect,
)
from referral_api.config import Settings, load_settings
from referral_api.http.metrics import Metrics
from referral_api.http.session_codec import SessionCodec
from referral_api.service.engines import EngineFactory, EngineHolder, default_engine_factory
from referral_api.service.keys import Admission
from referral_api.service.recommendations import store_records
from referral_api.service.recording import RecordBuffer
from referral_api.store.db import Database
from referral_api.store.models import utcnow
from referral_api.store.repositories import ApiKeyRepository
from referral_api.web import install_web
from referral_api.web.session import resolve_session_secret

log = logging.getLogger("referral_api.api")


# A worker ranks on its event loop while its request threads (key checks) and its record
# writer need the GIL only for short stretches between I/O. With CPython's default switch
# interval (5 ms) each of them can wait that long for the loop to let go, several times per
# request, while the loop runs out of requests to work on: with two workers on two cores,
# recommend throughput rose only 1.1-1.35x over one worker (`python -m bench http`). The
# serving process hands the GIL over after 0.5 ms instead.
GIL_SWITCH_SECONDS = 0.0005

DOCS_OPTIONS: dict[str, Any] = {
    "static_url": "/docs-assets",
    "favicon_url": "/favicon.ico",
    # Swagger UI's validator badge would send the document to validator.swagger.io
    "swagger_ui_parameters": {"validatorUrl": None},
}


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

    # /docs and /redoc load Swagger UI and ReDoc from this app (fastapi-offline ships them),
    # not from a CDN: they work without internet and name no other host
    app = (FastAPIOffline if settings.docs_enabled else FastAPI)(
        title="Honest Referral",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs" if settings.docs_enabled else None,
        redoc_url="/redoc" if settings.docs_enabled else None,
        **(DOCS_OPTIONS if settings.docs_enabled else {}),
    )
    app.state.settings = settings
    app.state.database = database
    app.state.engines = engines
    app.state.metrics = metrics
    app.state.records = records
    app.state.clock = clock
    app.state.admission = Admission()
    app.state.session_codec = SessionCodec(
        lambda: resolve_session_secret(settings),
        max_age_seconds=settings.session_max_age_seconds,
    )

    install_api(app)
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
