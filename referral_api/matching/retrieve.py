"""Retrieve: score offerings lazily, from the highest possible score down.

Every offering's *bound* — its score before preferences subtract anything — comes from the
postings of the need's words (BM25 similarity) and the credit rows of its capabilities, and is
worked out only for the offerings those reach. Offerings are then scored exactly, one by one in
bound order, only as far as the answer needs: once the next bound is below the ``k``-th best
fit, no unseen offering can enter the top ``k``.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from referral_api.domain import Interpretation
from referral_api.matching.constraints import ConstraintChecker
from referral_api.matching.index import MatchingIndex, TextSums
from referral_api.matching.score import (
    Scored,
    coverage_of,
    coverage_vector,
    covered_share,
    score_parts,
)

BOUND_SLACK = 1e-6  # float noise between the vector bound and the exact score
SIMILARITY_FLOOR = 0.5  # share of a need's words the best match must share to count fully
FIRST_CHUNK = 64
SAMPLE_STRIDE = 32  # every 32nd bound, to guess where the best few hundred begin
FIRST_TIER = 256


@dataclass(frozen=True, slots=True)
class Bounds:
    """Upper bounds on the scores of every offering for one need, and what they are made of.

    ``bound`` is 0 for every offering the need's words and capabilities do not reach.
    ``similarity`` holds BM25 sums (float32, as the postings' weights are; None when no word
    is known), relative to the best match once divided by ``scale``; ``covered`` the
    confidence-weighted coverage (None when no capability of any weight is requested).
    """

    bound: npt.NDArray[np.float64]
    similarity: npt.NDArray[np.float32] | None
    scale: float
    covered: npt.NDArray[np.float64] | None

    def relative(self, position: int) -> float:
        """An offering's similarity relative to the best match (0–1)."""
        if self.similarity is None:
            return 0.0
        value = float(self.similarity[position])
        return value / self.scale if self.scale > 0 else value


def bounds(
    index: MatchingIndex, interpretation: Interpretation, text: TextSums | None = None
) -> Bounds:
    """Every offering's score before preferences (an upper bound), and its evidence.

    A handful of whole-array passes, each in place where it can be: with 100,000 offerings
    every extra temporary costs about as much as the arithmetic. ``text``: the BM25 sums
    reading the need already made for some of its words (taken over, see
    :meth:`Postings.sums`).
    """
    weights = index.rules.weights
    terms = interpretation.terms
    requested = interpretation.capabilities
    size = len(index.facts.offerings)
    inactive = index.facts.inactive_positions
    summed = index.text.postings.sums(terms, after=text)
    similarity: npt.NDArray[np.float32] | None = None
    relative = None
    if summed.terms:
        similarity = summed.sums.astype(np.float32)
        similarity[inactive] = 0
    best = float(similarity.max()) if similarity is not None and size else 0.0
    # Relative to the best match, unless even the best matches little of what was said.
    scale = max(best, SIMILARITY_FLOOR * index.text.postings.ideal(terms))
    if similarity is not None:
        relative = np.divide(similarity, scale if scale > 0 else 1.0, dtype=np.float64)
    share = weights.similarity if requested else 1.0
    weight = sum(cap.confidence for cap in requested)
    covered = coverage_vector(requested, index) if weight > 0 else None
    # (1 − share) · coverage + share · relative, as one expression over arrays would give it
    if covered is not None:
        covered /= weight
        bound = covered * (1 - share)
        if relative is not None:
            relative *= share
            bound += relative
    elif relative is not None:
        bound = relative
        bound *= share
    else:
        bound = np.zeros(size, dtype=np.float64)
    bound[inactive] = 0
    return Bounds(bound, similarity, scale, covered)


def serving(index: MatchingIndex, interpretation: Interpretation) -> npt.NDArray[np.int64]:
    """The positions of the offerings that serve what the customer centrally asked for: a
    capability read in the ask (or a structured must-have) covered fully, partly, or through
    a narrower one — a broader one (general payroll for household payroll) or a merely
    related capability does not serve it. Nothing
    serves an ask that was not understood, nor a need in which no capability was read."""
    if not interpretation.ask_understood:
        return np.zeros(0, dtype=np.int64)
    requested = interpretation.capabilities
    central = [c for c in requested if c.central or c.must_have] or list(requested)
    rows = [index.credits.row(cap.id) for cap in central]
    parts: list[npt.NDArray[np.int64]] = [row.positions[row.serves] for row in rows]
    if len(parts) == 1:
        return parts[0]  # (sorted and distinct already)
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


