"""The gap report on the wire: its query, its rows, and the clusters of similar needs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Annotated

from pydantic import (
    StringConstraints,
    field_validator,
)

from referral_api.errors import InputError
from referral_api.insights.clusters import Cluster
from referral_api.insights.gaps import GAP_KINDS, GapKind, constraint_label
from referral_api.insights.report import GapFilter, GapReport, default_window
from referral_api.schemas.common import (
    Body,
    Schema,
    described,
    utc_moment,
)


class GapKindParam(StrEnum):
    UNSERVED = "unserved"
    SERVED_ELSEWHERE = "served_elsewhere"
    PARTLY_SERVED = "partly_served"
    NOT_UNDERSTOOD = "not_understood"
    SERVED = "served"


class ChannelParam(StrEnum):
    API = "api"
    ADVOCATE = "advocate"
    WIDGET = "widget"


FilterWord = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,39}$")
]


class GapQuery(Body):
    """Filters of the gap report (query parameters; unknown ones are refused)."""

    since: dt.datetime | None = described(
        "Start of the window (inclusive; default: 28 days before `until`).",
        "2026-11-01T00:00:00Z",
        default=None,
    )
    until: dt.datetime | None = described(
        "End of the window (exclusive; default: now).", "2026-11-29T00:00:00Z", default=None
    )
    channel: ChannelParam | None = described(
        "Only needs asked on this channel.", "widget", default=None
    )
    segment: FilterWord | None = described(
        "Only needs of this customer segment.", "small", default=None
    )
    region: FilterWord | None = described(
        "Only needs from this region (ISO 3166 alpha-2 code or region group).", "DE", default=None
    )
    catalog_version: int | None = described(
        "Only needs answered by this stored catalogue version.", 3, default=None, ge=1, le=2**31 - 1
    )
    capability: FilterWord | None = described("Only this capability.", "payroll", default=None)
    kind: list[GapKindParam] = described(
        "Only these gap kinds (repeatable; default: every gap kind, not `served`).",
        ["unserved"],
        default=[],
        max_length=5,
    )
    limit: int = described("Most gaps (or clusters) to return.", 50, default=50, ge=1, le=200)

    @field_validator("since", "until")
    @classmethod
    def _moment(cls, value: dt.datetime | None) -> dt.datetime | None:
        return utc_moment(value)

    def to_filter(self, now: dt.datetime) -> GapFilter:
        """The report's filter; the window defaults to the 28 days before ``until`` (now)."""
        since, until = default_window(now, self.since, self.until)
        if since >= until:
            raise InputError(
                "since must be before until",
                fields=[{"field": "since", "message": "must be before until"}],
            )
        return GapFilter(
            since=since,
            until=until,
            channel=self.channel.value if self.channel else None,
            segment=self.segment,
            region=self.region.upper() if self.region else None,
            catalog_version_id=self.catalog_version,
            capability=self.capability,
        )

    def kinds(self) -> tuple[GapKind, ...]:
        """The gap kinds asked for (default: every gap kind, not ``served``)."""
        return tuple(GapKind(k.value) for k in self.kind) if self.kind else GAP_KINDS


class OfferingShare(Schema):
    offering_id: str = described("Who serves it instead.", "pay-rival")
    name: str = described(
        "Its name in the active catalogue (its id when the catalogue no longer lists it).",
        "PayRival",
    )
    relationship: str | None = described("Our relationship to it.", "competitor")
    count: int = described("How often it was the best fit instead.", 12)


class ConstraintShare(Schema):
    constraint: str = described(
        "The must-have missed: by our best offering (served_elsewhere), or by every offering "
        "that covers the capability (unserved): region, platforms, budget_monthly, …",
        "region",
    )
    label: str = described("What a person calls it.", "region")
    count: int = described("How often.", 7)


class OutcomeShare(Schema):
    outcome: str = described(
        "How the story ended: accepted, referred_elsewhere, declined, no_answer, or none "
        "(nothing recorded yet).",
        "referred_elsewhere",
    )
    count: int = described("How often.", 5)


class GapPublic(Schema):
    capability: str | None = described("Requested capability (null for not_understood).", "payroll")
    label: str | None = described("Its label in the active catalogue.", "Payroll")
    kind: GapKindParam = described("Gap kind.", "served_elsewhere")
    count: int = described("Needs with this gap in the window.", 37)
    requests: int = described(
        "Needs asking for the capability in the window (for not_understood: all needs).", 120
    )
    share: float = described("count / requests.", 0.31)
    previous_count: int = described("The same gap in the previous window of the same length.", 0)
    new: bool = described("Appeared in this window, absent in the previous one.", True)
    served_by: list[OfferingShare] = described(
        "Who was the best fit instead, most often first.",
        [{"offering_id": "pay-rival", "relationship": "competitor", "count": 12}],
    )
    missed_constraints: list[ConstraintShare] = described(
        "Which hard constraint our offering missed (or the nearest miss when nothing fits).",
        [{"constraint": "region", "count": 7}],
    )
    outcomes: list[OutcomeShare] = described(
        "How the stories ended.", [{"outcome": "referred_elsewhere", "count": 5}]
    )
    examples: list[str] = described(
        "Newest needs behind the gap, in the customers' words (redacted when stored).",
        ["payroll for contractors in Mexico"],
    )
    in_part: int = described(
        "not_understood only: of `count`, the needs whose ask was understood but some words "
        "beside it were not (the rest were not understood at all); 0 for other kinds.",
        0,
    )


