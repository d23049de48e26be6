"""CSV cells a spreadsheet would evaluate are neutralised."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from referral_api.insights.export import gaps_csv, neutralise
from referral_api.insights.gaps import GapKind
from referral_api.insights.report import Gap, GapFilter, GapReport


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
