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
from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class Scored:
    """An offering's evidence and score for one need, before explanation."""

    position: int
    offering: Offering
    coverage: tuple[Coverage, ...]
    verdicts: tuple[ConstraintVerdict, ...]
    parts: ScoreParts

    @property
    def score(self) -> float:
        return self.parts.total

    @property
    def meets_hard_constraints(self) -> bool:
        return all(v.ok for v in self.verdicts if v.hard)

    @property
    def failed(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.verdicts if v.hard and not v.ok)


def coverage_of(
    position: int, requested: Sequence[RequestedCapability], index: MatchingIndex
) -> tuple[Coverage, ...]:
    """How the offering at ``position`` serves each requested capability (best graph path)."""
    return tuple(
        index.credit_row(cap.id).coverage(position, index.capability_ids)
        or Coverage(cap.id, CoverageStatus.MISSING, 0.0)
        for cap in requested
    )


def coverage_vector(
    requested: Sequence[RequestedCapability], index: MatchingIndex
) -> npt.NDArray[np.float64]:
    """The confidence-weighted coverage of every offering at once (zeros if none requested)."""
    total = np.zeros(len(index.offerings), dtype=np.float64)
    weight = sum(cap.confidence for cap in requested)
    if weight <= 0:
        return total
    for cap in requested:
        row = index.credit_row(cap.id)
        total[row.positions] += cap.confidence * row.credits  # positions are unique per row
    return total / weight


def score_parts(
    coverage: Sequence[Coverage],
    requested: Sequence[RequestedCapability],
    similarity: float,
    verdicts: Sequence[ConstraintVerdict],
    weights: Weights,
) -> ScoreParts:
    """Combine the evidence into a score (see the module docstring for the formula)."""
    total_weight = sum(cap.confidence for cap in requested)
    penalty = weights.soft_penalty * sum(1 for v in verdicts if not v.hard and not v.ok)
    if total_weight > 0:
        confidence = {cap.id: cap.confidence for cap in requested}
        covered = sum(confidence[c.capability] * c.credit for c in coverage) / total_weight
        share = weights.similarity
    else:
        covered, share = 0.0, 1.0
    raw = (1 - share) * covered + share * similarity - penalty
    return ScoreParts(
        coverage=round(covered, 6),
        similarity=round(similarity, 6),
        penalty=round(penalty, 6),
        total=round(min(1.0, max(0.0, raw)), 6),
    )
