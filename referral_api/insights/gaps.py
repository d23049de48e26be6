"""Gap facts: what each recorded recommendation says about needs our own offerings do not serve.

One recorded recommendation yields one :class:`GapFact` per requested capability (its kind says
how that capability fared) plus one per fragment of the need nothing understood. The facts are
derived from the stored v1 response alone, so facts written with a record and facts rebuilt
from old records are the same. Kinds, per requested capability:

``unserved``
    requested, and nothing covers it: no active offering in the catalogue (the response's
    ``unmet``), or no offering that meets the customer's must-haves while ours does not come
    close either (``missed_constraint`` then names the nearest miss of the others).
``partly_served``
    our best offering misses a hard constraint (``missed_constraint`` names which: region,
    platforms, budget, compliance, …, from ``best_own.does_not_meet``; ``unstated`` only for
    old responses that do not show it), or it
    is the best fit but covers the capability only in part (``coverage``: partial, through a
    narrower or broader capability, related only).
``served_elsewhere``
    covered, but the best fit for it is not ours (``other_offering_id`` says whose).
``served``
    our own offering is the best fit for it and covers it fully. Not a gap; kept so that a
    gap's share of all requests for a capability can be computed.
``not_understood``
    parts of the need the engine could not map to any capability (``term``: the phrases,
    joined with " … "); one fact per need. A need whose central ask was not understood
    (``interpreted.ask_understood`` false) yields this fact alone: the capabilities read in
    its context are not demand, nor is any capability read only in the context of a need
    (``capabilities[].central`` false).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

TERM_MAX = 200
OWN = "own"


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


def _first_failed(verdicts: Sequence[Mapping[str, Any]]) -> str | None:
    for verdict in verdicts:
        if verdict.get("hard", True) and not verdict.get("ok", True):
            return constraint_kind(str(verdict["name"]))
    return None


def _coverage_of(fit: Mapping[str, Any], capability: str) -> str:
    for cover in fit.get("coverage", ()):
        if cover.get("capability") == capability:
            return str(cover.get("status", "missing"))
    return "missing"


def derive_gap_facts(record: Mapping[str, Any]) -> list[GapFact]:
    """The gap facts of one recommendation record (its column values, with ``response``).

    Reads only ``id``, ``created_at``, ``channel``, ``catalog_version_id`` and the stored
    v1 ``response``; the same record always gives the same facts, in the same order.
    """
    response: Mapping[str, Any] = record["response"]
    interpreted: Mapping[str, Any] = response.get("interpreted") or {}
    constraints: Mapping[str, Any] = interpreted.get("constraints") or {}
    created_at: dt.datetime = record["created_at"]
    region = constraints.get("region")
    segment = constraints.get("segment")

    def fact(kind: GapKind, **columns: Any) -> GapFact:
        return GapFact(
            recommendation_id=str(record["id"]),
            created_at=created_at,
            week=week_start(created_at),
            channel=str(record["channel"]),
            segment=str(segment)[:40] if segment else None,
            region=str(region).upper()[:40] if region else None,
            catalog_version_id=int(record["catalog_version_id"]),
            kind=kind,
            **columns,
        )

    results: Sequence[Mapping[str, Any]] = response.get("results") or ()
    rejected: Sequence[Mapping[str, Any]] = response.get("rejected") or ()
    unmet = {str(u["capability"]) for u in response.get("unmet") or ()}
    best_own: Mapping[str, Any] | None = response.get("best_own")
    own_id = str(best_own["offering_id"]) if best_own else None
    own_failed: str | None = None
    if best_own is not None and best_own.get("rank") is None:
        # our best offering fails a must-have: best_own names it (responses recorded before it
        # did may still show it in the rejected list)
        named = best_own.get("does_not_meet") or ()
        shown = next((r for r in rejected if r["offering"]["id"] == own_id), None)
        own_failed = constraint_kind(str(named[0])) if named else None
        own_failed = own_failed or (_first_failed(shown["does_not_meet"]) if shown else None)
        own_failed = own_failed or "unstated"
    nearest_miss = _first_failed(rejected[0]["does_not_meet"]) if rejected else None

    facts: list[GapFact] = []
    seen: set[str] = set()
    # A need whose central ask was not understood is one not-understood fact, never demand for
    # the capabilities read in its context; a capability read only in the context ("for our
    # accounting firm") is not demand either. (Older responses carry neither field.)
    understood = interpreted.get("ask_understood", True) is not False
    asked = [r for r in interpreted.get("capabilities") or () if r.get("central", True)]
    for read in asked if understood else ():
        capability = str(read["id"])
        if capability in seen:
            continue
        seen.add(capability)
        best = next((f for f in results if _coverage_of(f, capability) != "missing"), None)
        if capability in unmet:
            facts.append(fact(GapKind.UNSERVED, capability=capability, own_offering_id=own_id))
            continue
        if own_failed is not None:
            facts.append(
                fact(
                    GapKind.PARTLY_SERVED,
                    capability=capability,
                    own_offering_id=own_id,
                    other_offering_id=str(best["offering"]["id"]) if best else None,
                    other_relationship=str(best["offering"]["relationship"]) if best else None,
                    missed_constraint=own_failed,
                )
            )
            continue
        if best is None:  # something covers it, but nothing that meets the must-haves
            facts.append(
                fact(
                    GapKind.UNSERVED,
                    capability=capability,
                    own_offering_id=own_id,
                    missed_constraint=nearest_miss,
                )
            )
            continue
        other = best["offering"]
        status = _coverage_of(best, capability)
        if other["relationship"] == OWN:
            kind = GapKind.SERVED if status == "full" else GapKind.PARTLY_SERVED
            facts.append(
                fact(
                    kind,
                    capability=capability,
                    own_offering_id=str(other["id"]),
                    coverage=status,
                )
            )
        else:
            own_fit = next((f for f in results if f["offering"]["id"] == own_id), None)
            facts.append(
                fact(
                    GapKind.SERVED_ELSEWHERE,
                    capability=capability,
                    own_offering_id=own_id,
                    other_offering_id=str(other["id"]),
                    other_relationship=str(other["relationship"]),
                    coverage=_coverage_of(own_fit, capability) if own_fit else None,
                )
            )
    terms: list[str] = []
    for phrase in interpreted.get("not_understood") or ():
        term = " ".join(str(phrase).split())
        if term and term.casefold() not in (t.casefold() for t in terms):
            terms.append(term)
    if terms or not understood:  # one fact per need, so that counts are needs, not phrases
        joined = " … ".join(terms)[:TERM_MAX] if terms else None
        facts.append(fact(GapKind.NOT_UNDERSTOOD, term=joined))
    if facts:
        facts[0] = dataclasses.replace(facts[0], lead=1)
    return facts