class Scan:
    """The offerings one need reaches, in bound order, scored on demand (each at most once)."""

    def __init__(
        self,
        index: MatchingIndex,
        interpretation: Interpretation,
        checker: ConstraintChecker,
        min_score: float,
        text: TextSums | None = None,
    ) -> None:
        self.index = index
        self.interpretation = interpretation
        self.checker = checker
        self.min_score = min_score
        self.bounds = bounds(index, interpretation, text)
        # An offering that does not serve the ask is never a fit nor shown as one that misses
        # a must-have: it is not reached at all (when nothing was understood, nothing is).
        # (Kept by positions: a pass over every offering costs as much as the rest here.)
        served = serving(index, interpretation)
        self.serves = np.zeros(len(index.facts.offerings), dtype=bool)
        self.serves[served] = True
        bound = np.zeros_like(self.bounds.bound)
        bound[served] = self.bounds.bound[served]
        self.bounds = replace(self.bounds, bound=bound)
        self.bound = bound
        self.floor = max(0.0, min_score - BOUND_SLACK)
        requested = interpretation.capabilities
        # the weighted coverage from the vector is exact only when no capability repeats
        self._dense_coverage = len({c.id for c in requested}) == len(requested)
        self._by_capability = self.bounds.covered is not None
        self._order = self._reached()
        self._peeked: int | None = None
        self._scored: dict[int, Scored] = {}

    def _reached(self) -> Iterator[int]:
        """Every offering whose bound passes the floor, in bound order.

        A scan mostly stops within a few dozen of the thousands reached, so those above a cut
        that a sample of the bounds puts near the best ``FIRST_TIER`` come first, and the rest
        are found only if the scan gets past them. (The cut is a guess: it decides only how
        the work is split, never the order.)
        """
        bound = self.bound
        sample = bound[::SAMPLE_STRIDE]
        rank = FIRST_TIER // SAMPLE_STRIDE
        if sample.size > rank:
            cut = float(np.partition(sample, sample.size - rank)[sample.size - rank])
            if cut > self.floor:
                high = bound >= cut
                yield from self._in_order(np.flatnonzero(high))
                rest = np.logical_not(high, out=high)
                rest &= bound > self.floor
                yield from self._in_order(np.flatnonzero(rest))
                return
        yield from self._in_order(np.flatnonzero(bound > self.floor))

    def in_bound_order(self, positions: npt.NDArray[np.intp]) -> Iterator[int]:
        """``positions`` whose bound passes the floor, best bound first (ties by offering id),
        sorted a chunk at a time so that a scan that stops early sorts little."""
        return self._in_order(positions[self.bound[positions] > self.floor])

    def _in_order(self, rest: npt.NDArray[np.intp]) -> Iterator[int]:
        values = self.bound[rest]
        id_rank = self.index.facts.id_rank
        count = FIRST_CHUNK
        while rest.size:
            keep = None
            if count < rest.size:
                # the best ``count`` and any tied with the last of them, without sorting all
                cut = np.partition(values, rest.size - count)[rest.size - count]
                keep = values >= cut
                chunk, chunk_values = rest[keep], values[keep]
            else:
                chunk, chunk_values = rest, values
            yield from chunk[np.lexsort((id_rank[chunk], -chunk_values))].tolist()
            # most scans stop within the first chunk: set the rest aside only when asked for it
            if keep is None:
                return
            np.logical_not(keep, out=keep)
            rest, values = rest[keep], values[keep]
            count *= 2

    def score(self, position: int) -> Scored:
        """The exact score and evidence of one offering (memoised)."""
        found = self._scored.get(position)
        if found is None:
            requested = self.interpretation.capabilities
            offering = self.index.facts.offerings[position]
            bounds = self.bounds
            if not self._by_capability:
                covered = 0.0
            elif self._dense_coverage and bounds.covered is not None:
                covered = float(bounds.covered[position])
            else:
                covered = covered_share(coverage_of(position, requested, self.index), requested)
            verdicts = self.checker.verdicts(offering)
            parts = score_parts(
                covered,
                bounds.relative(position),
                verdicts,
                self.index.rules.weights,
                by_capability=self._by_capability,
            )
            found = self._scored[position] = Scored(
                position, offering, verdicts, parts, requested=requested, index=self.index
            )
        return found

    def is_fit(self, scored: Scored) -> bool:
        """A fit meets every must-have and serves what the customer centrally asked for."""
        return (
            scored.meets_hard_constraints
            and bool(self.serves[scored.position])
            and scored.score >= self.min_score
        )

    def top(self, fits_wanted: int) -> list[Scored]:
        """Score in bound order until no unseen offering can be among the best ``fits_wanted``
        fits; return everything scored so far (fits and failing ones alike)."""
        best: list[float] = []  # min-heap of the best fit scores
        for scored in self._advance():
            if self.is_fit(scored):
                if len(best) < fits_wanted:
                    heapq.heappush(best, scored.score)
                else:
                    heapq.heappushpop(best, scored.score)
            if len(best) >= fits_wanted and not self._may_reach(best[0]):
                break
        return self.scanned()

    def down_to(self, score: float) -> None:
        """Score every offering whose bound could still reach ``score``."""
        while self._may_reach(score):
            next(self._advance(), None)

    def first_fits(self, wanted: int, positions: npt.NDArray[np.intp]) -> list[Scored]:
        """The ``wanted`` fits with the best bounds among ``positions``."""
        found: list[Scored] = []
        for position in self.in_bound_order(positions):
            if len(found) >= wanted:
                break
            scored = self.score(position)
            if self.is_fit(scored):
                found.append(scored)
        return found

    def scanned(self) -> list[Scored]:
        """Everything scored so far, in bound order."""
        rank = self.index.facts.id_rank
        return sorted(
            self._scored.values(), key=lambda s: (-self.bound[s.position], rank[s.position])
        )

    def scored(self) -> Iterable[Scored]:
        """Everything scored so far, in no particular order."""
        return self._scored.values()

    def everything(self) -> list[Scored]:
        """Every reachable offering, scored."""
        while next(self._advance(), None) is not None:
            pass
        return self.scanned()

    def _advance(self) -> Iterator[Scored]:
        while True:
            position = self._take()
            if position is None:
                return
            yield self.score(position)

    def _take(self) -> int | None:
        if self._peeked is not None:
            position, self._peeked = self._peeked, None
            return position
        return next(self._order, None)

    def _may_reach(self, score: float) -> bool:
        """Whether the next unscanned offering's bound could still reach ``score``."""
        if self._peeked is None:
            self._peeked = next(self._order, None)
            if self._peeked is None:
                return False
        return float(self.bound[self._peeked]) + BOUND_SLACK >= score
