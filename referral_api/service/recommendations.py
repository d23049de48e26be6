"""Recommend and record: ask the engine, build the record, store it with its gap facts."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from referral_api.domain import Need, Recommendation
from referral_api.errors import NotFound
from referral_api.schemas import (
    OutcomePublic,
    RecommendationCreate,
    RecommendationPublic,
    recommendation_body,
)
from referral_api.service.engines import LoadedEngine
from referral_api.service.redaction import redact
from referral_api.store.models import RecommendationRecord, utcnow
from referral_api.store.repositories import GapFactRepository, RecommendationRepository


def new_record_id() -> str:
    return f"rec_{secrets.token_hex(12)}"


@dataclass(frozen=True)
class Recorded:
    """A recommendation as it is stored: the public response (JSON body), the engine's
    recommendation, and the record's column values."""

    body: dict[str, Any]
    recommendation: Recommendation
    record: dict[str, Any]

    @property
    def public(self) -> RecommendationPublic:
        """The response as its model (for the console's templates)."""
        return RecommendationPublic.model_validate(self.body)


def make_recommendation(
    loaded: LoadedEngine,
    body: RecommendationCreate,
    *,
    channel: str,
    key_id: str | None,
    redact_needs: bool,
) -> Recorded:
    """Ask the engine; the response and the record to store (nothing is written here)."""
    need = body.to_need()
    text = redact(need.text) if redact_needs else need.text
    need = Need(text=text, constraints=need.constraints)
    recommendation = loaded.engine.recommend(need, limit=body.limit)
    record_id = new_record_id()
    created_at = utcnow()
    response = recommendation_body(
        recommendation,
        record_id=record_id,
        created_at=created_at,
        channel=channel,
        catalog_version_id=loaded.version_id,
    )
    winner = recommendation.results[0].offering if recommendation.results else None
    record = {
        "id": record_id,
        "created_at": created_at,
        "channel": channel,
        "api_key_id": key_id,
        "need_text": text,
        "request": body.model_dump(mode="json", exclude={"need"}),
        "interpretation": response["interpreted"],
        "ranking": [
            {
                "offering_id": fit["offering"]["id"],
                "rank": fit["rank"],
                "score": fit["score"],
                "relationship": fit["offering"]["relationship"],
            }
            for fit in response["results"]
        ],
        "best_own": response["best_own"],
        "unmet": response["unmet"],
        "winner_offering_id": winner.id if winner else None,
        "winner_relationship": winner.relationship.value if winner else None,
        "response": response,
        "catalog_version_id": loaded.version_id,
        "catalog_version": recommendation.coverage.version,
        "rules_version": recommendation.rules_version,
        "engine_version": recommendation.engine_version,
    }
    return Recorded(response, recommendation, record)


def store_records(session: Session, records: Sequence[dict[str, Any]]) -> None:
    """Write recommendation records (as made by :func:`make_recommendation`) and their gap
    facts, in the same unit of work; the record writer (``service/recording.py``) writes through
    here, a batch of concurrent requests at a time."""
    RecommendationRepository(session).add_values(records)
    GapFactRepository(session).add_for_all(records)


def store_record(session: Session, record: dict[str, Any]) -> None:
    """Write one record and its gap facts (:func:`store_records` of one)."""
    store_records(session, [record])


def recommend_and_record(
    session: Session,
    loaded: LoadedEngine,
    body: RecommendationCreate,
    *,
    channel: str,
    key_id: str | None,
    redact_needs: bool,
) -> Recorded:
    """Ask the engine and store the record in the caller's unit of work."""
    recorded = make_recommendation(
        loaded, body, channel=channel, key_id=key_id, redact_needs=redact_needs
    )
    store_record(session, recorded.record)
    return recorded


def stored_recommendation(
    session: Session, record_id: str
) -> tuple[RecommendationRecord, RecommendationPublic]:
    """A past recommendation exactly as it was made, with its outcome; :class:`NotFound` if none."""
    record = RecommendationRepository(session).get(record_id)
    if record is None:
        raise NotFound(f"no recommendation {record_id}")
    public = RecommendationPublic.model_validate(record.response)
    if record.outcome is not None:
        public.outcome = OutcomePublic.model_validate(record.outcome)
    return record, public
