"""Outcomes: what the customer did after a recommendation."""

from __future__ import annotations

from sqlalchemy.orm import Session

from referral_api.errors import InputError
from referral_api.schemas import OutcomeCreate
from referral_api.store.models import Outcome, RecommendationRecord, utcnow
from referral_api.store.repositories import OutcomeRepository


def record_outcome(
    session: Session, record: RecommendationRecord, body: OutcomeCreate, *, recorded_by: str
) -> Outcome:
    """Record what the customer did; the chosen offering must be one the customer was shown."""
    shown = {item["offering_id"] for item in record.ranking}
    if body.offering_id is not None and body.offering_id not in shown:
        raise InputError(
            f"{body.offering_id!r} was not among the results of {record.id}",
            fields=[{"field": "offering_id", "message": "not among this recommendation's results"}],
        )
    return OutcomeRepository(session).add(
        Outcome(
            recommendation_id=record.id,
            outcome=body.outcome.value,
            offering_id=body.offering_id,
            note=body.note,
            recorded_by=recorded_by,
            recorded_at=utcnow(),
        )
    )
