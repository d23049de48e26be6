"""Insights over recorded requests."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request

from referral_api.api.deps import InsightsKey, SessionDep
from referral_api.api.schemas import AuditPublic
from referral_api.api.services import run_audit

router = APIRouter(prefix="/v1/insights", tags=["insights"])


@router.get("/audit")
def self_preference_audit(
    request: Request,
    principal: InsightsKey,
    session: SessionDep,
    since: Annotated[
        dt.datetime | None,
        Query(description="Only records from this time on.", examples=["2026-11-01T00:00:00Z"]),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=5000, description="Most records to re-rank.", examples=[500])
    ] = 500,
) -> AuditPublic:
    """Re-rank recorded needs with owners masked; report rankings that differ (expected: none)."""
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    return run_audit(session, request.app.state.engines.factory, since=since, limit=limit)
