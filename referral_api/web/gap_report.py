"""The gap report page: filters read from the query string, the report, and what the template
draws — ranked rows with bars and a weekly trend chart as inline SVG, computed here so that the
page reads without JavaScript and needs no inline styles (the pages' CSP forbids them).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from pydantic import ValidationError
from sqlalchemy.orm import Session

from referral_api.errors import InputError
from referral_api.insights.clusters import Cluster
from referral_api.insights.gaps import GapKind
from referral_api.insights.report import (
    NO_OUTCOME,
    GapReport,
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
    GapKind.UNSERVED: "nothing covers it",
    GapKind.SERVED_ELSEWHERE: "the best fit is not ours",
    GapKind.PARTLY_SERVED: "ours covers it in part or misses a must-have",
    GapKind.NOT_UNDERSTOOD: "words nothing matched",
    GapKind.SERVED: "ours is the best fit",
}
FIELDS = ("since", "until", "channel", "segment", "region", "catalog_version", "capability",
          "limit")  # fmt: skip
CHART_WIDTH, CHART_HEIGHT = 720, 240
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 44, 12, 12, 40


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
    return GapFilters({k: params.get(k, "").strip() for k in FIELDS}, tuple(kinds))


def parse_filters(filters: GapFilters) -> tuple[GapQuery | None, dict[str, list[str]]]:
    """The query, or the problems by field (as the filter form shows them)."""
    data: dict[str, Any] = {k: v for k, v in filters.values.items() if v}
    data["kind"] = list(filters.kinds)
    try:
        return GapQuery.model_validate(data), {}
    except ValidationError as exc:
        problems: dict[str, list[str]] = defaultdict(list)
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else ""
            problems[name].append(str(error["msg"]))
        return None, dict(problems)


@dataclass(frozen=True)
class Row:
    """One ranked gap as the table shows it."""

    rank: int
    capability: str | None
    label: str
    kind: str
    kind_label: str
    count: int
    share: str
    previous: int
    new: bool
    bar: float  # width of the bar in the 0–100 viewBox
    served_by: str
    missed: str
    outcomes: str
    examples: tuple[str, ...]


@dataclass(frozen=True)
class Bar:
    """One stacked segment of the weekly chart."""

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
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    x_labels: tuple[Tick, ...]
    y_labels: tuple[Tick, ...]
    gridlines: tuple[float, ...]
    baseline: float
    legend: tuple[tuple[str, str], ...]
    weeks: tuple[tuple[str, Mapping[str, int]], ...]  # the data, for the table beside it
    total: int


def _shares(shares: Sequence[Any], with_relationship: bool = False, outcomes: bool = False) -> str:
    parts = []
    for s in shares[:4]:
        who = f" ({s.relationship})" if with_relationship and s.relationship else ""
        unknown = outcomes and s.name == NO_OUTCOME
        name = "no outcome yet" if unknown else s.name.replace("_", " ")
        parts.append(f"{name}{who} × {s.count}")
    more = len(shares) - 4
    return ", ".join(parts) + (f" and {more} more" if more > 0 else "")


def rows_of(report: GapReport, labels: Mapping[str, str]) -> list[Row]:
    top = max((g.count for g in report.gaps), default=0) or 1
    return [
        Row(
            rank=rank,
            capability=g.capability,
            label=labels.get(g.capability, g.capability) if g.capability else "(not understood)",
            kind=g.kind.value,
            kind_label=KIND_LABELS[g.kind],
            count=g.count,
            share=f"{g.share:.0%}",
            previous=g.previous_count,
            new=g.is_new,
            bar=round(100 * g.count / top, 2),
            served_by=_shares(g.served_by, with_relationship=True),
            missed=_shares(g.missed_constraints),
            outcomes=_shares(g.outcomes, outcomes=True),
            examples=g.examples,
        )
        for rank, g in enumerate(report.gaps, start=1)
    ]


def _nice_ceiling(value: int) -> int:
    for scale in (1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000):
        for step in (1, 2, 5):
            if step * scale >= value:
                return step * scale
    return value


def trend_chart(report: GapReport) -> Chart:
    """Stacked weekly bars of the shown gaps, by kind (coordinates for an inline SVG)."""
    where = report.where
    weeks = report.weeks
    if report.trend and where.until - where.since > dt.timedelta(weeks=len(weeks)):
        # a window longer than the chart holds: draw the weeks that have data (the latest)
        first = min(point.week for point in report.trend)
        last = max(point.week for point in report.trend)
        weeks = weeks_between(
            dt.datetime.combine(first, dt.time(), dt.UTC),
            dt.datetime.combine(last + dt.timedelta(days=7), dt.time(), dt.UTC),
            most=len(weeks),
        )
    per_week: dict[dt.date, dict[str, int]] = {w: {} for w in weeks}
    for point in report.trend:
        if point.week in per_week:
            counts = per_week[point.week]
            counts[point.kind.value] = counts.get(point.kind.value, 0) + point.count
    kinds = [k.value for k in GapKind if any(k.value in c for c in per_week.values())]
    peak = max((sum(c.values()) for c in per_week.values()), default=0)
    ceiling = _nice_ceiling(max(peak, 1))
    plot_w = CHART_WIDTH - PLOT_LEFT - PLOT_RIGHT
    plot_h = CHART_HEIGHT - PLOT_TOP - PLOT_BOTTOM
    baseline = float(PLOT_TOP + plot_h)
    slot = plot_w / max(len(weeks), 1)
    width = max(min(slot * 0.7, 48), 2)
    bars: list[Bar] = []
    x_labels: list[Tick] = []
    every = max(1, len(weeks) // 12)  # at most about a dozen labels
    for index, week in enumerate(weeks):
        x = PLOT_LEFT + index * slot + (slot - width) / 2
        y = baseline
        for kind in kinds:
            count = per_week[week].get(kind, 0)
            if not count:
                continue
            height = plot_h * count / ceiling
            y -= height
            label = KIND_LABELS[GapKind(kind)]
            bars.append(
                Bar(round(x, 2), round(y, 2), round(width, 2), round(height, 2), kind,
                    f"{_week_label(week)}: {label} {count}")
            )  # fmt: skip
        if index % every == 0:
            x_labels.append(Tick(round(x + width / 2, 2), baseline + 18, _week_label(week)))
    gridlines = tuple(round(baseline - plot_h * i / 4, 2) for i in range(1, 5))
    y_labels = tuple(
        Tick(PLOT_LEFT - 6, round(baseline - plot_h * i / 4 + 4, 2), f"{ceiling * i // 4}")
        for i in range(5)
    )
    return Chart(
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        bars=tuple(bars),
        x_labels=tuple(x_labels),
        y_labels=y_labels,
        gridlines=gridlines,
        baseline=baseline,
        legend=tuple((k, KIND_LABELS[GapKind(k)]) for k in kinds),
        weeks=tuple((_week_label(w), per_week[w]) for w in weeks),
        total=sum(sum(c.values()) for c in per_week.values()),
    )


def _week_label(monday: dt.date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class GapPage:
    filters: GapFilters
    problems: Mapping[str, list[str]]
    report: GapReport | None
    rows: Sequence[Row]
    chart: Chart | None
    clusters: Sequence[Cluster]
    csv_url: str


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
        return None, None, {str(f["field"]): [str(f["message"])] for f in exc.fields}
    report = gap_report(GapFactRepository(session), where, kinds=query.kinds(), limit=query.limit)
    return report, query, problems


def gap_page(
    session: Session,
    filters: GapFilters,
    *,
    now: dt.datetime,
    labels: Mapping[str, str],
) -> GapPage:
    """Everything the gap report page shows for ``filters`` (problems instead when invalid)."""
    report, query, problems = filtered_report(session, filters, now=now)
    clusters: list[Cluster] = []
    if report is not None and query is not None:
        source = GapFactRepository(session)
        clusters = gap_clusters(source, report.where, kinds=query.kinds(), limit=12)
    return GapPage(
        filters=filters,
        problems=problems,
        report=report,
        rows=rows_of(report, labels) if report else [],
        chart=trend_chart(report) if report else None,
        clusters=clusters,
        csv_url="/insights/gaps.csv" + (f"?{q}" if (q := filters.query_string()) else ""),
    )


KIND_CHOICES = tuple((k.value, KIND_LABELS[k], KIND_HINTS[k]) for k in GapKind)
CHANNEL_CHOICES = (("api", "API"), ("advocate", "Advocate console"), ("widget", "Widget"))
