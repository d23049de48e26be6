"""Vocabulary suggestions: list them, and let a curator accept (a new catalogue version with the
phrase as a synonym) or reject (hidden from then on) one. Both are in the change log.

The suggestions themselves are computed from recorded needs on every call
(:mod:`referral_api.insights.suggestions`); only decisions are stored.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from referral_api.curation.catalog_loader import CAPABILITIES_FILE
from referral_api.curation.snapshot import snapshot_from_documents
from referral_api.domain import Catalog, Rules
from referral_api.errors import Conflict, InputError, NotFound, Unavailable
from referral_api.insights.suggestions import (
    VocabularySuggestion,
    collision,
    known_phrases,
    phrase_key,
    suggest_vocabulary,
)
from referral_api.service.catalogue import rebuild
from referral_api.store.catalogs import store_snapshot
from referral_api.store.models import SuggestionDecision
from referral_api.store.repositories import CatalogChangeRepository, CatalogVersionRepository
from referral_api.store.suggestions import SuggestionRepository

#: the newest recorded needs read per listing (the window's older ones are left unread)
SCAN_LIMIT = 5000
#: what an id can look like (``sug_`` and hex digits are ours; anything else is unknown)
SUGGESTION_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
#: a decision looks its suggestion up among the needs of this many days
LOOKUP_DAYS = 365


@dataclass(frozen=True)
class SuggestionList:
    """Open suggestions, best first, and what they were computed from."""

    suggestions: list[VocabularySuggestion]
    scanned: int
    since: dt.datetime
    until: dt.datetime


def open_suggestions(
    session: Session,
    catalog: Catalog,
    rules: Rules,
    *,
    since: dt.datetime,
    until: dt.datetime,
    min_support: int = 2,
    limit: int = 50,
) -> SuggestionList:
    """The suggestions no curator has decided on, from the needs recorded in the window."""
    if since >= until:
        raise InputError(
            "since must be before until",
            fields=[{"field": "since", "message": "must be before until"}],
        )
    repository = SuggestionRepository(session)
    needs = repository.evidence(since=since, until=until, limit=SCAN_LIMIT)
    found = suggest_vocabulary(
        needs, catalog, rules, min_support=min_support, hidden=repository.decided_ids(),
        limit=limit,
    )  # fmt: skip
    return SuggestionList(found, len(needs), since, until)


def decisions(session: Session, *, status: str, limit: int = 100) -> Sequence[SuggestionDecision]:
    """Curators' decisions of one status (accepted, rejected), newest first."""
    return SuggestionRepository(session).decisions(status=status, limit=limit)


def _find(
    session: Session, catalog: Catalog, rules: Rules, suggestion_id: str, now: dt.datetime
) -> VocabularySuggestion:
    if not SUGGESTION_ID.fullmatch(suggestion_id):  # no id of ours: never sent to the database
        raise NotFound(f"no suggestion {suggestion_id!r}")
    repository = SuggestionRepository(session)
    if (decided := repository.decision(suggestion_id)) is not None:
        raise Conflict(f"suggestion {suggestion_id} was already {decided.status}")
    since = now - dt.timedelta(days=LOOKUP_DAYS)
    needs = repository.evidence(since=since, until=None, limit=SCAN_LIMIT)
    found = suggest_vocabulary(needs, catalog, rules, min_support=1, only=suggestion_id)
    if not found:
        raise NotFound(f"no suggestion {suggestion_id!r}")
    return found[0]


def _evidence(suggestion: VocabularySuggestion) -> dict[str, Any]:
    return {
        "support": suggestion.support,
        "strength": suggestion.strength,
        "from_outcomes": suggestion.from_outcomes,
        "proposed": {"phrase": suggestion.phrase, "capability": suggestion.capability},
        "examples": list(suggestion.examples),
    }