class TrendPointPublic(Schema):
    week: str = described("ISO week.", "2026-W48")
    start: dt.date = described("Its Monday.", "2026-11-23")
    capability: str | None = described("Capability (null for not_understood).", "payroll")
    kind: GapKindParam = described("Gap kind.", "unserved")
    count: int = described("Needs with this gap that week.", 9)


class KindTrendPublic(Schema):
    week: str = described("ISO week.", "2026-W48")
    start: dt.date = described("Its Monday.", "2026-11-23")
    kind: GapKindParam = described("Gap kind.", "unserved")
    needs: int = described(
        "Needs (distinct recommendations) with at least one gap of this kind that week.", 9
    )
    facts: int = described(
        "Gap facts of this kind that week (a need asking for two unserved capabilities makes two).",
        11,
    )


class GapsPublic(Schema):
    since: dt.datetime = described("Window start (inclusive).", "2026-11-01T00:00:00Z")
    until: dt.datetime = described("Window end (exclusive).", "2026-11-29T00:00:00Z")
    previous_since: dt.datetime = described(
        "Start of the previous window (new gaps are absent from it).", "2026-10-04T00:00:00Z"
    )
    needs: int = described("Recorded needs the filters count in the window.", 412)
    data: list[GapPublic] = described("Gaps, most frequent first.", [])
    count: int = described("Gaps returned.", 12)
    total: int = described("Gaps matching (before the limit).", 12)
    new_gaps: int = described("How many of the returned gaps are new.", 2)
    trend: list[TrendPointPublic] = described(
        "Weekly counts of the returned gaps: needs with that gap (capability and kind).", []
    )
    needs_trend: list[KindTrendPublic] = described(
        "Needs (and, labelled as such, facts) per week and kind, over every gap of the kinds "
        "asked for, not only the returned ones.",
        [],
    )


class ClusterPublic(Schema):
    kind: GapKindParam = described("unserved or not_understood.", "unserved")
    count: int = described("Needs in the cluster.", 37)
    representative: str = described(
        "A phrasing that stands for them.", "payroll for contractors in Mexico"
    )
    examples: list[str] = described(
        "Up to 5 phrasings.", ["payroll for contractors in Mexico", "pay Mexican contractors"]
    )
    terms: list[str] = described(
        "What sets the cluster apart: the capabilities, words or missed must-have most "
        "frequent in it and rarest outside it.",
        ["Contractor payments", "fails region"],
    )


class ClustersPublic(Schema):
    since: dt.datetime = described("Window start (inclusive).", "2026-11-01T00:00:00Z")
    until: dt.datetime = described("Window end (exclusive).", "2026-11-29T00:00:00Z")
    data: list[ClusterPublic] = described("Clusters, largest first.", [])
    count: int = described("Clusters returned.", 3)


def gaps_public(
    report: GapReport,
    labels: Mapping[str, str],
    names: Mapping[str, str] | None = None,
) -> GapsPublic:
    """The v1 body of a gap report (``labels``: capability id → label, ``names``: offering id
    → name, both of the active catalogue)."""
    names = names or {}
    return GapsPublic(
        since=report.where.since,
        until=report.where.until,
        previous_since=report.where.previous.since,
        needs=report.needs,
        data=[
            GapPublic(
                capability=g.capability,
                label=labels.get(g.capability) if g.capability else None,
                kind=GapKindParam(g.kind.value),
                count=g.count,
                requests=g.requests,
                share=round(g.share, 4),
                previous_count=g.previous_count,
                new=g.is_new,
                served_by=[
                    OfferingShare(
                        offering_id=s.name,
                        name=names.get(s.name, s.name),
                        relationship=s.relationship,
                        count=s.count,
                    )
                    for s in g.served_by
                ],
                missed_constraints=[
                    ConstraintShare(
                        constraint=s.name, label=constraint_label(s.name), count=s.count
                    )
                    for s in g.missed_constraints
                ],
                outcomes=[OutcomeShare(outcome=s.name, count=s.count) for s in g.outcomes],
                examples=list(g.examples),
                in_part=g.in_part,
            )
            for g in report.gaps
        ],
        count=len(report.gaps),
        total=report.total_gaps,
        new_gaps=len(report.new_gaps),
        trend=[
            TrendPointPublic(
                week=p.label,
                start=p.week,
                capability=p.capability,
                kind=GapKindParam(p.kind.value),
                count=p.count,
            )
            for p in report.trend
        ],
        needs_trend=[
            KindTrendPublic(
                week=p.label,
                start=p.week,
                kind=GapKindParam(p.kind.value),
                needs=p.needs,
                facts=p.facts,
            )
            for p in report.kind_trend
        ],
    )


def clusters_public(
    clusters: Sequence[Cluster], since: dt.datetime, until: dt.datetime
) -> ClustersPublic:
    """The v1 body of the clusters of similar unserved and not-understood needs."""
    return ClustersPublic(
        since=since,
        until=until,
        data=[
            ClusterPublic(
                kind=GapKindParam(c.kind),
                count=c.count,
                representative=c.representative,
                examples=list(c.examples),
                terms=list(c.terms),
            )
            for c in clusters
        ],
        count=len(clusters),
    )
