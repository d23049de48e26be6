"""Expand requested capabilities through the graph, and score offerings against a need.

The score of an offering is

    score = (1 − s) · coverage + s · similarity − Σ penalties          (clamped to [0, 1])

where ``coverage`` is the confidence-weighted share of requested capabilities it serves (full >
partial > via a narrower or broader capability > related, per ``rules.weights``), ``similarity``
is BM25 between the need's words and the offering's own name and summary (relative to the best
match in the catalogue), ``s`` is ``weights.similarity`` (1 when the need names no capability),
and each unmet preference costs ``weights.soft_penalty``. The relationship is not an input.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from referral_api.domain import (
    ConstraintVerdict,
    Coverage,
    CoverageStatus,
    Offering,
    RequestedCapability,
    ScoreParts,
    Weights,
)
from referral_api.matching.index import MatchingIndex


class Scored:
    """An offering's evidence and score for one need, before explanation.

    The per-capability ``coverage`` is worked out on first use: ranking needs only the
    weighted sum (``parts.coverage``), and most scored offerings are never explained.
    """

    __slots__ = (
        "_coverage",
        "_index",
        "_requested",
        "meets_hard_constraints",
        "offering",
        "parts",
        "position",
        "score",
        "verdicts",
    )

    def __init__(
        self,
        position: int,
        offering: Offering,
        verdicts: tuple[ConstraintVerdict, ...],
        parts: ScoreParts,
        *,
        requested: Sequence[RequestedCapability],
        index: MatchingIndex,
    ) -> None:
        self.position = position
        self.offering = offering
        self.verdicts = verdicts
        self.parts = parts
        self.score: float = parts.total
        self.meets_hard_constraints = all(v.ok for v in verdicts if v.hard)
        self._requested = requested
        self._index = index
        self._coverage: tuple[Coverage, ...] | None = None

    @property
    def coverage(self) -> tuple[Coverage, ...]:
        """How it serves each requested capability."""
        if self._coverage is None:
            self._coverage = coverage_of(self.position, self._requested, self._index)
        return self._coverage

    @property
    def failed(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.verdicts if v.hard and not v.ok)

    def __repr__(self) -> str:
        return f"Scored({self.offering.id!r}, score={self.score})"


def coverage_of(
    position: int, requested: Sequence[RequestedCapability], index: MatchingIndex
) -> tuple[Coverage, ...]:
    """How the offering at ``position`` serves each requested capability (best graph path)."""
    return tuple(
        index.credits.row(cap.id).coverage(position, index.capabilities.ids)
        or Coverage(cap.id, CoverageStatus.MISSING, 0.0)
        for cap in requested
    )


def coverage_vector(
    requested: Sequence[RequestedCapability], index: MatchingIndex
) -> npt.NDArray[np.float64]:
    """The confidence-weighted coverage of every offering at once (zeros if none requested),
    before it is divided by the total confidence (see :func:`covered_share`)."""
    total = np.zeros(len(index.facts.offerings), dtype=np.float64)
    for number, cap in enumerate(requested):
        row = index.credits.row(cap.id)
        credit = cap.confidence * row.credits
        if number == 0:
            total[row.positions] = credit  # the same as adding to 0.0, without reading it
        else:
            total[row.positions] += credit  # positions are unique per row
    return total


def covered_share(coverage: Sequence[Coverage], requested: Sequence[RequestedCapability]) -> float:
    """The confidence-weighted share of the requested capabilities one offering serves.

    Equal to :func:`coverage_vector` at the offering over the total confidence, to the last
    bit, when the requested capabilities are distinct: the same products, added in the same
    order (a missing capability adds nothing either way).
    """
    total_weight = sum(cap.confidence for cap in requested)
    if total_weight <= 0:
        return 0.0
    confidence = {cap.id: cap.confidence for cap in requested}
    return sum(confidence[c.capability] * c.credit for c in coverage) / total_weight


def score_parts(
    covered: float,
    similarity: float,
    verdicts: Sequence[ConstraintVerdict],
    weights: Weights,
    *,
    by_capability: bool,
) -> ScoreParts:
    """Combine the evidence into a score (see the module docstring for the formula).

    ``by_capability``: whether the need names capabilities of any weight (else similarity
    alone decides, and ``covered`` is 0).
    """
    penalty = weights.soft_penalty * sum(1 for v in verdicts if not v.hard and not v.ok)
    share = weights.similarity if by_capability else 1.0
    raw = (1 - share) * covered + share * similarity - penalty
    return ScoreParts(
        coverage=round(covered, 6),
        similarity=round(similarity, 6),
        penalty=round(penalty, 6),
        total=round(min(1.0, max(0.0, raw)), 6),
    )
