"""The gap page's vocabulary suggestions section, and what its accept and reject forms say.

The section lists the open suggestions of the page's window (by default the last 90 days, the
API's default) with their evidence; a signed-in key with the ``curator`` scope also sees accept
and reject forms (CSRF-checked like every page form). After a decision the page is shown again
with a notice chosen from a fixed list here, so the query string cannot put words on the page.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy.orm import Session

from referral_api.errors import ReferralError, Unavailable
from referral_api.schemas.suggestions import SuggestionPublic, SuggestionQuery, suggestion_public
from referral_api.service.engines import EngineHolder
from referral_api.service.keys import Scope
from referral_api.service.suggestions import capability_labels_of, open_suggestions
from referral_api.web.session import PageSession

#: how many suggestions the page shows (the API and `referral suggestions` show more)
PAGE_LIMIT = 12
NOTICES = {
    "accepted": "Accepted: the phrase is a synonym in a new catalogue version; every worker "
    "reads with it within seconds.",
    "rejected": "Rejected: it will not be proposed again.",
}
PROBLEMS = {
    "not-found": "That suggestion is no longer proposed: reload the page.",
    "conflict": "That suggestion was already decided, or its capability has the phrase already.",
    "invalid-input": "That phrase already names another capability in the active catalogue.",
    "invalid-catalog": "The catalogue would not validate with that phrase.",
}


@dataclass(frozen=True)
class SuggestionsSection:
    """What ``_suggestions.html`` draws."""

    items: list[SuggestionPublic]
    scanned: int
    can_decide: bool
    notice: str | None = None
    problem: str | None = None


def suggestions_section(
    session: Session,
    holder: EngineHolder,
    page: PageSession,
    *,
    now: dt.datetime,
    window: Mapping[str, str] | None = None,
    decided: str | None = None,
    problem: str | None = None,
) -> SuggestionsSection | None:
    """The section, or None while no catalogue is loaded. ``window``: the page's ``since`` and
    ``until`` filters, when valid (the 90 days before now otherwise)."""
    try:
        loaded = holder.current
    except Unavailable:
        return None
    query = SuggestionQuery()
    with contextlib.suppress(ValidationError):  # the gap report shows what is wrong with them
        given = {k: v for k, v in (window or {}).items() if k in ("since", "until") and v}
        query = SuggestionQuery.model_validate(given)
    since, until = query.window(now)
    if since >= until:
        since, until = SuggestionQuery().window(now)
    found = open_suggestions(
        session, loaded.catalog, loaded.rules, since=since, until=until, limit=PAGE_LIMIT
    )
    labels = capability_labels_of(loaded.catalog)
    return SuggestionsSection(
        items=[suggestion_public(s, labels) for s in found.suggestions],
        scanned=found.scanned,
        can_decide=page.principal.has(Scope.CURATOR),
        notice=NOTICES.get(decided or ""),
        problem=PROBLEMS.get(problem or ""),
    )


def decision_redirect(error: ReferralError | None, decided: str) -> str:
    """Where the page goes after a decision: back to the section, with what happened."""
    if error is None:
        return f"/insights?decided={decided}#suggestions"
    return f"/insights?suggestion_problem={error.slug}#suggestions"
