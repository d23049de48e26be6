"""Vocabulary suggestions on the wire: the query, a suggestion with its evidence, decisions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated

from pydantic import StringConstraints, field_validator

from referral_api.insights.suggestions import VocabularySuggestion
from referral_api.schemas.common import Body, Schema, described, utc_moment
from referral_api.store.models import SuggestionDecision

#: the window suggestions are mined from by default: the last 90 days
DEFAULT_DAYS = 90

Phrase = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
CapabilityId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
]


class SuggestionStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class SuggestionQuery(Body):
    """Which suggestions to list (query parameters; unknown ones are refused)."""

    status: SuggestionStatus = described(
        "open: proposed from recorded needs; accepted or rejected: curators' decisions.",
        "open",
        default=SuggestionStatus.OPEN,
    )
    since: dt.datetime | None = described(
        "Read needs recorded from this time on (default: 90 days before `until`).",
        "2026-11-01T00:00:00Z",
        default=None,
    )
    until: dt.datetime | None = described(
        "Read needs recorded before this time (default: now).",
        "2026-12-01T00:00:00Z",
        default=None,
    )
    min_support: int = described(
        "Fewest needs a phrase must recur in.", 2, default=2, ge=1, le=1000
    )
    limit: int = described("Most suggestions to return.", 50, default=50, ge=1, le=200)

    @field_validator("since", "until")
    @classmethod
    def _moment(cls, value: dt.datetime | None) -> dt.datetime | None:
        return utc_moment(value)

    def window(self, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        """(since, until): the window, ``DEFAULT_DAYS`` before ``until`` (now) by default."""
        until = self.until or now
        return self.since or until - dt.timedelta(days=DEFAULT_DAYS), until


class SuggestionAccept(Body):
    """Accept a suggestion, optionally with another capability or wording than proposed."""

    capability: CapabilityId | None = described(
        "Add the phrase to this capability instead of the proposed one.", "payment-links",
        default=None,
    )  # fmt: skip
    phrase: Phrase | None = described(
        "Add this wording instead of the proposed one (same language).", "pix payments",
        default=None,
    )  # fmt: skip


class CapabilityVotesPublic(Schema):
    capability: str = described("Capability id.", "online-payments")
    label: str = described("Its label.", "Online payments")
    needs: int = described("How many of the phrase's needs point to it.", 3)
    from_outcomes: int = described("How many of them through a recorded outcome.", 1)


class SuggestionPublic(Schema):
    """A phrase to add as a synonym of a capability, with the evidence for it."""

    id: str = described("Stable id (language and stems).", "sug_4f1c2a9e0b7d6c53")
    status: SuggestionStatus = described("open, accepted or rejected.", "open")
    language: str = described("The language the needs were read in (ISO 639-1).", "en")
    phrase: str = described("The words customers used, as most often written.", "pix")
    capability: str = described("The capability it would become a synonym of.", "payment-links")
    capability_label: str = described("Its label.", "Payment links")
    support: int = described("How many needs hold the phrase.", 4)
    strength: float = described(
        "Share of the evidence of those needs that points to this capability, 0–1: an "
        "advocate's recorded outcome counts 1, the engine's nearest guess ½.",
        0.75,
    )
    from_outcomes: int = described(
        "How many needs point to it through an advocate's recorded outcome.", 1
    )
    examples: list[str] = described(
        "Customers' words (redacted as stored), newest first.", ["accept pix + boleto"]
    )
    votes: list[CapabilityVotesPublic] = described(
        "Every capability the phrase's needs point to, strongest first.", []
    )
    decided_by: str | None = described(
        "Who accepted or rejected it: cli:<user> or key:<key name>.", "key:curator",
        default=None,
    )  # fmt: skip
    decided_at: dt.datetime | None = described(
        "When it was accepted or rejected.", "2026-12-01T10:00:00Z", default=None
    )
    catalog_version_id: int | None = described(
        "The catalogue version that added it (accepted only).", 5, default=None
    )


class SuggestionsPublic(Schema):
    data: list[SuggestionPublic] = described("Best first.", [])
    count: int = described("How many are shown.", 3)
    scanned: int = described("How many recorded needs were read (newest first).", 412)
    since: dt.datetime = described("Start of the window read.", "2026-09-02T00:00:00Z")
    until: dt.datetime = described("End of the window read.", "2026-12-01T00:00:00Z")


def suggestion_public(
    suggestion: VocabularySuggestion, labels: Mapping[str, str]
) -> SuggestionPublic:
    """The wire form of an open suggestion (``labels``: capability id → label)."""
    return SuggestionPublic(
        id=suggestion.id,
        status=SuggestionStatus.OPEN,
        language=suggestion.language,
        phrase=suggestion.phrase,
        capability=suggestion.capability,
        capability_label=labels.get(suggestion.capability, suggestion.capability),
        support=suggestion.support,
        strength=suggestion.strength,
        from_outcomes=suggestion.from_outcomes,
        examples=list(suggestion.examples),
        votes=[
            CapabilityVotesPublic(
                capability=vote.capability,
                label=labels.get(vote.capability, vote.capability),
                needs=vote.needs,
                from_outcomes=vote.from_outcomes,
            )
            for vote in suggestion.votes
        ],
    )


def decision_public(decision: SuggestionDecision, labels: Mapping[str, str]) -> SuggestionPublic:
    """The wire form of a decided suggestion, with the evidence it was decided on."""
    evidence = decision.evidence
    return SuggestionPublic(
        id=decision.id,
        status=SuggestionStatus(decision.status),
        language=decision.language,
        phrase=decision.phrase,
        capability=decision.capability,
        capability_label=labels.get(decision.capability, decision.capability),
        support=int(evidence.get("support", 0)),
        strength=float(evidence.get("strength", 0.0)),
        from_outcomes=int(evidence.get("from_outcomes", 0)),
        examples=[str(example) for example in evidence.get("examples", ())],
        votes=[],
        decided_by=decision.decided_by,
        decided_at=decision.decided_at,
        catalog_version_id=decision.catalog_version_id,
    )
