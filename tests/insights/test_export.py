"""CSV cells a spreadsheet would evaluate are neutralised."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from referral_api.insights.export import HEADER, gaps_csv, neutralise
from referral_api.insights.gaps import GapKind
from referral_api.insights.report import Gap, GapFilter, GapReport, Share


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ("payroll = pay", "payroll = pay"),  # only the first character matters
        ("", ""),
        (None, ""),
        (37, "37"),
    ],
)
def test_neutralise(cell: object, expected: str) -> None:
    assert neutralise(cell) == expected


def test_every_cell_of_the_report_is_neutralised() -> None:
    since = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    gap = Gap(
        capability="payroll",
        kind=GapKind.UNSERVED,
        count=3,
        requests=4,
        previous_count=0,
        examples=("=1+1 payroll please", "second"),
    )
    report = GapReport(
        where=GapFilter(since=since, until=since + dt.timedelta(days=28)),
        needs=4,
        gaps=(gap,),
        total_gaps=1,
        trend=(),
    )
    rows = list(csv.reader(io.StringIO(gaps_csv(report, {"payroll": "@Payroll"}))))
    assert rows[0][:3] == ["capability", "label", "kind"]
    assert rows[1] == [
        "payroll",
        "'@Payroll",
        "unserved",
        "3",
        "4",
        "0.750",
        "0",
        "yes",
        "",
        "",
        "",
        "'=1+1 payroll please",
    ]


def test_the_columns_are_unchanged_and_offerings_are_named() -> None:
    """Issue 18: the download keeps its shape; offerings show by name with relationship."""
    since = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    gaps = (
        Gap("payroll", GapKind.SERVED_ELSEWHERE, 2, 2, 0,
            served_by=(Share("kyuyo-cloud", 2, "competitor"),),
            missed_constraints=(Share("region", 2),)),
        Gap("crypto-payments", GapKind.UNSERVED, 1, 1, 0, missed_constraints=(Share("region", 1),)),
        Gap(None, GapKind.NOT_UNDERSTOOD, 1, 4, 0, examples=("help me write a wedding speech",)),
    )  # fmt: skip
    report = GapReport(
        where=GapFilter(since=since, until=since + dt.timedelta(days=28)),
        needs=4,
        gaps=gaps,
        total_gaps=3,
        trend=(),
    )
    text = gaps_csv(report, {"payroll": "Payroll"}, {"kyuyo-cloud": "Kyuyo Cloud"})
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == HEADER == (
        "capability", "label", "kind", "count", "requests", "share", "previous_count", "new",
        "served_by", "missed_constraints", "outcomes", "example",
    )  # fmt: skip
    assert [row[2] for row in rows[1:]] == ["served_elsewhere", "unserved", "not_understood"]
    assert rows[1][8] == "Kyuyo Cloud (competitor) 2"
    assert rows[2][9] == "region 1"
    assert all(len(row) == len(HEADER) for row in rows)
