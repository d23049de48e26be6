"""Liveness, readiness and metrics."""

from __future__ import annotations

import os

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError

from referral_api.http.deps import DatabaseDep, EngineHolderDep, InsightsKey, MetricsDep, RecordsDep
from referral_api.schemas import HealthPublic, ReadyPublic

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> HealthPublic:
    """Liveness: the process answers."""
    return HealthPublic(status="ok")


@router.get("/readyz", responses={503: {"description": "Not ready: no catalogue loaded."}})
def readyz(engines: EngineHolderDep, database: DatabaseDep, records: RecordsDep) -> ReadyPublic:
    """Readiness: an engine is loaded (and whether the database answers)."""
    loaded = engines.current
    try:
        with database.session(write=False) as session:
            session.execute(text("SELECT 1"))
        database_ok = True
    except (OperationalError, DBAPIError):
        database_ok = False
    state = records.state()
    degraded = not database_ok or state.buffered > 0
    return ReadyPublic(
        status="degraded" if degraded else "ready",
        database="ok" if database_ok else "unreachable",
        records_buffered=state.buffered,
        records_dropped=state.dropped,
        catalog_version_id=loaded.version_id,
        catalog_version=loaded.catalog.info.version,
        rules_version=loaded.rules.version,
        worker=os.getpid(),
    )


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format."}},
)
def metrics(principal: InsightsKey, registry: MetricsDep) -> Response:
    """Prometheus metrics of this worker: requests by route, latency, recommendations by winner."""
    body = generate_latest(registry.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
