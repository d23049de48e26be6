"""The advocate console's work: look up for a customer, show a look-up, record what happened.

Routes in :mod:`referral_api.web.routes` call these. Look-ups go through the same
:func:`~referral_api.service.recommendations.recommend_and_record` as the API, recorded on the
``advocate`` channel whatever else the signed-in key may do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from referral_api.domain import Catalog, RecommendationRecord
from referral_api.errors import Conflict, InputError, NotFound, Unavailable
from referral_api.schemas import RecommendationCreate, RecommendationPublic
from referral_api.service.engines import EngineHolder, LoadedEngine
from referral_api.service.keys import Channel
from referral_api.service.outcomes import record_outcome
from referral_api.service.recommendations import (
    recent_records,
    recommend_and_record,
    stored_recommendation,
)
from referral_api.web import views
from referral_api.web.forms import PLATFORMS, SEGMENTS, FormProblems, LookUpForm, OutcomeForm
from referral_api.web.session import PageNotFound, PageSession

RECENT = 20
OUTCOME_CHOICES = (
    ("accepted", "Accepted"),
    ("referred_elsewhere", "Referred elsewhere"),
    ("declined", "Declined"),
    ("no_answer", "No answer"),
)


@dataclass(frozen=True)
class RecentLookUp:
    """One of this session's look-ups, for the list beside the form."""

    id: str
    at: dt.datetime
    need: str
    winner: str | None
    outcome: str | None


def recent_look_ups(session: Session, page: PageSession) -> list[RecentLookUp]:
    """This session's look-ups (this key, the console, since sign-in), newest first."""
    records = recent_records(
        session,
        key_id=page.principal.key_id,
        channel=Channel.ADVOCATE.value,
        since=page.signed_in_at,
        limit=RECENT,
    )
    return [_recent(record) for record in records]


def _recent(record: RecommendationRecord) -> RecentLookUp:
    winner = record.winner
    need = record.need_text if len(record.need_text) <= 90 else record.need_text[:89] + "…"
    return RecentLookUp(
        id=record.id,
        at=record.created_at,
        need=need,
        winner=winner.name if winner else None,
        outcome=record.outcome.replace("_", " ") if record.outcome else None,
    )


def look_up(
    session: Session,
    engine: LoadedEngine,
    page: PageSession,
    body: RecommendationCreate,
    *,
    redact_needs: bool,
) -> RecommendationPublic:
    """Recommend for the customer's need and record it on the advocate channel."""
    return recommend_and_record(
        session,
        engine,
        body,
        channel=Channel.ADVOCATE.value,
        key_id=page.principal.key_id,
        redact_needs=redact_needs,
    ).public


def read_look_up(session: Session, record_id: str) -> RecommendationPublic:
    """A past look-up as it was made; a page 404 when there is none."""
    try:
        _, public = stored_recommendation(session, record_id)
    except NotFound as exc:
        raise PageNotFound(exc.detail) from exc
    return public


def save_outcome(
    session: Session, page: PageSession, record_id: str, form: OutcomeForm
) -> FormProblems:
    """Record the outcome the advocate clicked; the problems, if it could not be recorded."""
    body, problems = form.to_request()
    if body is None:
        return problems
    try:
        record, _ = stored_recommendation(session, record_id)
    except NotFound as exc:
        raise PageNotFound(exc.detail) from exc
    try:
        record_outcome(session, record, body, recorded_by=page.principal.name)
    except (InputError, Conflict) as exc:
        return FormProblems.of(exc)
    return problems


def current_catalog(holder: EngineHolder) -> Catalog | None:
    """The catalogue being served, for labels and names; ``None`` before one is loaded."""
    try:
        return holder.current.catalog
    except Unavailable:
        return None


def console_context(
    session: Session,
    page: PageSession,
    *,
    catalog: Catalog | None,
    result: RecommendationPublic | None = None,
    form: LookUpForm | None = None,
    problems: FormProblems | None = None,
    outcome_problems: FormProblems | None = None,
    notice: str | None = None,
) -> dict[str, Any]:
    """Everything the console template lays out."""
    context: dict[str, Any] = {
        "form": form or LookUpForm(),
        "problems": (problems or FormProblems()).by_field,
        "outcome_problems": (outcome_problems or FormProblems()).by_field,
        "platforms": PLATFORMS,
        "segments": SEGMENTS,
        "outcome_choices": OUTCOME_CHOICES,
        "recent": recent_look_ups(session, page),
        "result": result,
        "notice": notice,
    }
    if result is not None:
        labels = views.capability_labels(result, catalog)
        names = views.offering_names(result, catalog)
        context |= {
            "labels": labels,
            "names": names,
            "comparison": views.compare_top(result, labels),
            "message": views.customer_message(result, names),
            "badge": views.disclosure_badge,
            "web_url": views.web_url,
            "chip": lambda coverage: views.coverage_chip(coverage, labels),
        }
    return context
