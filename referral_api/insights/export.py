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


def _shares(shares: tuple[Share, ...], names: Mapping[str, str] | None = None) -> str:
    def name(share: Share) -> str:
        return names.get(share.name, share.name) if names is not None else share.name

    return "; ".join(f"{name(s)} ({s.relationship}) {s.count}" if s.relationship else
                     f"{name(s)} {s.count}" for s in shares)  # fmt: skip


def gaps_csv(
    report: GapReport, labels: Mapping[str, str], names: Mapping[str, str] | None = None
) -> str:
    """One row per gap, in the report's order, every cell neutralised. The columns are those
    of ``HEADER`` whatever the kinds; ``served_by`` names offerings by ``names`` (offering id
    → name; an id the catalogue no longer lists stays an id)."""
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
            _shares(gap.served_by, names or {}),
            _shares(gap.missed_constraints),
            _shares(gap.outcomes),
            gap.examples[0] if gap.examples else "",
        )
        writer.writerow([neutralise(cell) for cell in row])
    return out.getvalue()
