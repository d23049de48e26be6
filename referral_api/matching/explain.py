"""Reasons, caveats, disclosures and the honest comparison with our own best offering.

Every sentence here is built from the same evidence that produced the score — coverage,
constraint verdicts, price and the words the need shares with the offering — so no reason is
decorative and no scoring term is silent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from referral_api.domain import (
    BestOwn,
    Catalog,
    Coverage,
    CoverageStatus,
    Disclosure,
    Fit,
    Offering,
    Relationship,
    RequestedCapability,
    Rules,
)
from referral_api.matching.constraints import MUST_HAVE
from referral_api.matching.index import MatchingIndex
from referral_api.matching.score import Scored
from referral_api.matching.text import Token, tokenize

_FALLBACK_DISCLOSURE = {
    Relationship.OWN: "Our own product.",
    Relationship.PARTNER: "Partner product: we have a commercial relationship with its provider.",
    Relationship.COMPETITOR: "Competitor product: we have no commercial relationship.",
    Relationship.OTHER: "Independent resource: we have no commercial relationship.",
}
WHO = {
    Relationship.OWN: "ours",
    Relationship.PARTNER: "a partner",
    Relationship.COMPETITOR: "a competitor",
    Relationship.OTHER: "an independent resource",
}
SIMILARITY_REASON_MIN = 0.3


def join(words: Sequence[str], conjunction: str = "and") -> str:
    """ "a", "a and b", "a, b and c" (or another conjunction: "a, b or c")."""
    items = list(words)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def disclosure(offering: Offering, rules: Rules) -> Disclosure:
    """The relationship disclosure: the offering's own text, else the rules', else a default."""
    fee = offering.referral is not None and offering.referral.fee
    text = (
        (offering.referral.disclosure if offering.referral else None)
        or rules.policy.disclosure_for(offering.relationship, fee)
        or _FALLBACK_DISCLOSURE[offering.relationship]
    )
    return Disclosure(offering.relationship, fee, text)


class Explainer:
    """Turns scored evidence into fits with reasons and caveats, for one need."""

    def __init__(
        self,
        index: MatchingIndex,
        requested: Sequence[RequestedCapability],
        need_text: str,
        soft_unknown: Sequence[str],
        today: dt.date,
        tokens: Sequence[Token] | None = None,
    ) -> None:
        self.index = index
        self.rules = index.rules
        self.catalog: Catalog = index.catalog
        self.requested = requested
        self.tokens = tokenize(need_text) if tokens is None else tokens
        self.soft_unknown = soft_unknown
        self.today = today
        # the need's words an offering's description could share: the first spelling of each
        # stem, with the offerings whose name and summary use it (ascending positions)
        self._shareable: list[tuple[str, npt.NDArray[np.int32]]] = []
        self._prepared: dict[int, list[str]] = {}
        seen: set[str] = set()
        postings = index.text.postings.terms
        for token in self.tokens:
            if token.folded in index.text.stopwords or token.folded.isdigit() or token.stem in seen:
                continue
            seen.add(token.stem)
            hit = postings.get(token.stem)
            if hit is not None:
                self._shareable.append((token.text, hit[0]))

    def label(self, capability: str) -> str:
        cap = self.catalog.capabilities.get(capability)
        return cap.label.lower() if cap else capability

    def fit(self, scored: Scored, rank: int | None) -> Fit:
        return Fit(
            offering=scored.offering,
            score=scored.score,
            parts=scored.parts,
            coverage=scored.coverage,
            constraints=scored.verdicts,
            reasons=tuple(self.reasons(scored)),
            caveats=tuple(self.caveats(scored)),
            disclosure=disclosure(scored.offering, self.rules),
            rank=rank,
        )

    # reasons ----------------------------------------------------------------------------------
    def reasons(self, scored: Scored) -> list[str]:
        reasons = []
        coverage = self._coverage_reason(scored.coverage)
        if coverage:
            reasons.append(coverage)
        # (a must-have met is covered, and the coverage reason says so already)
        reasons += [
            v.detail
            for v in scored.verdicts
            if v.ok and (v.hard or v.name == "segment") and not v.name.startswith(f"{MUST_HAVE}:")
        ]
        if scored.parts.similarity >= SIMILARITY_REASON_MIN or not reasons:
            words = self.shared_words(scored.position)
            if words:
                quoted = ", ".join(f"“{w}”" for w in words)
                reasons.append(f"Its description matches your words {quoted}")
        if not reasons:
            reasons.append("The closest match in the catalogue for what you described")
        return reasons

    def _coverage_reason(self, coverage: Sequence[Coverage]) -> str | None:
        full = [self.label(c.capability) for c in coverage if c.status is CoverageStatus.FULL]
        partial = [self.label(c.capability) for c in coverage if c.status is CoverageStatus.PARTIAL]
        via = [
            c
            for c in coverage
            if c.status in (CoverageStatus.VIA_NARROWER, CoverageStatus.VIA_BROADER)
        ]
        parts = []
        total = len(coverage)
        if full and len(full) == total:
            if total == 1:
                parts.append(f"Covers {full[0]}, which you asked for")
            elif total == 2:
                parts.append(f"Covers {join(full)}, both of which you asked for")
            else:
                parts.append(f"Covers all {total} things you asked for: {join(full)}")
        elif full:
            parts.append(f"Covers {join(full)} fully")
        if partial:
            parts.append(
                f"covers {join(partial)} partly" if parts else f"Covers {join(partial)} partly"
            )
        for c in via:
            how = "a narrower" if c.status is CoverageStatus.VIA_NARROWER else "a broader"
            through = self.label(c.via or "")
            text = f"serves {self.label(c.capability)} through {through} ({how} capability)"
            parts.append(text if parts else text[0].upper() + text[1:])
        return "; ".join(parts) if parts else None

    def prepare(self, positions: Sequence[int]) -> None:
        """Find the shared words of the offerings about to be explained in one pass per word
        (a search of each word's postings for all of them at once)."""
        wanted = np.unique(np.array(positions, dtype=np.intp))
        shared: dict[int, list[str]] = {p: [] for p in wanted.tolist()}
        for text, docs in self._shareable:
            at = docs.searchsorted(wanted)
            inside = at < len(docs)
            found = wanted[inside][docs[at[inside]] == wanted[inside]]
            for position in found.tolist():
                shared[position].append(text)
        self._prepared.update(shared)

    def shared_words(self, position: int, limit: int = 4) -> list[str]:
        """The need's words (one spelling per stem, in order) the offering's name and summary
        also use, from the postings rather than by reading the offering's text again."""
        prepared = self._prepared.get(position)
        if prepared is not None:
            return prepared[:limit]
        shared = []
        for text, docs in self._shareable:
            at = docs.searchsorted(position)
            if at < len(docs) and docs[at] == position:
                shared.append(text)
                if len(shared) == limit:
                    break
        return shared

    # caveats ----------------------------------------------------------------------------------
    def caveats(self, scored: Scored) -> list[str]:
        caveats = []
        missing = [
            self.label(c.capability) for c in scored.coverage if c.status is CoverageStatus.MISSING
        ]
        related = [
            self.label(c.capability) for c in scored.coverage if c.status is CoverageStatus.RELATED
        ]
        if missing:
            caveats.append(f"Does not cover {join(missing)}")
        if related:
            caveats.append(f"Only related to {join(related)}, not a direct fit")
        caveats += [v.detail for v in scored.verdicts if not v.hard and not v.ok]
        offering = scored.offering
        reviewed = offering.reviewed
        limit = self.rules.policy.staleness_days
        if reviewed is None:
            caveats.append("These facts have no review date; confirm them with the provider")
        elif (self.today - reviewed).days > limit:
            caveats.append(
                f"Facts last reviewed {reviewed.isoformat()}, over {limit} days ago; "
                "confirm them with the provider"
            )
        if any("≈" in v.detail for v in scored.verdicts):
            caveats.append("Prices in another currency are converted at approximate rates")
        for name in self.soft_unknown:
            caveats.append(f"This catalogue does not record {name}; check it with the provider")
        return caveats


def best_own_comparison(
    fits: Sequence[Fit], rejected: Sequence[Fit], requested: Sequence[RequestedCapability],
    labeller: Explainer,
) -> BestOwn | None:  # fmt: skip
    """One honest sentence comparing our best offering with the best fit overall."""
    own_fits = [f for f in fits if f.offering.relationship is Relationship.OWN]
    best = fits[0] if fits else None
    total = len(requested)

    def served(fit: Fit) -> int:
        return sum(1 for c in fit.coverage if c.status is not CoverageStatus.MISSING)

    def counted(fit: Fit) -> str:
        n = served(fit)
        if total == 0:
            return ""
        if n == total:
            return (
                "all of your needs"
                if total > 2
                else ("both of your needs" if total == 2 else "your need")
            )
        return f"{n} of your {total} needs"

    if own_fits:
        own = own_fits[0]
        if best is not None and own.offering.id == best.offering.id:
            return BestOwn(
                own.offering.id, own.rank, f"Our {own.offering.name} is the best fit for this need."
            )
        assert best is not None
        theirs = f"{best.offering.name} ({WHO[best.offering.relationship]})"
        if total and served(best) > served(own):
            text = (
                f"Our {own.offering.name} covers {counted(own)}; {theirs} covers {counted(best)}."
            )
        else:
            text = (
                f"Our {own.offering.name} fits too (rank {own.rank}), but {theirs} fits better"
                f"{_why_better(best, own)}."
            )
        return BestOwn(own.offering.id, own.rank, text)
    own_rejected = [f for f in rejected if f.offering.relationship is Relationship.OWN]
    if own_rejected:
        own = own_rejected[0]
        misses = [v for v in own.constraints if v.hard and not v.ok]
        failed = "; ".join(_lower_first(v.detail) for v in misses)
        if best is not None:
            theirs = f"{best.offering.name} ({WHO[best.offering.relationship]})"
            text = (
                f"Our {own.offering.name} does not meet your must-haves ({failed}); {theirs} does."
            )
        else:
            text = f"Our {own.offering.name} does not meet your must-haves ({failed})."
        return BestOwn(own.offering.id, None, text, tuple(v.name for v in misses))
    return None


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _why_better(best: Fit, own: Fit) -> str:
    if best.parts.coverage > own.parts.coverage + 1e-9:
        return " on what it covers"
    if own.parts.penalty > best.parts.penalty + 1e-9:
        return " on your preferences"
    if best.parts.similarity > own.parts.similarity + 1e-9:
        return ": its description is closer to what you described"
    return ""
