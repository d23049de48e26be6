"""The gap report page: filters read from the query string, the report, and what the template
draws — one card per gap (they reflow on a phone, where a wide table would be clipped), a
weekly chart of needs per kind as inline SVG and the clusters, computed here so that the page
reads without JavaScript and needs no inline styles (the pages' CSP forbids them).

Every number the page shows says what it counts: needs (distinct recommendations), gaps (one
capability and kind), or gap facts (one per need and capability) where those differ.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from pydantic import ValidationError
from sqlalchemy.orm import Session

from referral_api.errors import InputError
from referral_api.insights.clusters import Cluster
from referral_api.insights.gaps import GapKind, constraint_label
from referral_api.insights.report import (
    DEFAULT_WINDOW,
    NO_OUTCOME,
    GapReport,
    Share,
    gap_clusters,
    gap_report,
    weeks_between,
)
from referral_api.schemas import GapQuery
from referral_api.store.repositories import GapFactRepository

KIND_LABELS = {
    GapKind.UNSERVED: "Unserved",
    GapKind.SERVED_ELSEWHERE: "Served elsewhere",
    GapKind.PARTLY_SERVED: "Partly served",
    GapKind.NOT_UNDERSTOOD: "Not understood",
    GapKind.SERVED: "Served by us",
}
KIND_HINTS = {
    GapKind.UNSERVED: "nothing in the catalogue covers it, or nothing that does meets the "
    "customer's must-haves",
    GapKind.SERVED_ELSEWHERE: "the best fit is not ours",
    GapKind.PARTLY_SERVED: "ours is the best fit but covers it only in part",
    GapKind.NOT_UNDERSTOOD: "the ask, or words beside an understood ask, that nothing matched; "
    "never counted as demand for a capability",
    GapKind.SERVED: "ours is the best fit and covers it fully",
}
RELATIONSHIP_LABELS = {
    "own": "ours",
    "partner": "partner",
    "competitor": "competitor",
    "other": "independent",
}
FIELDS = ("since", "until", "channel", "segment", "region", "catalog_version", "capability",
          "limit")  # fmt: skip
FIELD_LABELS = {
    "since": "From",
    "until": "To",
    "channel": "Channel",
    "segment": "Segment",
    "region": "Region",
    "catalog_version": "Catalogue version",
    "capability": "Capability",
    "limit": "Show at most",
    "kind": "Gap kinds",
}
#: what to type instead, by field: the schema's own messages are for programs
FIELD_ADVICE = {
    "since": "is not a date: pick one, or write it as 2026-11-01",
    "until": "is not a date: pick one, or write it as 2026-11-30",
    "channel": "must be one of the listed channels",
    "segment": "must be one word, such as small or enterprise",
    "region": "must be a region code, such as DE or US",
    "catalog_version": "must be a whole number (a stored catalogue version), or empty for any",
    "capability": "must be one of the listed capabilities",
    "limit": "must be a whole number from 1 to 200",
    "kind": "must be among the listed kinds",
}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CHART_WIDTH, CHART_HEIGHT = 720, 280
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 56, 12, 34, 56


@dataclass(frozen=True)
class GapFilters:
    """The filter form's values as typed (so a refused value is shown back, not lost)."""

    values: Mapping[str, str]
    kinds: tuple[str, ...]

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def query_string(self) -> str:
        pairs = [(k, v) for k, v in self.values.items() if v]
        pairs += [("kind", k) for k in self.kinds]
        return urlencode(pairs)


def read_filters(params: Mapping[str, str], kinds: Sequence[str]) -> GapFilters:
    """The form's values from a query string (unknown parameters are ignored)."""
    return GapFilters({k: params.get(k, "").strip() for k in FIELDS}, tuple(kinds))


def _day(value: str, name: str) -> str:
    """A date picker's day as the moment the window starts or ends: "To" includes its day."""
    if not DATE.match(value):
        return value  # a full timestamp (from a link or the API's habits) is taken as it is
    day = dt.date.fromisoformat(value)  # checked by the caller: ValueError on a bad day
    if name == "until":
        day += dt.timedelta(days=1)
    return f"{day.isoformat()}T00:00:00Z"