def accept_suggestion(
    session: Session,
    suggestion_id: str,
    *,
    actor: str,
    now: dt.datetime,
    capability: str | None = None,
    phrase: str | None = None,
) -> SuggestionDecision:
    """Add the suggested phrase as a synonym of its capability (``synonyms`` in English,
    ``translations.<language>`` otherwise) in a new active catalogue version, validated like
    any edit, logged, and the decision stored — all in the caller's unit of work.

    :class:`NotFound` for an unknown id, :class:`Conflict` when it was decided before or the
    capability already has the phrase, :class:`InputError` naming ``capability`` or ``phrase``
    when the capability is unknown or the phrase already names another capability.
    """
    versions = CatalogVersionRepository(session)
    versions.lock_changes()  # made on top of every change committed before it (none is lost)
    active = versions.active()
    if active is None:
        raise Unavailable("no catalogue has been loaded yet", retry_after=30)
    snapshot = rebuild(active)
    catalog, rules = snapshot.catalog, snapshot.rules
    suggestion = _find(session, catalog, rules, suggestion_id, now)
    target = capability or suggestion.capability
    if target not in catalog.capabilities:
        raise InputError(
            f"no capability {target!r} in the active catalogue",
            fields=[{"field": "capability", "message": f"unknown capability {target!r}"}],
        )
    words = phrase or suggestion.phrase
    language = suggestion.language
    key = phrase_key(words, language, rules)
    if not key:
        raise InputError(
            "the phrase has no words",
            fields=[{"field": "phrase", "message": "must contain at least one word"}],
        )
    owner = collision(catalog, rules, phrase=words, language=language, capability=target)
    if owner is not None:
        other, where = owner
        message = f"{words!r} already names capability {other!r} ({where})"
        raise InputError(message, fields=[{"field": "phrase", "message": message}])
    if key in known_phrases(catalog, rules, language):
        raise Conflict(f"{target!r} already has the phrase {words!r}")
    documents = copy.deepcopy(active.documents)
    entry = next(c for c in documents[CAPABILITIES_FILE] if c.get("id") == target)
    if language == "en":
        entry["synonyms"] = [*(entry.get("synonyms") or []), words]
    else:
        translations = entry.setdefault("translations", {})
        translations[language] = [*(translations.get(language) or []), words]
    edited = snapshot_from_documents(documents, active.rules_texts)
    version = store_snapshot(
        session, edited, actor=actor, action="add_synonym",
        note=f"vocabulary suggestion {suggestion_id}",
        detail={"previous_version_id": active.id, "suggestion_id": suggestion_id,
                "capability": target, "language": language, "phrase": words},
    )  # fmt: skip
    return SuggestionRepository(session).decide(
        SuggestionDecision(
            id=suggestion_id, status="accepted", language=language, phrase=words,
            capability=target, decided_by=actor, decided_at=now,
            catalog_version_id=version.id, evidence=_evidence(suggestion),
        )
    )  # fmt: skip


def reject_suggestion(
    session: Session, suggestion_id: str, *, actor: str, now: dt.datetime, catalog: Catalog,
    rules: Rules,
) -> SuggestionDecision:  # fmt: skip
    """Hide a suggestion from then on; logged in the change log. :class:`NotFound` for an
    unknown id, :class:`Conflict` when it was decided before."""
    suggestion = _find(session, catalog, rules, suggestion_id, now)
    CatalogChangeRepository(session).record(
        actor=actor, action="reject_suggestion", version_id=None,
        detail={"suggestion_id": suggestion_id, "capability": suggestion.capability,
                "language": suggestion.language, "phrase": suggestion.phrase},
    )  # fmt: skip
    return SuggestionRepository(session).decide(
        SuggestionDecision(
            id=suggestion_id, status="rejected", language=suggestion.language,
            phrase=suggestion.phrase, capability=suggestion.capability, decided_by=actor,
            decided_at=now, catalog_version_id=None, evidence=_evidence(suggestion),
        )
    )  # fmt: skip


def capability_labels_of(catalog: Catalog) -> dict[str, str]:
    """Capability id → label in ``catalog`` (what suggestions are shown with)."""
    return {cap.id: cap.label for cap in catalog.capabilities.values()}
