"""Insights over recorded requests: the self-preference audit and the gap report."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from referral_api.http.deps import EngineHolderDep, InsightsKey, NowDep, SessionDep
from referral_api.insights.export import gaps_csv
from referral_api.insights.report import gap_clusters, gap_report
from referral_api.schemas import (
    AuditPublic,
    ClustersPublic,
    GapQuery,
    GapsPublic,
    clusters_public,
    gaps_public,
)
from referral_api.service.audit import run_audit
from referral_api.service.gaps import capability_labels, offering_names, rules_stopwords
from referral_api.store.repositories import GapFactRepository

router = APIRouter(prefix="/v1/insights", tags=["insights"])

GapQueryDep = Annotated[GapQuery, Query()]


@router.get("/audit")
def self_preference_audit(
    principal: InsightsKey,
    session: SessionDep,
    holder: EngineHolderDep,
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
    return run_audit(session, holder.factory, since=since, limit=limit)


@router.get("/gaps")
def gaps(
    principal: InsightsKey,
    session: SessionDep,
    now: NowDep,
    holder: EngineHolderDep,
    query: GapQueryDep,
) -> GapsPublic:
    """Needs our own offerings do not serve: by capability and kind, with trends and outcomes."""
    where = query.to_filter(now)
    report = gap_report(GapFactRepository(session), where, kinds=query.kinds(), limit=query.limit)
    return gaps_public(report, capability_labels(holder), offering_names(holder))


@router.get(
    "/gaps.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The gaps as CSV."}},
)
def gaps_as_csv(
    principal: InsightsKey,
    session: SessionDep,
    now: NowDep,
    holder: EngineHolderDep,
    query: GapQueryDep,
) -> Response:
    """The gap report as CSV (cells that a spreadsheet would run as formulas are neutralised)."""
    where = query.to_filter(now)
    report = gap_report(GapFactRepository(session), where, kinds=query.kinds(), limit=query.limit)
    return Response(
        gaps_csv(report, capability_labels(holder), offering_names(holder)),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="gaps.csv"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/clusters")
def clusters(
    principal: InsightsKey,
    session: SessionDep,
    now: NowDep,
    holder: EngineHolderDep,
    query: GapQueryDep,
) -> ClustersPublic:
    """Similar unserved and not-understood needs grouped, with their terms and customers' words."""
    where = query.to_filter(now)
    found = gap_clusters(
        GapFactRepository(session),
        where,
        kinds=query.kinds(),
        labels=capability_labels(holder),
        stopwords=rules_stopwords(holder),
        limit=query.limit,
    )
    return clusters_public(found, where.since, where.until)
