"""The self-preference audit: re-rank recorded needs with relationships masked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from functools import lru_cache

from pydantic import ValidationError
from sqlalchemy.orm import Session

from referral_api.domain import Need
from referral_api.insights.audit import AuditCase, audit_rankings, mask_relationships
from referral_api.schemas import AuditFindingPublic, AuditPublic, RecommendationCreate
from referral_api.service.catalogue import rebuild
from referral_api.service.engines import EngineFactory, RecommendationEngine
from referral_api.store.models import RecommendationRecord
from referral_api.store.repositories import CatalogVersionRepository, RecommendationRepository


def _need_of(record: RecommendationRecord) -> tuple[Need, int]:
    request = RecommendationCreate.model_validate({"need": record.need_text, **record.request})
    return request.to_need(), request.limit


def run_audit(
    session: Session,
    factory: EngineFactory,
    *,
    since: dt.datetime | None,
    limit: int | None = None,
) -> AuditPublic:
    """Re-rank recorded needs with relationships masked; report every ranking that differs."""
    versions = CatalogVersionRepository(session)

    @lru_cache(maxsize=8)
    def engine(version_id: int, masked: bool) -> RecommendationEngine:
        version = versions.get(version_id)
        if version is None:
            raise LookupError(version_id)
        snapshot = rebuild(version)
        catalog = mask_relationships(snapshot.catalog) if masked else snapshot.catalog
        return factory(catalog, snapshot.rules)

    def rank(need: Need, top: int, version_id: int, masked: bool) -> tuple[str, ...]:
        result = engine(version_id, masked).recommend(need, limit=top)
        return tuple(fit.offering.id for fit in result.results)

    unreadable = 0

    def cases() -> Iterator[AuditCase]:
        nonlocal unreadable
        for record in RecommendationRepository(session).since(since, limit=limit):
            try:
                need, top = _need_of(record)
            except ValidationError:  # stored by an older, different request schema
                unreadable += 1
                continue
            yield AuditCase(
                record_id=record.id,
                created_at=record.created_at,
                need=need,
                limit=top,
                recorded=tuple(str(item["offering_id"]) for item in record.ranking),
                catalog_key=record.catalog_version_id,
            )

    report = audit_rankings(cases(), rank)
    return AuditPublic(
        since=since,
        checked=report.checked,
        identical=report.identical,
        differing=report.differing,
        skipped=report.skipped + unreadable,
        not_reproducible=report.not_reproducible,
        findings=[
            AuditFindingPublic(
                recommendation_id=f.record_id,
                created_at=f.created_at,
                ranking=list(f.ranking),
                masked_ranking=list(f.masked_ranking),
            )
            for f in report.findings
        ],
    )