def parse_filters(filters: GapFilters) -> tuple[GapQuery | None, dict[str, list[str]]]:
    """The query, or the problems by field in words a person can act on, each naming its
    field ("From is not a date: …")."""
    data: dict[str, Any] = {}
    problems: dict[str, list[str]] = defaultdict(list)
    for name, value in filters.values.items():
        if not value:
            continue
        if name in ("since", "until"):
            try:
                value = _day(value, name)
            except ValueError:
                problems[name].append(f"{FIELD_LABELS[name]} {FIELD_ADVICE[name]}.")
                continue
        data[name] = value
    data["kind"] = list(filters.kinds)
    try:
        query = GapQuery.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else ""
            advice = FIELD_ADVICE.get(name, str(error["msg"]))
            message = f"{FIELD_LABELS.get(name, name)} {advice}."
            if message not in problems[name]:
                problems[name].append(message)
        return None, dict(problems)
    if problems:
        return None, dict(problems)
    return query, {}


@dataclass(frozen=True)
class Named:
    """An offering, a constraint or an outcome within a gap, as the page shows it."""

    name: str
    count: int
    relationship: str | None = None  # own, partner, competitor, other (offerings only)
    badge: str | None = None  # what the relationship badge says


@dataclass(frozen=True)
class Card:
    """One ranked gap as its card shows it."""

    rank: int
    capability: str | None
    label: str
    kind: str
    kind_label: str
    count: int  # needs with this gap
    requests: int  # needs asking for the capability (not understood: every need)
    share: str
    previous: int
    new: bool
    bar: float  # width of the bar in the 0–100 viewBox
    served_by: tuple[Named, ...]
    missed: tuple[Named, ...]
    missed_title: str
    outcomes: tuple[Named, ...]
    examples: tuple[str, ...]
    #: not understood only: needs whose ask was understood but for some words beside it
    in_part: int = 0


def _named(shares: Sequence[Share], names: Mapping[str, str]) -> tuple[Named, ...]:
    return tuple(
        Named(
            names.get(s.name, s.name),
            s.count,
            s.relationship,
            RELATIONSHIP_LABELS.get(s.relationship or "", s.relationship),
        )
        for s in shares
    )


def cards_of(
    report: GapReport, labels: Mapping[str, str], names: Mapping[str, str] | None = None
) -> list[Card]:
    """The report's gaps as cards: names, not ids (a capability's label, an offering's name
    with its relationship), and every count with its unit."""
    names = names or {}
    top = max((g.count for g in report.gaps), default=0) or 1
    cards = []
    for rank, g in enumerate(report.gaps, start=1):
        missed = tuple(Named(constraint_label(s.name), s.count) for s in g.missed_constraints)
        outcomes = tuple(
            Named("no outcome recorded" if s.name == NO_OUTCOME else s.name.replace("_", " "),
                  s.count)
            for s in g.outcomes
        )  # fmt: skip
        unserved = g.kind is GapKind.UNSERVED
        cards.append(
            Card(
                rank=rank,
                capability=g.capability,
                label=labels.get(g.capability, g.capability) if g.capability else "Not understood",
                kind=g.kind.value,
                kind_label=KIND_LABELS[g.kind],
                count=g.count,
                requests=g.requests,
                share=f"{g.share:.0%}",
                previous=g.previous_count,
                new=g.is_new,
                bar=round(100 * g.count / top, 2),
                served_by=_named(g.served_by, names),
                missed=missed,
                missed_title=(
                    "Must-have every offering covering it failed"
                    if unserved
                    else "Must-have our offering failed"
                ),
                outcomes=outcomes,
                examples=g.examples,
                in_part=g.in_part,
            )
        )
    return cards


@dataclass(frozen=True)
class Bar:
    """One bar of the weekly chart: one kind in one week."""

    x: float
    y: float
    width: float
    height: float
    kind: str
    title: str


