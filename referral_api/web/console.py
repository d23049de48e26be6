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
    check_constraints,
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


@dataclass(frozen=True)
class LookUp:
    """A stored look-up as the console shows it: the response as it was made, the need text as
    stored (redacted when the service redacts needs; the response holds none), the form as it
    was filled (to refine it), and the look-up it refines, if any."""

    public: RecommendationPublic
    need_text: str
    form: LookUpForm
    refines: str | None


def prepare_look_up(
    engine: LoadedEngine, form: LookUpForm
) -> tuple[RecommendationCreate | None, FormProblems]:
    """The request a form asks for, or every problem with it in one round: the form's own
    (the need, the budget, malformed values) and the catalogue's (an unknown capability or
    region), even when the other kind is present too."""
    body, problems = form.to_request()
    if body is not None:
        return body, problems
    constraints = form.constraints_request()
    if constraints is not None:
        try:
            check_constraints(engine, constraints)
        except InputError as exc:
            problems.extend(FormProblems.of(exc))
    return None, problems


def look_up(
    session: Session,
    engine: LoadedEngine,
    page: PageSession,
    body: RecommendationCreate,
    *,
    redact_needs: bool,
    refines: str | None = None,
) -> RecommendationPublic:
    """Recommend for the customer's need and record it on the advocate channel (``refines``:
    the look-up it refines, kept with it when there is such a look-up)."""
    if refines:
        try:
            stored_recommendation(session, refines)
        except NotFound:
            refines = None  # a link that would lead nowhere is not kept
    return recommend_and_record(
        session,
        engine,
        body,
        channel=Channel.ADVOCATE.value,
        key_id=page.principal.key_id,
        redact_needs=redact_needs,
        refines=refines or None,
    ).public


def read_look_up(session: Session, record_id: str) -> LookUp:
    """A past look-up as it was made, with its need and form; a page 404 when there is none."""
    try:
        row, public = stored_recommendation(session, record_id)
    except NotFound as exc:
        raise PageNotFound(exc.detail) from exc
    request = row.request or {}
    refines = request.get("refines")
    form = LookUpForm.of_request(row.need_text, request, refines=row.id)
    return LookUp(public, row.need_text, form, refines if isinstance(refines, str) else None)


def look_up_without(
    session: Session,
    engine: LoadedEngine,
    page: PageSession,
    record_id: str,
    key: str,
    *,
    redact_needs: bool,
) -> RecommendationPublic:
    """Look up again without one constraint of a past look-up (``key``: a field, or
    ``field=value``), linked to it: the form's value is dropped and the words' reading of it
    disregarded, so the engine does not read it again."""
    base = read_look_up(session, record_id)
    body, problems = base.form.without(key).to_request()
    if body is None:
        messages = "; ".join(m for ms in problems.by_field.values() for m in ms)
        raise InputError(f"cannot look up again without {key}: {messages}")
    return look_up(session, engine, page, body, redact_needs=redact_needs, refines=record_id)


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
    result: LookUp | None = None,
    form: LookUpForm | None = None,
    problems: FormProblems | None = None,
    outcome_problems: FormProblems | None = None,
    notice: str | None = None,
) -> dict[str, Any]:
    """Everything the console template lays out; on a look-up's page the form holds that
    look-up's need and constraints, to refine it."""
    if form is None:
        form = result.form if result is not None else LookUpForm()
    context: dict[str, Any] = {
        "form": form,
        "problems": (problems or FormProblems()).by_field,
        "outcome_problems": (outcome_problems or FormProblems()).by_field,
        "platforms": PLATFORMS,
        "segments": SEGMENTS,
        "outcome_choices": OUTCOME_CHOICES,
        "recent": recent_look_ups(session, page),
        "result": result.public if result is not None else None,
        "look_up": result,
        "notice": notice,
        "ignored_label": lambda key: views.constraint_label(key.replace("=", ":", 1), {}),
    }
    if result is not None:
        public = result.public
        labels = views.capability_labels(public, catalog)
        names = views.offering_names(public, catalog)
        disclosures = views.known_disclosures(public, catalog)
        context |= {
            "labels": labels,
            "names": names,
            "comparison": views.compare_top(public, labels),
            "message": views.customer_message(public, names, disclosures=disclosures),
            "best_own_line": views.best_own_line(public, names),
            "understood": views.understood_constraints(public, labels),
            "set_aside": views.set_aside(public),
            "disclosures": disclosures,
            "badge": views.disclosure_badge,
            "web_url": views.web_url,
            "chip": lambda coverage: views.coverage_chip(coverage, labels),
            "verdicts_of": views.shown_verdicts,
            "reasons_of": views.fit_reasons,
        }
    return context
