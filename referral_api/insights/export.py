"""The gap report as CSV, safe to open in a spreadsheet.

Cells a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return) are prefixed with an apostrophe: customers' words are data, never code.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping

from referral_api.insights.report import GapReport, Share

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HEADER = (
    "capability",
    "label",
    "kind",
    "count",
    "requests",
    "share",
    "previous_count",
    "new",
    "served_by",
    "missed_constraints",
    "outcomes",
    "example",
)


def neutralise(cell: object) -> str:
    """The cell as text a spreadsheet shows as text, never evaluates."""
    text = "" if cell is None else str(cell)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _shares(shares: tuple[Share, ...]) -> str:
    return "; ".join(f"{s.name} ({s.relationship}) {s.count}" if s.relationship else
                     f"{s.name} {s.count}" for s in shares)  # fmt: skip


def gaps_csv(report: GapReport, labels: Mapping[str, str]) -> str:
    """One row per gap, in the report's order, every cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for gap in report.gaps:
        row = (
            gap.capability or "",
            labels.get(gap.capability, "") if gap.capability else "",
            gap.kind.value,
            gap.count,
            gap.requests,
            f"{gap.share:.3f}",
            gap.previous_count,
            "yes" if gap.is_new else "no",
            _shares(gap.served_by),
            _shares(gap.missed_constraints),
            _shares(gap.outcomes),
            gap.examples[0] if gap.examples else "",
        )
        writer.writerow([neutralise(cell) for cell in row])
    return out.getvalue()
