"""What the gap report page draws: bars scaled to the top gap, a weekly chart, the CSV link."""

from __future__ import annotations

import datetime as dt

from referral_api.insights.gaps import GapKind
from referral_api.insights.report import (
    NO_OUTCOME,
    Gap,
    GapFilter,
    GapReport,
    Share,
    TrendPoint,
    weeks_between,
)
from referral_api.web.gap_report import parse_filters, read_filters, rows_of, trend_chart

MONDAY = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)


def report(*, days: int = 28, trend: tuple[TrendPoint, ...] = ()) -> GapReport:
    where = GapFilter(since=MONDAY, until=MONDAY + dt.timedelta(days=days))
    gaps = (
        Gap("payroll", GapKind.SERVED_ELSEWHERE, 40, 80, 10),
        Gap("time-tracking", GapKind.UNSERVED, 10, 10, 0),
    )
    return GapReport(where, 90, gaps, 2, trend, weeks_between(where.since, where.until))


def point(week: int, kind: GapKind, count: int) -> TrendPoint:
    monday = MONDAY.date() + dt.timedelta(weeks=week)
    return TrendPoint(monday, "", "payroll", kind, count)


def test_bars_are_scaled_to_the_most_frequent_gap() -> None:
    rows = rows_of(report(), {"payroll": "Payroll"})
    assert [(r.label, r.bar, r.share, r.new) for r in rows] == [
        ("Payroll", 100.0, "50%", False),
        ("time-tracking", 25.0, "100%", True),  # no label known: the id
    ]


def test_outcomes_read_as_words_and_needs_without_one_say_so() -> None:
    outcomes = (Share(NO_OUTCOME, 11), Share("referred_elsewhere", 3), Share("accepted", 1))
    gap = Gap("payroll", GapKind.SERVED_ELSEWHERE, 15, 15, 0, outcomes=outcomes)
    base = report()
    (row,) = rows_of(GapReport(base.where, 15, (gap,), 1, (), base.weeks), {})
    assert row.outcomes == "no outcome yet × 11, referred elsewhere × 3, accepted × 1"


def test_the_chart_stacks_kinds_per_week_on_a_round_scale() -> None:
    trend = (
        point(0, GapKind.UNSERVED, 3),
        point(0, GapKind.SERVED_ELSEWHERE, 9),
        point(2, GapKind.UNSERVED, 4),
    )
    chart = trend_chart(report(trend=trend))
    assert [week for week, _ in chart.weeks] == ["2026-W45", "2026-W46", "2026-W47", "2026-W48"]
    assert [tick.text for tick in chart.y_labels] == ["0", "5", "10", "15", "20"]  # peak 12
    assert len(chart.bars) == 3
    first_week = [b for b in chart.bars if b.title.startswith("2026-W45")]
    # stacked: the second segment sits on the first
    assert first_week[0].y == round(first_week[1].y + first_week[1].height, 2)
    assert chart.total == 16


def test_a_long_window_draws_the_weeks_with_data() -> None:
    chart = trend_chart(report(days=3650, trend=(point(1, GapKind.UNSERVED, 2),)))
    assert [week for week, _ in chart.weeks] == ["2026-W46"]


def test_weeks_between_keeps_the_latest() -> None:
    # 100 weeks from 2026-11-02: the last one starts on 2028-09-25 (the end is excluded)
    weeks = weeks_between(MONDAY, MONDAY + dt.timedelta(weeks=100), most=3)
    assert [w.isoformat() for w in weeks] == ["2028-09-11", "2028-09-18", "2028-09-25"]


def test_filters_keep_what_was_typed_and_name_what_is_wrong() -> None:
    filters = read_filters({"since": " 2026-11-01 ", "limit": "0", "x": "y"}, ["unserved"])
    assert filters.get("since") == "2026-11-01"
    assert "x" not in filters.values
    query, problems = parse_filters(filters)
    assert query is None
    assert list(problems) == ["limit"]
    assert filters.query_string() == "since=2026-11-01&limit=0&kind=unserved"
