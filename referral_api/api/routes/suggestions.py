"""Vocabulary suggestions: phrases customers use that the catalogue does not know yet, and a
curator's accept (a new catalogue version) or reject."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from referral_api.http.deps import CuratorKey, EngineDep, InsightsKey, NowDep, SessionDep
from referral_api.schemas.suggestions import (
    SuggestionAccept,
    SuggestionPublic,
    SuggestionQuery,
    SuggestionsPublic,
    SuggestionStatus,
    decision_public,
    suggestion_public,
)
from referral_api.service.suggestions import (
    accept_suggestion,
    capability_labels_of,
    decisions,
    open_suggestions,
    reject_suggestion,
)

router = APIRouter(prefix="/v1/insights/suggestions", tags=["insights"])

SuggestionId = Annotated[
    str, Path(description="Suggestion id.", examples=["sug_4f1c2a9e0b7d6c53"], max_length=64)
]


@router.get("")
def list_suggestions(
    principal: InsightsKey,
    session: SessionDep,
    engine: EngineDep,
    now: NowDep,
    query: Annotated[SuggestionQuery, Query()],
) -> SuggestionsPublic:
    """Phrases to add as synonyms, mined from needs not (or weakly) understood, with evidence."""
    labels = capability_labels_of(engine.catalog)
    since, until = query.window(now)
    if query.status is SuggestionStatus.OPEN:
        found = open_suggestions(
            session, engine.catalog, engine.rules, since=since, until=until,
            min_support=query.min_support, limit=query.limit,
        )  # fmt: skip
        data = [suggestion_public(s, labels) for s in found.suggestions]
        return SuggestionsPublic(
            data=data, count=len(data), scanned=found.scanned, since=since, until=until
        )
    decided = decisions(session, status=query.status.value, limit=query.limit)
    data = [decision_public(d, labels) for d in decided]
    return SuggestionsPublic(data=data, count=len(data), scanned=0, since=since, until=until)


@router.post("/{suggestion_id}/accept")
def accept(
    suggestion_id: SuggestionId,
    principal: CuratorKey,
    session: SessionDep,
    engine: EngineDep,
    now: NowDep,
    body: SuggestionAccept | None = None,
) -> SuggestionPublic:
    """Add the phrase as a synonym in a new catalogue version; workers follow in seconds."""
    body = body or SuggestionAccept()
    decision = accept_suggestion(
        session, suggestion_id, actor=f"key:{principal.name}", now=now,
        capability=body.capability, phrase=body.phrase,
    )  # fmt: skip
    return decision_public(decision, capability_labels_of(engine.catalog))


@router.post("/{suggestion_id}/reject")
def reject(
    suggestion_id: SuggestionId,
    principal: CuratorKey,
    session: SessionDep,
    engine: EngineDep,
    now: NowDep,
) -> SuggestionPublic:
    """Hide a suggestion from then on (logged with who and when)."""
    decision = reject_suggestion(
        session, suggestion_id, actor=f"key:{principal.name}", now=now,
        catalog=engine.catalog, rules=engine.rules,
    )  # fmt: skip
    return decision_public(decision, capability_labels_of(engine.catalog))