@dataclass(frozen=True)
class Tick:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class WeekRow:
    """One week of the chart's data table: needs and gap facts per kind."""

    label: str
    needs: Mapping[str, int]
    facts: Mapping[str, int]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    x_labels: tuple[Tick, ...]
    y_labels: tuple[Tick, ...]
    gridlines: tuple[float, ...]
    baseline: float
    plot_left: int
    plot_right: int
    legend: tuple[tuple[str, str], ...]
    weeks: tuple[WeekRow, ...]  # the data, for the table beside it
    span: str  # the first and last week drawn, for the x axis' title
    total_needs: int  # sum over weeks and kinds (a need with two kinds counts in both)
    total_facts: int
    empty: bool


def _axis(peak: int) -> tuple[int, int]:
    """(top, step) of a y axis for counts up to ``peak``: whole-number ticks, at most five
    steps above zero, never two alike (a peak of 1 reads 0, 1; not 1, 0, 0, 0, 0)."""
    peak = max(peak, 1)
    scale = 1
    while True:
        for step in (1, 2, 5):
            if step * scale * 5 >= peak:
                size = step * scale
                return size * -(-peak // size), size
        scale *= 10


def trend_chart(report: GapReport) -> Chart:
    """Needs per ISO week and kind as grouped bars (coordinates for an inline SVG): a need
    with a gap of two kinds is one bar of each, never stacked into a sum that would
    count it twice."""
    where = report.where
    weeks = report.weeks
    points = report.kind_trend
    if points and where.until - where.since > dt.timedelta(weeks=len(weeks)):
        # a window longer than the chart holds: draw the weeks that have data (the latest)
        first = min(point.week for point in points)
        last = max(point.week for point in points)
        weeks = weeks_between(
            dt.datetime.combine(first, dt.time(), dt.UTC),
            dt.datetime.combine(last + dt.timedelta(days=7), dt.time(), dt.UTC),
            most=len(weeks),
        )
    needs: dict[dt.date, dict[str, int]] = {w: {} for w in weeks}
    facts: dict[dt.date, dict[str, int]] = {w: {} for w in weeks}
    for point in points:
        if point.week in needs:
            needs[point.week][point.kind.value] = point.needs
            facts[point.week][point.kind.value] = point.facts
    kinds = [k.value for k in GapKind if any(k.value in c for c in needs.values())]
    peak = max((n for c in needs.values() for n in c.values()), default=0)
    top, step = _axis(peak)
    plot_w = CHART_WIDTH - PLOT_LEFT - PLOT_RIGHT
    plot_h = CHART_HEIGHT - PLOT_TOP - PLOT_BOTTOM
    baseline = float(PLOT_TOP + plot_h)
    slot = plot_w / max(len(weeks), 1)
    group = min(slot * 0.8, 28.0 * max(len(kinds), 1))
    width = max(group / max(len(kinds), 1), 1.0)
    bars: list[Bar] = []
    x_labels: list[Tick] = []
    every = max(1, -(-len(weeks) // 8))  # at most eight labels: they must not overlap
    for index, week in enumerate(weeks):
        left = PLOT_LEFT + index * slot + (slot - group) / 2
        for position, kind in enumerate(kinds):
            count = needs[week].get(kind, 0)
            if not count:
                continue
            height = plot_h * count / top
            label = KIND_LABELS[GapKind(kind)]
            noun = "need" if count == 1 else "needs"
            bars.append(
                Bar(round(left + position * width, 2), round(baseline - height, 2),
                    round(max(width - 1, 1), 2), round(height, 2), kind,
                    f"{_week_label(week)}: {count} {noun} {label.lower()}")
            )  # fmt: skip
        if index % every == 0:
            # short ("W48"): the axis title gives the year, so labels stay legible on a phone
            short = f"W{week.isocalendar()[1]:02d}"
            x_labels.append(Tick(round(left + group / 2, 2), baseline + 24, short))
    levels = range(0, top + 1, step)
    gridlines = tuple(round(baseline - plot_h * level / top, 2) for level in levels if level)
    y_labels = tuple(
        Tick(PLOT_LEFT - 8, round(baseline - plot_h * level / top + 4, 2), str(level))
        for level in levels
    )
    return Chart(
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        bars=tuple(bars),
        x_labels=tuple(x_labels),
        y_labels=y_labels,
        gridlines=gridlines,
        baseline=baseline,
        plot_left=PLOT_LEFT,
        plot_right=CHART_WIDTH - PLOT_RIGHT,
        legend=tuple((k, KIND_LABELS[GapKind(k)]) for k in kinds),
        weeks=tuple(WeekRow(_week_label(w), needs[w], facts[w]) for w in weeks),
        span=f"{_week_label(weeks[0])} to {_week_label(weeks[-1])}" if weeks else "",
        total_needs=sum(sum(c.values()) for c in needs.values()),
        total_facts=sum(sum(c.values()) for c in facts.values()),
        empty=not bars,
    )


def _week_label(monday: dt.date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class ClusterCard:
    """A cluster as its card shows it."""

    kind: str
    kind_label: str
    count: int
    terms: tuple[str, ...]
    representative: str
    examples: tuple[str, ...]


@dataclass(frozen=True)
class GapPage:
    filters: GapFilters
    problems: Mapping[str, list[str]]
    report: GapReport | None
    cards: Sequence[Card]
    chart: Chart | None
    clusters: Sequence[ClusterCard]
    csv_url: str
    #: the window as the page shows it: first and last day included (UTC)
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    default_days: int = DEFAULT_WINDOW.days


def filtered_report(
    session: Session, filters: GapFilters, *, now: dt.datetime
) -> tuple[GapReport | None, GapQuery | None, Mapping[str, list[str]]]:
    """The gap report for the page's ``filters`` and the query it ran, or the problems that
    make the filters invalid."""
    query, problems = parse_filters(filters)
    if query is None:
        return None, None, problems
    try:
        where = query.to_filter(now)
    except InputError as exc:
        return (
            None,
            None,
            {
                str(f["field"]): [
                    f"{FIELD_LABELS['since']} must be before {FIELD_LABELS['until']}."
                ]
                for f in exc.fields
            },
        )
    report = gap_report(GapFactRepository(session), where, kinds=query.kinds(), limit=query.limit)
    return report, query, problems


def _cluster_card(cluster: Cluster) -> ClusterCard:
    kind = GapKind(cluster.kind)
    return ClusterCard(
        kind=kind.value,
        kind_label=KIND_LABELS[kind],
        count=cluster.count,
        terms=cluster.terms,
        representative=cluster.representative,
        examples=tuple(e for e in cluster.examples if e != cluster.representative),
    )


def gap_page(
    session: Session,
    filters: GapFilters,
    *,
    now: dt.datetime,
    labels: Mapping[str, str],
    names: Mapping[str, str] | None = None,
    stopwords: frozenset[str] = frozenset(),
) -> GapPage:
    """Everything the gap report page shows for ``filters`` (problems instead when invalid);
    ``labels`` and ``names`` are the active catalogue's capability labels and offering names."""
    report, query, problems = filtered_report(session, filters, now=now)
    clusters: list[Cluster] = []
    if report is not None and query is not None:
        source = GapFactRepository(session)
        clusters = gap_clusters(
            source, report.where, kinds=query.kinds(), labels=labels, stopwords=stopwords,
            limit=12,
        )  # fmt: skip
    first_day = last_day = None
    if report is not None:
        first_day = report.where.since.astimezone(dt.UTC).date()
        last_day = (report.where.until - dt.timedelta(microseconds=1)).astimezone(dt.UTC).date()
    return GapPage(
        filters=filters,
        problems=problems,
        report=report,
        cards=cards_of(report, labels, names) if report else [],
        chart=trend_chart(report) if report else None,
        clusters=[_cluster_card(c) for c in clusters],
        csv_url="/insights/gaps.csv" + (f"?{q}" if (q := filters.query_string()) else ""),
        first_day=first_day,
        last_day=last_day,
    )


KIND_CHOICES = tuple((k.value, KIND_LABELS[k], KIND_HINTS[k]) for k in GapKind)
CHANNEL_CHOICES = (("api", "API"), ("advocate", "Advocate console"), ("widget", "Widget"))
