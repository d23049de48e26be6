"""Named dependencies: declared once, used by every route."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from referral_api.config import Settings
from referral_api.errors import RateLimited
from referral_api.http.metrics import Metrics
from referral_api.http.session_codec import SessionCodec
from referral_api.service.engines import EngineHolder, LoadedEngine
from referral_api.service.keys import (
    Admission,
    AuthenticationThrottled,
    Principal,
    Scope,
    authenticate,
)
from referral_api.service.recording import RecordBuffer
from referral_api.store.db import Database

Clock = Callable[[], dt.datetime]


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def get_admission(request: Request) -> Admission:
    admission: Admission = request.app.state.admission
    return admission


def get_clock(request: Request) -> Clock:
    """The time rate-limit windows and report windows are counted in (tests fix it)."""
    clock: Clock = request.app.state.clock
    return clock


def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


def get_records(request: Request) -> RecordBuffer:
    records: RecordBuffer = request.app.state.records
    return records


def get_session_codec(request: Request) -> SessionCodec:
    codec: SessionCodec = request.app.state.session_codec
    return codec


def get_session(request: Request) -> Iterator[Session]:
    """The request's unit of work: committed when the route returns, rolled back if it raises."""
    write = request.method not in ("GET", "HEAD", "OPTIONS")
    with get_database(request).session(write=write) as session:
        yield session


def get_engine_holder(request: Request) -> EngineHolder:
    holder: EngineHolder = request.app.state.engines
    return holder


# FastAPI runs a plain ``def`` dependency in the thread pool: a hop per dependency per request.
# Reading application state cannot block, so these are resolved on the event loop instead.


async def get_engine(request: Request) -> LoadedEngine:
    """The engine for the active catalogue (503 until one is loaded); a dependency."""
    return get_engine_holder(request).current


async def _settings(request: Request) -> Settings:
    return get_settings(request)


async def _database(request: Request) -> Database:
    return get_database(request)


async def _engine_holder(request: Request) -> EngineHolder:
    return get_engine_holder(request)


async def _now(request: Request) -> dt.datetime:
    return get_clock(request)()


async def _metrics(request: Request) -> Metrics:
    return get_metrics(request)


async def _records(request: Request) -> RecordBuffer:
    return get_records(request)


SettingsDep = Annotated[Settings, Depends(_settings)]
DatabaseDep = Annotated[Database, Depends(_database)]
# scope="function": commit before the response is sent, so a failed commit is never a 2xx
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
EngineDep = Annotated[LoadedEngine, Depends(get_engine)]
EngineHolderDep = Annotated[EngineHolder, Depends(_engine_holder)]
#: now, by the app's clock
NowDep = Annotated[dt.datetime, Depends(_now)]
MetricsDep = Annotated[Metrics, Depends(_metrics)]
RecordsDep = Annotated[RecordBuffer, Depends(_records)]

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key: `Authorization: Bearer rk_…` (or `pk_…` from a widget's origin).",
)


def cross_origin(request: Request) -> str | None:
    """The request's Origin when it is another site than this one (browsers send it)."""
    origin = request.headers.get("origin")
    if origin is None:
        return None
    own = f"{request.url.scheme}://{request.headers.get('host', '')}".lower()
    return None if origin.lower() == own else origin


def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The caller's key, checked for origin and rate limit (in units of work of their own)."""
    settings = get_settings(request)
    origin = cross_origin(request)
    try:
        principal = authenticate(
            get_database(request),
            credentials.credentials if credentials else None,
            origin=origin,
            sent_origin=request.headers.get("origin"),
            default_rate_limit=settings.rate_limit_per_minute,
            admission=get_admission(request),
            now=get_clock(request)(),
            address=request.client.host if request.client else None,
            failure_limit=settings.auth_failures_per_minute,
        )
    except AuthenticationThrottled:
        raise  # refused before the key and its origins were checked: no CORS
    except RateLimited:
        if origin is not None:  # the origin passed its check: let a widget read the 429
            request.state.cors_origin = origin
        raise
    if origin is not None:
        request.state.cors_origin = origin  # the key allows it: CORS may answer
    return principal


def requires(*scopes: Scope) -> Callable[[Principal], Awaitable[Principal]]:
    async def check(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        principal.require(*scopes)  # no I/O: on the event loop, not a thread (see above)
        return principal

    return check


AnyKey = Annotated[Principal, Depends(get_principal)]
RecommendKey = Annotated[Principal, Depends(requires(Scope.RECOMMEND, Scope.ADVOCATE))]
CuratorKey = Annotated[Principal, Depends(requires(Scope.CURATOR))]
InsightsKey = Annotated[Principal, Depends(requires(Scope.INSIGHTS))]
CatalogReadKey = Annotated[
    Principal, Depends(requires(Scope.CURATOR, Scope.INSIGHTS, Scope.ADVOCATE))
]
