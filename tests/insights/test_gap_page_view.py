"""What the gap report page draws: bars scaled to the top gap, a weekly chart, the CSV link."""

from __future__ import annotations

import datetime as dt

import pytest

from referral_api.insights.gaps import GapKind
from referral_api.insights.report import (
    NO_OUTCOME,
    Gap,
    GapFilter,
    GapReport,
    KindTrendPoint,
    Share,
    weeks_between,
)
from referral_api.web.gap_report import cards_of, parse_filters, read_filters, trend_chart

MONDAY = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)


def report(*, days: int = 28, trend: tuple[KindTrendPoint, ...] = ()) -> GapReport:
    where = GapFilter(since=MONDAY, until=MONDAY + dt.timedelta(days=days))
    gaps = (
        Gap(
            "payroll",
            GapKind.SERVED_ELSEWHERE,
            40,
            80,
            10,
            served_by=(Share("kyuyo-cloud", 30, "competitor"), Share("gone-offering", 10, "other")),
            missed_constraints=(Share("region", 40),),
        ),
        Gap(
            "time-tracking",
            GapKind.UNSERVED,
            10,
            10,
            0,
            missed_constraints=(Share("budget_monthly", 4),),
        ),
    )
    return GapReport(
        where, 90, gaps, 2, (), weeks_between(where.since, where.until), kind_trend=trend
    )


def point(week: int, kind: GapKind, needs: int, facts: int | None = None) -> KindTrendPoint:
    monday = MONDAY.date() + dt.timedelta(weeks=week)
    return KindTrendPoint(monday, "", kind, needs, needs if facts is None else facts)


def test_bars_are_scaled_to_the_most_frequent_gap() -> None:
    cards = cards_of(report(), {"payroll": "Payroll"})
    assert [(c.label, c.bar, c.share, c.new) for c in cards] == [
        ("Payroll", 100.0, "50%", False),
        ("time-tracking", 25.0, "100%", True),  # no label known: the id
    ]


def test_offerings_show_by_name_with_their_relationship_and_constraints_in_words() -> None:
    cards = cards_of(report(), {}, {"kyuyo-cloud": "Kyuyo Cloud"})
    served = cards[0].served_by
    assert [(n.name, n.badge, n.count) for n in served] == [
        ("Kyuyo Cloud", "competitor", 30),
        ("gone-offering", "independent", 10),  # dropped from the catalogue: its id
    ]
    assert [(m.name, m.count) for m in cards[0].missed] == [("region", 40)]
    assert cards[0].missed_title == "Must-have our offering failed"
    assert [(m.name, m.count) for m in cards[1].missed] == [("budget", 4)]
    assert cards[1].missed_title == "Must-have every offering covering it failed"


def test_outcomes_read_as_words_and_needs_without_one_say_so() -> None:
    outcomes = (Share(NO_OUTCOME, 11), Share("referred_elsewhere", 3), Share("accepted", 1))
    gap = Gap("payroll", GapKind.SERVED_ELSEWHERE, 15, 15, 0, outcomes=outcomes)
    base = report()
    (card,) = cards_of(GapReport(base.where, 15, (gap,), 1, (), base.weeks), {})
    assert [(o.name, o.count) for o in card.outcomes] == [
        ("no outcome recorded", 11),
        ("referred elsewhere", 3),
        ("accepted", 1),
    ]


def test_the_chart_draws_needs_per_kind_side_by_side_on_a_round_scale() -> None:
    trend = (
        point(0, GapKind.UNSERVED, 3, facts=5),
        point(0, GapKind.SERVED_ELSEWHERE, 9),
        point(2, GapKind.UNSERVED, 4),
    )
    chart = trend_chart(report(trend=trend))
    assert [week.label for week in chart.weeks] == ["2026-W45", "2026-W46", "2026-W47", "2026-W48"]
    assert [tick.text for tick in chart.y_labels] == ["0", "2", "4", "6", "8", "10"]  # peak 9
    assert len(chart.bars) == 3
    first_week = [b for b in chart.bars if b.title.startswith("2026-W45")]
    # side by side on the baseline, never stacked into a sum that counts a need twice
    assert {round(b.y + b.height, 2) for b in first_week} == {chart.baseline}
    assert first_week[0].x + first_week[0].width <= first_week[1].x
    assert first_week[0].title == "2026-W45: 3 needs unserved"
    assert (chart.total_needs, chart.total_facts) == (16, 18)
    assert chart.weeks[0].facts["unserved"] == 5


@pytest.mark.parametrize(
    ("peak", "ticks"),
    [
        (0, ["0", "1"]),  # an empty chart: not 1, 0, 0, 0, 0
        (1, ["0", "1"]),
        (3, ["0", "1", "2", "3"]),
        (7, ["0", "2", "4", "6", "8"]),
        (12, ["0", "5", "10", "15"]),
        (81, ["0", "20", "40", "60", "80", "100"]),
    ],
)
def test_the_axis_has_whole_distinct_ticks(peak: int, ticks: list[str]) -> None:
    trend = (point(0, GapKind.UNSERVED, peak),) if peak else ()
    chart = trend_chart(report(trend=trend))
    assert [tick.text for tick in chart.y_labels] == ticks
    assert chart.empty is (peak == 0)


def test_a_long_window_draws_the_weeks_with_data() -> None:
    chart = trend_chart(report(days=3650, trend=(point(1, GapKind.UNSERVED, 2),)))
    assert [week.label for week in chart.weeks] == ["2026-W46"]


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
    assert problems == {"limit": ["Show at most must be a whole number from 1 to 200."]}
    assert filters.query_string() == "since=2026-11-01&limit=0&kind=unserved"


@pytest.mark.parametrize(
    ("since", "until", "problem"),
    [
        ("2026-11", "", {"since": ["From is not a date: pick one, or write it as 2026-11-01."]}),
        ("", "2026-02-30", {"until": ["To is not a date: pick one, or write it as 2026-11-30."]}),
        ("yesterday", "", {"since": ["From is not a date: pick one, or write it as 2026-11-01."]}),
    ],
)
def test_a_bad_date_names_its_field(since: str, until: str, problem: dict[str, list[str]]) -> None:
    query, problems = parse_filters(read_filters({"since": since, "until": until}, []))
    assert query is None
    assert problems == problem


def test_a_day_picked_as_to_is_included() -> None:
    query, _ = parse_filters(read_filters({"since": "2026-11-01", "until": "2026-11-30"}, []))
    assert query is not None
    where = query.to_filter(MONDAY)
    assert where.since == dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    assert where.until == dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
