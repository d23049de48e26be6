"""The gap report: counts from the database (or, as a reference, from facts in memory) turned
into ranked gaps with who serves them instead, which constraint we miss, weekly trends, new
gaps and how the stories ended.

The database does the counting (``GapFactRepository`` in ``store/repositories.py``: GROUP BY
over indexed columns); this module only ranks and joins the small aggregated rows. The
``count_*`` functions are the plain-Python reference the tests compare the SQL with.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Protocol, TypeVar

from referral_api.insights.clusters import Cluster, NeedReading, cluster_needs
from referral_api.insights.gaps import GAP_KINDS, GapFact, GapKind, iso_week

OUTCOMES = ("accepted", "referred_elsewhere", "declined", "no_answer")
NO_OUTCOME = "none"
CHANNELS = ("api", "advocate", "widget")
DEFAULT_WINDOW = dt.timedelta(days=28)
MAX_LIMIT = 200


@dataclass(frozen=True)
class GapFilter:
    """Which facts a report counts: a half-open time window ``[since, until)`` and equalities."""

    since: dt.datetime
    until: dt.datetime
    channel: str | None = None
    segment: str | None = None
    region: str | None = None
    catalog_version_id: int | None = None
    capability: str | None = None

    @property
    def previous(self) -> GapFilter:
        """The window of the same length just before this one, with the same filters."""
        length = self.until - self.since
        return GapFilter(
            since=self.since - length,
            until=self.since,
            channel=self.channel,
            segment=self.segment,
            region=self.region,
            catalog_version_id=self.catalog_version_id,
            capability=self.capability,
        )

    def matches(self, fact: GapFact) -> bool:
        """Whether the filter counts ``fact`` (the reference the SQL WHERE must equal)."""
        equal = (
            (self.channel, fact.channel),
            (self.segment, fact.segment),
            (self.region, fact.region),
            (self.catalog_version_id, fact.catalog_version_id),
            (self.capability, fact.capability),
        )
        return self.since <= fact.created_at < self.until and all(
            wanted is None or wanted == value for wanted, value in equal
        )


@dataclass(frozen=True)
class GapCount:
    """Facts counted by (capability, kind, who serves it instead, which constraint we miss,
    how the story ended); ``leads`` counts the needs among them (one lead fact per need)."""

    capability: str | None
    kind: str
    other_offering_id: str | None
    other_relationship: str | None
    missed_constraint: str | None
    outcome: str  # one of OUTCOMES, or NO_OUTCOME while none is recorded
    #: how the fact's capability is covered; for not_understood, ``whole`` or ``part``
    coverage: str | None
    count: int
    leads: int


@dataclass(frozen=True)
class KindCount:
    """Facts counted by (capability, kind): what the previous window is compared with."""

    capability: str | None
    kind: str
    count: int


@dataclass(frozen=True)
class WeekCount:
    """Facts by ISO week, capability and kind; ``kind_leads`` sums the facts' ``kind_lead``
    (one per need and kind), so that the rows also give needs per week and kind."""

    week: dt.date
    capability: str | None
    kind: str
    count: int
    kind_leads: int = 0


@dataclass(frozen=True)
class KindWeekCount:
    """Needs (distinct recommendations) and facts by ISO week and kind: the trend's unit is
    the need, so that a need with two unserved capabilities is one unserved need that week."""

    week: dt.date
    kind: str
    needs: int
    facts: int


def _key(value: str | None) -> str:
    return value or ""


Row = TypeVar("Row", "GapCount", "KindCount", "WeekCount", "KindWeekCount")


def sort_rows(rows: Iterable[Row]) -> list[Row]:
    """Aggregated rows in one total order (None before any value), whatever produced them."""
    rows = list(rows)
    if not rows:
        return rows
    # attrgetter, not dataclasses.astuple: that deep-copies every value of every row
    values = attrgetter(*(f.name for f in dataclasses.fields(rows[0])))
    return sorted(rows, key=lambda row: tuple((v is not None, v) for v in values(row)))


def count_facts(facts: Iterable[GapFact], where: GapFilter) -> list[GapCount]:
    """Reference for ``GapFactRepository.counts``: the same rows, in the same order."""
    Key = tuple[str | None, str, str | None, str | None, str | None, str, str | None]
    counts: Counter[Key] = Counter()
    leads: Counter[Key] = Counter()
    for f in facts:
        if where.matches(f):
            key = (f.capability, f.kind.value, f.other_offering_id, f.other_relationship,
                   f.missed_constraint, f.outcome or NO_OUTCOME, f.coverage)  # fmt: skip
            counts[key] += 1
            leads[key] += f.lead
    return sort_rows(GapCount(*key, n, leads[key]) for key, n in counts.items())


def count_kinds(facts: Iterable[GapFact], where: GapFilter) -> list[KindCount]:
    """Reference for ``GapFactRepository.kinds``."""
    counter = Counter((f.capability, f.kind.value) for f in facts if where.matches(f))
    return sort_rows(KindCount(*key, n) for key, n in counter.items())


def count_weeks(facts: Iterable[GapFact], where: GapFilter) -> list[WeekCount]:
    """Reference for ``GapFactRepository.weekly``."""
    counter: Counter[tuple[dt.date, str | None, str]] = Counter()
    leads: Counter[tuple[dt.date, str | None, str]] = Counter()
    for f in facts:
        if where.matches(f):
            key = (f.week, f.capability, f.kind.value)
            counter[key] += 1
            leads[key] += f.kind_lead
    return sort_rows(WeekCount(*key, n, leads[key]) for key, n in counter.items())


def needs_per_week(weekly: Iterable[WeekCount], where: GapFilter) -> list[KindWeekCount]:
    """Needs and facts per ISO week and kind, from the weekly rows: the same scan of the
    window gives both (one need's first fact of a kind carries its ``kind_lead``). Under a
    capability filter, each need has one fact of that capability, so facts are needs."""
    needs: Counter[tuple[dt.date, str]] = Counter()
    facts: Counter[tuple[dt.date, str]] = Counter()
    for row in weekly:
        key = (row.week, row.kind)
        facts[key] += row.count
        needs[key] += row.kind_leads if where.capability is None else row.count
    return sort_rows(KindWeekCount(*key, needs[key], n) for key, n in facts.items())


def count_kind_weeks(facts: Iterable[GapFact], where: GapFilter) -> list[KindWeekCount]:
    """Reference for :func:`needs_per_week`: distinct recommendations, counted plainly."""
    needs: defaultdict[tuple[dt.date, str], set[str]] = defaultdict(set)
    counted: Counter[tuple[dt.date, str]] = Counter()
    for f in facts:
        if where.matches(f):
            needs[(f.week, f.kind.value)].add(f.recommendation_id)
            counted[(f.week, f.kind.value)] += 1
    return sort_rows(KindWeekCount(*key, len(needs[key]), n) for key, n in counted.items())


@dataclass(frozen=True)
class Share:
    """A count of one value (an offering, a constraint, an outcome) within a gap."""

    name: str
    count: int
    relationship: str | None = None


@dataclass(frozen=True)
class Gap:
    """One (capability, kind) gap in the window."""

    capability: str | None
    kind: GapKind
    count: int
    requests: int  # needs asking for the capability (all kinds), or all needs for not_understood
    previous_count: int
    served_by: tuple[Share, ...] = ()
    missed_constraints: tuple[Share, ...] = ()
    outcomes: tuple[Share, ...] = ()
    examples: tuple[str, ...] = ()
    #: not_understood only: the needs whose ask was understood, but some words of it were not
    in_part: int = 0

    @property
    def share(self) -> float:
        return self.count / self.requests if self.requests else 0.0

    @property
    def is_new(self) -> bool:
        """Appeared in this window, absent from the previous window of the same length."""
        return self.count > 0 and self.previous_count == 0


@dataclass(frozen=True)
class TrendPoint:
    week: dt.date
    label: str  # ISO week, e.g. 2026-W48
    capability: str | None
    kind: GapKind
    count: int


@dataclass(frozen=True)
class KindTrendPoint:
    """One ISO week of one kind: how many needs had a gap of that kind, and how many gap
    facts they made (a need asking for two unserved capabilities makes two)."""

    week: dt.date
    label: str  # ISO week, e.g. 2026-W48
    kind: GapKind
    needs: int
    facts: int


@dataclass(frozen=True)
class GapReport:
    where: GapFilter
    needs: int
    gaps: tuple[Gap, ...]
    total_gaps: int
    #: per gap (capability and kind) and week: needs with that gap (one fact per need each)
    trend: tuple[TrendPoint, ...]
    weeks: tuple[dt.date, ...] = field(default=())
    #: per kind and week, every gap of the kind (not only the shown ones): needs and facts
    kind_trend: tuple[KindTrendPoint, ...] = ()

    @property
    def new_gaps(self) -> tuple[Gap, ...]:
        return tuple(g for g in self.gaps if g.is_new)


def _shares(counter: Counter[tuple[str, str | None]]) -> tuple[Share, ...]:
    ordered = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
    return tuple(Share(name, n, relationship) for (name, relationship), n in ordered)


def weeks_between(since: dt.datetime, until: dt.datetime, *, most: int = 60) -> tuple[dt.date, ...]:
    """The Mondays of the ISO weeks the window touches, oldest first (the last ``most``)."""
    first = since.astimezone(dt.UTC).date()
    first -= dt.timedelta(days=first.weekday())
    last = (until - dt.timedelta(microseconds=1)).astimezone(dt.UTC).date()
    last -= dt.timedelta(days=last.weekday())
    count = min((last - first).days // 7 + 1, most)
    return tuple(last - dt.timedelta(days=7 * i) for i in reversed(range(count)))


def build_report(
    where: GapFilter,
    *,
    counts: Sequence[GapCount],
    previous: Sequence[KindCount],
    weekly: Sequence[WeekCount],
    kind_weekly: Sequence[KindWeekCount] = (),
    kinds: Sequence[GapKind] = GAP_KINDS,
    limit: int = 50,
) -> GapReport:
    """Rank the gaps (most frequent first) of ``kinds`` and attach their details."""
    # needs: one lead fact each; with a capability filter, the facts of that capability are
    # one per need already (and a need's lead fact may be another capability's)
    if where.capability is None:
        needs = sum(row.leads for row in counts)
    else:
        needs = sum(row.count for row in counts)
    totals: Counter[tuple[str | None, str]] = Counter()
    in_part: Counter[tuple[str | None, str]] = Counter()
    requests: Counter[str | None] = Counter()
    served_by: defaultdict[tuple[str | None, str], Counter[tuple[str, str | None]]]
    served_by = defaultdict(Counter)
    ended: defaultdict[tuple[str | None, str], Counter[tuple[str, str | None]]]
    ended = defaultdict(Counter)
    missed: defaultdict[tuple[str | None, str], Counter[tuple[str, str | None]]]
    missed = defaultdict(Counter)
    for row in counts:
        key = (row.capability, row.kind)
        totals[key] += row.count
        if row.capability is not None:
            requests[row.capability] += row.count
        if row.other_offering_id is not None:
            served_by[key][(row.other_offering_id, row.other_relationship)] += row.count
        if row.missed_constraint is not None:
            missed[key][(row.missed_constraint, None)] += row.count
        ended[key][(row.outcome, None)] += row.count
        if row.kind == GapKind.NOT_UNDERSTOOD.value and row.coverage == "part":
            in_part[key] += row.count
    before: Counter[tuple[str | None, str]] = Counter()
    for kind_row in previous:
        before[(kind_row.capability, kind_row.kind)] += kind_row.count
    wanted = {k.value for k in kinds}
    order = {k.value: i for i, k in enumerate(GapKind)}
    keys = sorted(
        (key for key in totals if key[1] in wanted),
        key=lambda key: (-totals[key], order[key[1]], _key(key[0])),
    )
    gaps = tuple(
        Gap(
            capability=capability,
            kind=GapKind(kind),
            count=totals[(capability, kind)],
            requests=requests[capability] if capability is not None else needs,
            previous_count=before[(capability, kind)],
            served_by=_shares(served_by[(capability, kind)]),
            missed_constraints=_shares(missed[(capability, kind)]),
            outcomes=_shares(ended[(capability, kind)]),
            in_part=in_part[(capability, kind)],
        )
        for capability, kind in keys[:limit]
    )
    shown = {(g.capability, g.kind.value) for g in gaps}
    trend = tuple(
        TrendPoint(w.week, iso_week(w.week), w.capability, GapKind(w.kind), w.count)
        for w in sort_rows(weekly)
        if (w.capability, w.kind) in shown
    )
    kind_trend = tuple(
        KindTrendPoint(w.week, iso_week(w.week), GapKind(w.kind), w.needs, w.facts)
        for w in sort_rows(kind_weekly)
        if w.kind in wanted
    )
    return GapReport(
        where=where,
        needs=needs,
        gaps=gaps,
        total_gaps=len(keys),
        trend=trend,
        weeks=weeks_between(where.since, where.until),
        kind_trend=kind_trend,
    )


def with_examples(
    report: GapReport, examples: Mapping[tuple[str | None, str], Sequence[str]]
) -> GapReport:
    """The report with a few example needs on each gap."""
    gaps = tuple(
        dataclasses.replace(g, examples=tuple(examples.get((g.capability, g.kind.value), ())))
        for g in report.gaps
    )
    return dataclasses.replace(report, gaps=gaps)


class GapSource(Protocol):
    """Where the counts come from (``GapFactRepository``; tests may use facts in memory)."""

    def counts(self, where: GapFilter) -> list[GapCount]: ...
    def kinds(self, where: GapFilter) -> list[KindCount]: ...
    def weekly(self, where: GapFilter) -> list[WeekCount]: ...
    def examples(
        self, where: GapFilter, capability: str | None, kind: GapKind, *, limit: int = 3
    ) -> list[str]: ...
    def readings(
        self, where: GapFilter, kind: GapKind, *, limit: int = 2000
    ) -> list[NeedReading]: ...


def default_window(
    now: dt.datetime, since: dt.datetime | None, until: dt.datetime | None
) -> tuple[dt.datetime, dt.datetime]:
    """``[since, until)``: until defaults to now, since to ``DEFAULT_WINDOW`` before until."""
    end = until or now
    start = since or end - DEFAULT_WINDOW
    return start, end


def gap_report(
    source: GapSource,
    where: GapFilter,
    *,
    kinds: Sequence[GapKind] = GAP_KINDS,
    limit: int = 50,
    examples: int = 3,
) -> GapReport:
    """The ranked gaps of the window, with trends, the previous window and examples."""
    weekly = source.weekly(where)
    report = build_report(
        where,
        counts=source.counts(where),
        previous=source.kinds(where.previous),
        weekly=weekly,
        kind_weekly=needs_per_week(weekly, where),
        kinds=kinds,
        limit=min(limit, MAX_LIMIT),
    )
    if examples <= 0:
        return report
    found = {
        (g.capability, g.kind.value): source.examples(where, g.capability, g.kind, limit=examples)
        for g in report.gaps
    }
    return with_examples(report, found)


CLUSTERED = (GapKind.UNSERVED, GapKind.NOT_UNDERSTOOD)


def gap_clusters(
    source: GapSource,
    where: GapFilter,
    *,
    kinds: Sequence[GapKind] = CLUSTERED,
    labels: Mapping[str, str] | None = None,
    stopwords: frozenset[str] = frozenset(),
    limit: int = 20,
    sample: int = 2000,
) -> list[Cluster]:
    """Clusters of similar needs for the unserved and not-understood gaps, largest first,
    grouped on what the engine read in them (see ``insights/clusters.py``)."""
    clusters: list[Cluster] = []
    for kind in CLUSTERED:
        if kind in kinds:
            readings = source.readings(where, kind, limit=sample)
            clusters.extend(
                cluster_needs(readings, labels=labels, stopwords=stopwords, limit=limit)
            )
    clusters.sort(key=lambda c: (-c.count, c.kind, c.terms, c.representative.casefold()))
    return clusters[:limit]
