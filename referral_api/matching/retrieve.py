"""Retrieve: score offerings lazily, from the highest possible score down.

Every offering's *bound* — its score before preferences subtract anything — is one vector sum
over the index (coverage credit rows plus BM25 similarity), so it costs the same whether the
catalogue holds a thousand offerings or a hundred thousand. Offerings are then scored exactly,
one by one in bound order, only as far as the answer needs: once the next bound is below the
``k``-th best fit, no unseen offering can enter the top ``k``.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from referral_api.domain import Interpretation
from referral_api.matching.constraints import ConstraintChecker
from referral_api.matching.index import MatchingIndex
from referral_api.matching.score import Scored, coverage_of, coverage_vector, score_parts

BOUND_SLACK = 1e-6  # float noise between the vector bound and the exact score
SIMILARITY_FLOOR = 0.5  # share of a need's words the best match must share to count fully
FIRST_CHUNK = 64


def bounds(
    index: MatchingIndex, interpretation: Interpretation
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Every offering's score before preferences (an upper bound), and its similarity (0–1)."""
    weights = index.rules.weights
    terms = interpretation.terms
    similarity = index.text.scores(terms).astype(np.float64) * index.active
    best = float(similarity.max()) if similarity.size else 0.0
    # Relative to the best match, unless even the best matches little of what was said.
    scale = max(best, SIMILARITY_FLOOR * index.text.ideal(terms))
    relative = similarity / scale if scale > 0 else similarity
    share = weights.similarity if interpretation.capabilities else 1.0
    coverage = coverage_vector(interpretation.capabilities, index)
    bound = ((1 - share) * coverage + share * relative) * index.active
    return bound, relative


class Scan:
    """The offerings one need reaches, in bound order, scored on demand (each at most once)."""

    def __init__(
        self,
        index: MatchingIndex,
        interpretation: Interpretation,
        checker: ConstraintChecker,
        min_score: float,
    ) -> None:
        self.index = index
        self.interpretation = interpretation
        self.checker = checker
        self.min_score = min_score
        self.bound, self.relative = bounds(index, interpretation)
        self.floor = max(0.0, min_score - BOUND_SLACK)
        self._order = self.in_bound_order(np.flatnonzero(self.bound > self.floor))
        self._peeked: int | None = None
        self._scored: dict[int, Scored] = {}

    def in_bound_order(self, positions: npt.NDArray[np.intp]) -> Iterator[int]:
        """``positions`` whose bound passes the floor, best bound first (ties by offering id),
        sorted a chunk at a time so that a scan that stops early sorts little."""
        rest = positions[self.bound[positions] > self.floor]
        count = FIRST_CHUNK
        taken = np.zeros(len(self.bound), dtype=bool)
        while rest.size:
            chunk = self.index.best_first(self.bound, rest, count=count)
            taken[chunk] = True
            rest = rest[~taken[rest]]
            yield from chunk.tolist()
            count *= 2

    def score(self, position: int) -> Scored:
        """The exact score and evidence of one offering (memoised)."""
        found = self._scored.get(position)
        if found is None:
            requested = self.interpretation.capabilities
            offering = self.index.offerings[position]
            coverage = coverage_of(position, requested, self.index)
            verdicts = self.checker.verdicts(offering)
            parts = score_parts(
                coverage,
                requested,
                float(self.relative[position]),
                verdicts,
                self.index.rules.weights,
            )
            found = self._scored[position] = Scored(position, offering, coverage, verdicts, parts)
        return found

    def is_fit(self, scored: Scored) -> bool:
        return scored.meets_hard_constraints and scored.score >= self.min_score

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
        rank = self.index.id_rank
        return sorted(
            self._scored.values(), key=lambda s: (-self.bound[s.position], rank[s.position])
        )

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
