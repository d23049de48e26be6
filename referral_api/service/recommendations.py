"""Recommend and record: ask the engine, build the record, store it with its gap facts."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from referral_api.domain import (
    Disclosure,
    Need,
    Offering,
    Recommendation,
    RecommendationRecord,
    record_of,
)
from referral_api.errors import NotFound
from referral_api.matching.explain import disclosure
from referral_api.schemas import (
    ConstraintsCreate,
    OutcomePublic,
    RecommendationCreate,
    RecommendationPublic,
    recommendation_body,
)
from referral_api.service.engines import LoadedEngine, ReadingEngine
from referral_api.service.redaction import redact
from referral_api.store import models
from referral_api.store.models import utcnow
from referral_api.store.records import record_from_model, record_from_row, record_row
from referral_api.store.repositories import GapFactRepository, RecommendationRepository


def new_record_id() -> str:
    return f"rec_{secrets.token_hex(12)}"


@dataclass(frozen=True)
class Recorded:
    """A recommendation as it is stored: the engine's answer, its typed record, the public
    response (JSON values, sent and stored exactly) and the row that holds them."""

    recommendation: Recommendation
    record: RecommendationRecord
    body: dict[str, Any]
    row: dict[str, Any]

    @property
    def public(self) -> RecommendationPublic:
        """The response as its model (for the console's templates)."""
        return RecommendationPublic.model_validate(self.body)


#: what the record writer takes: a recommendation just made, or a row made elsewhere (column
#: values with the stored ``response``: a test's, another writer's) read back as its record
Storable = Recorded | Mapping[str, Any]


def make_recommendation(
    loaded: LoadedEngine,
    body: RecommendationCreate,
    *,
    channel: str,
    key_id: str | None,
    redact_needs: bool,
    created_at: dt.datetime | None = None,
    refines: str | None = None,
) -> Recorded:
    """Ask the engine; the response and the record to store (nothing is written here).

    ``created_at`` is now unless given (a backlog's historical needs keep their time);
    ``refines`` is the id of the look-up this one refines, kept with the request.
    """
    need = body.to_need()
    text = redact(need.text) if redact_needs else need.text
    need = Need(text=text, constraints=need.constraints, ignore=need.ignore)
    # (the engine reads the words as if they did not state what ``need.ignore`` names)
    recommendation = loaded.engine.recommend(need, limit=body.limit)
    record = record_of(
        recommendation,
        record_id=new_record_id(),
        created_at=created_at or utcnow(),
        channel=channel,
        catalog_version_id=loaded.version_id,
        api_key_id=key_id,
    )
    response = recommendation_body(
        recommendation,
        record_id=record.id,
        created_at=record.created_at,
        channel=record.channel,
        catalog_version_id=record.catalog_version_id,
        admitted=admitted_offerings(loaded, recommendation),
    )
    request = body.model_dump(mode="json", exclude={"need"})
    if refines is not None:
        request["refines"] = refines
    row = record_row(record, request=request, response=response)
    return Recorded(recommendation, record, response, row)


def check_constraints(loaded: LoadedEngine, constraints: ConstraintsCreate) -> None:
    """Check structured constraints against the catalogue and the rules (unknown capabilities,
    regions, currencies) without answering a need; :class:`InputError` naming every problem.

    A form can then report these beside its other problems at once, not in a second round.
    """
    engine = loaded.engine
    if not isinstance(engine, ReadingEngine):
        return  # (an engine that cannot read alone checks them when it answers)
    need = RecommendationCreate(need="-", constraints=constraints).to_need()
    engine.interpret(Need(text="", constraints=need.constraints))


def admitted_offerings(
    loaded: LoadedEngine, recommendation: Recommendation
) -> dict[str, tuple[Offering, Disclosure]]:
    """The offerings the relaxations admit, with their disclosures, for the response."""
    wanted = {offering_id for r in recommendation.relaxations for offering_id in r.admits}
    if not wanted:
        return {}
    catalog, rules = loaded.engine.catalog, loaded.engine.rules
    found = (catalog.offering(offering_id) for offering_id in sorted(wanted))
    return {o.id: (o, disclosure(o, rules)) for o in found if o is not None}


def store_records(session: Session, items: Sequence[Storable]) -> None:
    """Write recommendation records and their gap facts, in the same unit of work; the record
    writer (``service/recording.py``) writes through here, a batch of concurrent requests at a
    time."""
    rows = [item.row if isinstance(item, Recorded) else item for item in items]
    records = [
        item.record if isinstance(item, Recorded) else record_from_row(item) for item in items
    ]
    RecommendationRepository(session).add_values(rows)
    GapFactRepository(session).add_for_all(records)


def store_record(session: Session, item: Storable) -> None:
    """Write one record and its gap facts (:func:`store_records` of one)."""
    store_records(session, [item])


def recommend_and_record(
    session: Session,
    loaded: LoadedEngine,
    body: RecommendationCreate,
    *,
    channel: str,
    key_id: str | None,
    redact_needs: bool,
    refines: str | None = None,
) -> Recorded:
    """Ask the engine and store the record in the caller's unit of work (``refines``: the
    id of the look-up this one refines)."""
    recorded = make_recommendation(
        loaded, body, channel=channel, key_id=key_id, redact_needs=redact_needs, refines=refines
    )
    store_record(session, recorded)
    return recorded


def stored_recommendation(
    session: Session, record_id: str
) -> tuple[models.RecommendationRecord, RecommendationPublic]:
    """A past recommendation exactly as it was made, with its outcome; :class:`NotFound` if none."""
    record = RecommendationRepository(session).get(record_id)
    if record is None:
        raise NotFound(f"no recommendation {record_id}")
    public = RecommendationPublic.model_validate(record.response)
    if public.need is None:  # stored before responses carried it: the record's (redacted) text
        public.need = record.need_text
    if record.outcome is not None:
        public.outcome = OutcomePublic.model_validate(record.outcome)
    return record, public


def recent_records(
    session: Session, *, key_id: str, channel: str, since: dt.datetime, limit: int
) -> list[RecommendationRecord]:
    """A key's records on one channel from ``since`` on, newest first, with their outcomes."""
    rows = RecommendationRepository(session).recent(
        key_id=key_id, channel=channel, since=since, limit=limit
    )
    return [record_from_model(row) for row in rows]
