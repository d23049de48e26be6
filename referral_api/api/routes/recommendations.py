"""Recommendations: ask, look up a past one exactly as it was made, record what happened."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Path, Response

from referral_api.errors import Forbidden
from referral_api.http.deps import (
    AnyKey,
    EngineDep,
    MetricsDep,
    RecommendKey,
    RecordsDep,
    SessionDep,
    SettingsDep,
)
from referral_api.schemas import (
    OutcomeCreate,
    OutcomePublic,
    RecommendationCreate,
    RecommendationPublic,
)
from referral_api.service import outcomes
from referral_api.service.keys import Scope
from referral_api.service.recommendations import make_recommendation, stored_recommendation

router = APIRouter(prefix="/v1/recommendations", tags=["recommendations"])
RECORD_HEADER = "X-Record"

RecordId = Annotated[
    str,
    Path(
        description="Recommendation id.",
        examples=["rec_3f9a"],
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
    ),
]


@router.post(
    "",
    status_code=201,
    response_model=RecommendationPublic,
    responses={
        201: {
            "headers": {
                RECORD_HEADER: {
                    "description": "stored, or buffered while the database does not answer "
                    "(written when it does), or dropped when the buffer is full",
                    "schema": {"type": "string", "enum": ["stored", "buffered", "dropped"]},
                }
            }
        }
    },
)
async def create_recommendation(
    body: RecommendationCreate,
    principal: RecommendKey,
    engine: EngineDep,
    settings: SettingsDep,
    records: RecordsDep,
    metrics: MetricsDep,
) -> Response:
    """Recommend the best-fitting offerings for a need, with reasons and disclosures."""
    # On the event loop, not in a thread: ranking is pure CPU over the worker's in-memory
    # index (a few milliseconds at most; no I/O), and a thread would only add a hop and contend
    # for the GIL. The record is written by the record writer, a batch of requests at a time.
    recorded = make_recommendation(
        engine,
        body,
        channel=principal.channel.value,
        key_id=principal.key_id,
        redact_needs=settings.redact_needs,
    )
    # the database may be away: the answer is served, its record stored now or buffered
    status = await records.store(recorded)
    results = recorded.recommendation.results
    winner = results[0].offering.relationship.value if results else "none"
    metrics.recommendations.labels(winner).inc()
    # the body is the public model already serialised for the record: send it as it is
    return Response(
        orjson.dumps(recorded.body),
        status_code=201,
        media_type="application/json",
        headers={RECORD_HEADER: status},
    )


@router.get("/{record_id}")
def get_recommendation(
    record_id: RecordId, principal: AnyKey, session: SessionDep
) -> RecommendationPublic:
    """A past recommendation, exactly as it was made (with its outcome, if recorded)."""
    record, public = stored_recommendation(session, record_id)
    if not principal.has(Scope.ADVOCATE, Scope.INSIGHTS) and record.api_key_id != principal.key_id:
        raise Forbidden("this key reads only the recommendations it asked for")
    return public


@router.post("/{record_id}/outcome", status_code=201)
def record_outcome(
    record_id: RecordId, body: OutcomeCreate, principal: RecommendKey, session: SessionDep
) -> OutcomePublic:
    """Record what the customer did after a recommendation (once per recommendation)."""
    record, _ = stored_recommendation(session, record_id)
    if not principal.has(Scope.ADVOCATE) and record.api_key_id != principal.key_id:
        raise Forbidden("a recommend-only key records outcomes of its own recommendations only")
    outcome = outcomes.record_outcome(session, record, body, recorded_by=principal.name)
    return OutcomePublic.model_validate(outcome)
