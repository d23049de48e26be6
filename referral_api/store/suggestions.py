"""Vocabulary suggestions in the database: the needs they are mined from, and decisions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from referral_api.errors import Conflict
from referral_api.insights.suggestions import EvidenceNeed
from referral_api.store.models import Outcome, RecommendationRecord, SuggestionDecision
from referral_api.store.records import record_from_row
from referral_api.store.repositories import Repository


class SuggestionRepository(Repository):
    """The recorded needs suggestions read, and curators' decisions on suggestions."""

    def evidence(
        self, *, since: dt.datetime, until: dt.datetime | None, limit: int
    ) -> list[EvidenceNeed]:
        """The newest ``limit`` records of the window (newest first; ``until`` None: no end),
        each with the offering its outcome names; only the columns a suggestion reads."""
        columns = (
            RecommendationRecord.id,
            RecommendationRecord.created_at,
            RecommendationRecord.channel,
            RecommendationRecord.catalog_version_id,
            RecommendationRecord.need_text,
            RecommendationRecord.interpretation,
            Outcome.offering_id,
        )
        query = (
            select(*columns)
            .outerjoin(Outcome, Outcome.recommendation_id == RecommendationRecord.id)
            .where(RecommendationRecord.created_at >= since)
            .order_by(RecommendationRecord.created_at.desc(), RecommendationRecord.id.desc())
            .limit(limit)
        )
        if until is not None:
            query = query.where(RecommendationRecord.created_at < until)
        needs = []
        for row in self.session.execute(query):
            values = row._asdict()
            values["response"] = {"interpreted": values.pop("interpretation") or {}}
            chosen = values.pop("offering_id")
            needs.append(EvidenceNeed(record_from_row(values), chosen))
        return needs

    def decision(self, suggestion_id: str) -> SuggestionDecision | None:
        return self.session.get(SuggestionDecision, suggestion_id)

    def decided_ids(self) -> frozenset[str]:
        return frozenset(self.session.scalars(select(SuggestionDecision.id)))

    def decisions(
        self, *, status: str | None = None, limit: int = 100
    ) -> Sequence[SuggestionDecision]:
        """Decisions, newest first (of one status when given)."""
        query = select(SuggestionDecision).order_by(
            SuggestionDecision.decided_at.desc(), SuggestionDecision.id
        )
        if status is not None:
            query = query.where(SuggestionDecision.status == status)
        return self.session.scalars(query.limit(limit)).all()

    def decide(self, decision: SuggestionDecision) -> SuggestionDecision:
        """Store a decision; :class:`Conflict` when the suggestion was already decided (also by
        a concurrent request)."""
        if self.decision(decision.id) is not None:
            raise Conflict(f"suggestion {decision.id} was already decided")
        try:
            with self.session.begin_nested():
                self.session.add(decision)
                self.session.flush()
        except IntegrityError as exc:
            raise Conflict(f"suggestion {decision.id} was already decided") from exc
        return decision
