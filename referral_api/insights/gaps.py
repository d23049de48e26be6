"""Gap facts: what each recorded recommendation says about needs our own offerings do not serve.

One recorded recommendation yields one :class:`GapFact` per requested capability (its kind says
how that capability fared) plus one per fragment of the need nothing understood. The facts are
derived from the :class:`~referral_api.domain.RecommendationRecord` alone (built from the
engine's answer when it is made, read back from the store when facts are rebuilt), so facts
written with a record and facts rebuilt from old records are the same. Kinds, per requested
capability:

``unserved``
    requested, and nothing serves it: no active offering in the catalogue covers it (the
    record's ``unmet``), or every offering that covers it fails one of the customer's
    must-haves (no ranked fit covers it; ``missed_constraint`` names the must-have the
    rejected candidates fail most often: region, platforms, budget, compliance, …).
``served_elsewhere``
    a ranked fit covers it, and the best one that does is not ours (``other_offering_id``
    says whose). When our best offering fails a must-have, ``missed_constraint`` names it
    (from ``best_own.does_not_meet``; ``unstated`` only for old responses that do not show
    it); ``coverage`` says how our own fit covers it, when ours is ranked.
``partly_served``
    our own offering is the best fit for it, but covers it only in part (``coverage``:
    partial, through a narrower or broader capability, related only).
``served``
    our own offering is the best fit for it and covers it fully. Not a gap; kept so that a
    gap's share of all requests for a capability can be computed.
``not_understood``
    parts of the need the engine could not map to any capability (``term``: the phrases,
    joined with " … "); one fact per need, never a capability's. ``coverage`` is ``whole``
    when the central ask itself was not understood, ``part`` when the ask was understood but
    some words of it were not (the engine lists them). A need whose central ask was not understood
    (``ask_understood`` false) yields this fact alone: the capabilities read in its context
    are not demand, nor is any capability read only in the context of a need (``central``
    false).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from referral_api.domain import CoverageStatus, RecommendationRecord, Relationship
from referral_api.domain.constraint_kinds import KIND_OF

TERM_MAX = 200
OWN = Relationship.OWN
MISSING = CoverageStatus.MISSING


class GapKind(StrEnum):
    """How one requested capability (or one not-understood phrase) fared."""

    UNSERVED = "unserved"
    SERVED_ELSEWHERE = "served_elsewhere"
    PARTLY_SERVED = "partly_served"
    NOT_UNDERSTOOD = "not_understood"
    SERVED = "served"


#: the kinds a product team acts on (``served`` only gives the denominator)
GAP_KINDS = (
    GapKind.UNSERVED,
    GapKind.SERVED_ELSEWHERE,
    GapKind.PARTLY_SERVED,
    GapKind.NOT_UNDERSTOOD,
)


@dataclass(frozen=True, slots=True)
class GapFact:
    """One (recommendation, capability, kind) row, with the columns reports filter on."""

    recommendation_id: str
    created_at: dt.datetime
    week: dt.date
    channel: str
    segment: str | None
    region: str | None
    catalog_version_id: int
    kind: GapKind
    capability: str | None = None
    term: str | None = None
    own_offering_id: str | None = None
    other_offering_id: str | None = None
    other_relationship: str | None = None
    missed_constraint: str | None = None
    coverage: str | None = None
    #: 1 on exactly one fact of each recommendation (so a sum counts needs, not facts)
    lead: int = 0
    #: 1 on exactly one fact of each (recommendation, kind): a sum counts needs of a kind
    kind_lead: int = 0
    #: how the story ended, once an outcome is recorded (``OutcomeRepository`` sets it)
    outcome: str | None = None

    def as_row(self) -> dict[str, Any]:
        """Column values for the ``gap_facts`` table."""
        return {
            "recommendation_id": self.recommendation_id,
            "created_at": self.created_at,
            "week": self.week,
            "channel": self.channel,
            "segment": self.segment,
            "region": self.region,
            "catalog_version_id": self.catalog_version_id,
            "kind": self.kind.value,
            "capability": self.capability,
            "term": self.term,
            "own_offering_id": self.own_offering_id,
            "other_offering_id": self.other_offering_id,
            "other_relationship": self.other_relationship,
            "missed_constraint": self.missed_constraint,
            "coverage": self.coverage,
            "lead": self.lead,
            "kind_lead": self.kind_lead,
            "outcome": self.outcome,
        }


def week_start(moment: dt.datetime) -> dt.date:
    """The Monday (UTC) of the ISO week ``moment`` falls in."""
    day = moment.astimezone(dt.UTC).date()
    return day - dt.timedelta(days=day.weekday())


def iso_week(monday: dt.date) -> str:
    """``2026-W48`` for the week starting on ``monday``."""
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def constraint_kind(verdict_name: str) -> str:
    """``must_have:payroll`` → ``must_have``; ``region`` → ``region``."""
    return verdict_name.split(":", 1)[0]


def constraint_label(kind: str) -> str:
    """What a person calls a missed constraint kind: ``budget_monthly`` → ``budget``."""
    if kind == "unstated":
        return "a must-have (not recorded which)"
    spec = KIND_OF.get(kind)
    return spec.label if spec else kind.replace("_", " ")


def _first_failed(names: Sequence[str]) -> str | None:
    return constraint_kind(names[0]) if names else None


def derive_gap_facts(record: RecommendationRecord) -> list[GapFact]:
    """The gap facts of one recommendation record.

    The same record always gives the same facts, in the same order, whether it was just made
    or read back from the store.
    """
    created_at = record.created_at
    region = record.constraints.region
    segment = record.constraints.segment

    def fact(kind: GapKind, **columns: Any) -> GapFact:
        return GapFact(
            recommendation_id=record.id,
            created_at=created_at,
            week=week_start(created_at),
            channel=record.channel,
            segment=str(segment)[:40] if segment else None,
            region=str(region).upper()[:40] if region else None,
            catalog_version_id=record.catalog_version_id,
            kind=kind,
            **columns,
        )

    results = record.results
    rejected = record.rejected
    unmet = {u.capability for u in record.unmet}
    best_own = record.best_own
    own_id = best_own.offering_id if best_own else None
    own_failed: str | None = None
    if best_own is not None and best_own.rank is None:
        # our best offering fails a must-have: best_own names it (responses recorded before it
        # did may still show it in the rejected list)
        shown = next((r for r in rejected if r.offering_id == own_id), None)
        own_failed = _first_failed(best_own.does_not_meet)
        own_failed = own_failed or (_first_failed(shown.does_not_meet) if shown else None)
        own_failed = own_failed or "unstated"
    # which must-have keeps the others out: the one the rejected candidates fail most often
    # (the first-shown candidate's breaks a tie)
    failures = Counter(
        constraint_kind(name) for shown in rejected for name in shown.does_not_meet[:1]
    )
    must_have_missed = max(failures, key=failures.__getitem__) if failures else None

    facts: list[GapFact] = []
    seen: set[str] = set()
    # A need whose central ask was not understood is one not-understood fact, never demand for
    # the capabilities read in its context; a capability read only in the context ("for our
    # accounting firm") is not demand either.
    understood = record.ask_understood
    asked = [read for read in record.capabilities if read.central]
    for read in asked if understood else ():
        capability = read.id
        if capability in seen:
            continue
        seen.add(capability)
        if capability in unmet:  # nothing in the catalogue covers it
            facts.append(fact(GapKind.UNSERVED, capability=capability, own_offering_id=own_id))
            continue
        best = next((f for f in results if f.coverage_of(capability) != MISSING), None)
        if best is None:  # something covers it, but nothing that meets the must-haves
            facts.append(
                fact(
                    GapKind.UNSERVED,
                    capability=capability,
                    own_offering_id=own_id,
                    missed_constraint=must_have_missed or own_failed,
                )
            )
            continue
        status = best.coverage_of(capability).value
        if best.relationship == OWN:
            kind = GapKind.SERVED if status == "full" else GapKind.PARTLY_SERVED
            facts.append(
                fact(kind, capability=capability, own_offering_id=best.offering_id, coverage=status)
            )
            continue
        own_fit = next((f for f in results if f.offering_id == own_id), None)
        facts.append(
            fact(
                GapKind.SERVED_ELSEWHERE,
                capability=capability,
                own_offering_id=own_id,
                other_offering_id=best.offering_id,
                other_relationship=best.relationship.value,
                missed_constraint=own_failed,
                coverage=own_fit.coverage_of(capability).value if own_fit else None,
            )
        )
    terms: list[str] = []
    for phrase in record.not_understood:
        term = " ".join(phrase.split())
        if term and term.casefold() not in (t.casefold() for t in terms):
            terms.append(term)
    if terms or not understood:  # one fact per need, so that counts are needs, not phrases
        joined = " … ".join(terms)[:TERM_MAX] if terms else None
        # whole: the ask itself was not understood; part: the ask was, some words were not
        extent = "part" if understood else "whole"
        facts.append(fact(GapKind.NOT_UNDERSTOOD, term=joined, coverage=extent))
    kinds_seen: set[GapKind] = set()
    for index, made in enumerate(facts):
        first = made.kind not in kinds_seen
        kinds_seen.add(made.kind)
        facts[index] = dataclasses.replace(made, lead=int(index == 0), kind_lead=int(first))
    return facts
