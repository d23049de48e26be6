"""The engine: interpret → expand → retrieve → score → bundle → explain, over one catalogue."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence

from referral_api import ENGINE_VERSION
from referral_api.domain import (
    BestOwn,
    Bundle,
    Catalog,
    CoverageStatus,
    Fit,
    Interpretation,
    MarketCoverage,
    Need,
    Recommendation,
    Relationship,
    Relaxation,
    RequestedCapability,
    Rules,
    TieBreak,
    Unmet,
)
from referral_api.domain.constraint_kinds import CONSTRAINT_KINDS
from referral_api.matching.bundle import find_bundles
from referral_api.matching.constraints import ConstraintChecker
from referral_api.matching.explain import WHO, Explainer, best_own_comparison, join
from referral_api.matching.index import MatchingIndex, TextSums
from referral_api.matching.interpret import NeedInterpreter
from referral_api.matching.relax import describer, find_relaxations
from referral_api.matching.retrieve import BOUND_SLACK, Scan
from referral_api.matching.score import Scored
from referral_api.matching.text import Token

BUNDLE_POOL = 10
BUNDLE_PER_CAPABILITY = 3
REJECTED_SHOWN = 3
RELAXATION_CANDIDATES = 60
MAX_LIMIT = 50


class Engine:
    """Recommendations over one catalogue and rules set; build once, call from many threads.

    Building indexes the catalogue (phrases, vocabularies, BM25 postings, graph neighbourhoods);
    ``recommend`` then costs time in proportion to the need and the offerings it reaches.
    """

    def __init__(self, catalog: Catalog, rules: Rules) -> None:
        self.catalog = catalog
        self.rules = rules
        self.index = MatchingIndex.build(catalog, rules)
        self.interpreter = NeedInterpreter(self.index)
        self.capability_labels = {c.id: c.label for c in catalog.capabilities.values()}

    def interpret(self, need: Need) -> Interpretation:
        """What the engine understands of ``need`` (see :mod:`referral_api.matching.interpret`)."""
        return self.interpreter.interpret(need)

    def recommend(
        self, need: Need, *, limit: int = 5, today: dt.date | None = None
    ) -> Recommendation:
        """Recommend for ``need``: ranked fits with reasons, disclosure, bundles and relaxations.

        Parameters
        ----------
        need
            The customer's words and optional structured constraints (which override the same
            constraints stated in the words).
        limit
            How many fits to return (1–50).
        today
            The date staleness is judged against (defaults to today).

        Returns
        -------
        Recommendation
            Fits ranked by score (ownership-blind), close candidates that fail a hard constraint
            (``rejected``), our best own offering compared honestly, bundles, unmet capabilities,
            minimal relaxations when nothing fits, and the market coverage of the answer.

        Raises
        ------
        InputError
            When a structured constraint names an unknown capability, region or currency.
        """
        interpretation, tokens, text = self.interpreter.read(need)
        return self._rank(need, interpretation, tokens, text, limit=limit, today=today)

    def rank(
        self,
        need: Need,
        interpretation: Interpretation,
        *,
        limit: int = 5,
        today: dt.date | None = None,
    ) -> Recommendation:
        """Score and explain for an interpretation already made (recommend without reading)."""
        return self._rank(need, interpretation, None, None, limit=limit, today=today)

    def _rank(
        self,
        need: Need,
        interpretation: Interpretation,
        tokens: Sequence[Token] | None,
        text: TextSums | None,
        *,
        limit: int,
        today: dt.date | None,
    ) -> Recommendation:
        limit = max(1, min(MAX_LIMIT, limit))
        today = today or dt.date.today()
        index, rules = self.index, self.rules
        requested = interpretation.capabilities
        constraints = interpretation.constraints
        checker = ConstraintChecker(
            constraints, rules, self.catalog.info.currency, self.capability_labels
        )

        scan = Scan(index, interpretation, checker, rules.thresholds.min_score, text)
        order = self._order(checker)
        scored = sorted(
            (s for s in scan.top(limit) if s.score >= rules.thresholds.min_score), key=order
        )
        fits = [s for s in scored if scan.is_fit(s)]
        # close candidates that miss a must-have: shown as "does not meet X" and the ground for
        # relaxations (the scan reaches only offerings that serve the ask)
        failing = [s for s in scored if not s.meets_hard_constraints]

        unknown = [name for name in constraints.soft if name in _DIMENSION_WORDS]
        explainer = Explainer(
            index, requested, need.text, [_DIMENSION_WORDS[n] for n in unknown], today, tokens
        )
        shown = fits[:limit]
        floor = shown[-1].score if shown else 0.0
        shown_rejected = [s for s in failing if s.score >= floor][:REJECTED_SHOWN]
        explainer.prepare([s.position for s in (*shown, *shown_rejected)])
        results = tuple(explainer.fit(s, rank) for rank, s in enumerate(shown, start=1))
        rejected = tuple(explainer.fit(s, None) for s in shown_rejected)
        best_own = self._best_own(scan, fits, results, requested, explainer, order)

        labels = {c.id: c.label.lower() for c in requested}
        bundles: tuple[Bundle, ...] = ()
        if len(requested) >= 2:
            bundles = find_bundles(
                self._bundle_pool(scan, fits, requested, order),
                [c.id for c in requested],
                rules.weights,
                rules.thresholds.max_bundle_size,
                labels,
            )
        unmet = tuple(self._unmet(requested_ids=[c.id for c in requested]))
        relaxations: tuple[Relaxation, ...] = ()
        if not results and failing:
            relaxations = find_relaxations(
                failing[:RELAXATION_CANDIDATES],
                describer(
                    constraints, checker.currency, lambda s: checker.monthly_cost(s.offering)
                ),
                rules.thresholds.relaxation_budget_ms,
            )
        return Recommendation(
            need=need,
            interpretation=interpretation,
            results=results,
            rejected=rejected,
            best_own=best_own,
            bundles=bundles,
            unmet=unmet,
            relaxations=relaxations,
            coverage=self.market_coverage(),
            summary=_summary(results, rejected, unmet, relaxations, interpretation, self.catalog),
            rules_version=rules.version,
            engine_version=ENGINE_VERSION,
        )

    def score_all(self, interpretation: Interpretation) -> list[Scored]:
        """Every active offering the need reaches at all, scored (in bound order, unfiltered)."""
        checker = ConstraintChecker(
            interpretation.constraints, self.rules, self.catalog.info.currency,
            self.capability_labels,
        )  # fmt: skip
        return Scan(self.index, interpretation, checker, 0.0).everything()

    def _best_own(
        self,
        scan: Scan,
        fits: list[Scored],
        results: tuple[Fit, ...],
        requested: Sequence[RequestedCapability],
        explainer: Explainer,
        order: Callable[[Scored], tuple[object, ...]],
    ) -> BestOwn | None:
        """Our best offering, its exact rank among all fits, or our best that fails."""
        own = Relationship.OWN
        best = next((s for s in fits if s.offering.relationship is own), None)
        if best is None:
            for position in scan.in_bound_order(self.index.facts.own_positions):
                if best is not None and scan.bound[position] + BOUND_SLACK < best.score:
                    break
                candidate = scan.score(position)
                if scan.is_fit(candidate) and (best is None or order(candidate) < order(best)):
                    best = candidate
        own_fits: list[Fit] = list(results)
        if best is not None and all(f.offering.id != best.offering.id for f in results):
            scan.down_to(best.score)
            key = order(best)
            above = sum(1 for s in scan.scored() if scan.is_fit(s) and order(s) < key)
            own_fits.append(explainer.fit(best, above + 1))
        own_failing: list[Fit] = []
        if best is None:
            failing = sorted(
                (s for s in scan.scanned() if s.offering.relationship is own), key=order
            )
            own_failing = [explainer.fit(s, None) for s in failing[:1]]
        return best_own_comparison(own_fits, own_failing, requested, explainer)

    def _bundle_pool(
        self,
        scan: Scan,
        fits: list[Scored],
        requested: Sequence[RequestedCapability],
        order: Callable[[Scored], tuple[object, ...]],
    ) -> list[Scored]:
        """The best fits overall plus the best few that cover each requested capability
        themselves (ownership-blind: only scores and coverage choose)."""
        pool = {s.position: s for s in fits[:BUNDLE_POOL]}
        for cap in requested:
            for scored in scan.first_fits(
                BUNDLE_PER_CAPABILITY, self.index.facts.direct_providers(cap.id)
            ):
                pool.setdefault(scored.position, scored)
        return sorted(pool.values(), key=order)

    def market_coverage(self) -> MarketCoverage:
        info = self.catalog.info
        return MarketCoverage(
            catalog=info.name or f"{info.company} catalogue",
            version=info.version,
            date=info.date,
            considered={r: self.index.facts.considered[r] for r in Relationship},
        )

    def _order(self, checker: ConstraintChecker):  # type: ignore[no-untyped-def]
        """Score first; then the policy's fit-related tie-breaks; then id. Never relationship."""
        tie_break = self.rules.policy.tie_break

        keys: dict[int, tuple[object, ...]] = {}  # one per scored offering: sorts ask often

        def key(s: Scored) -> tuple[object, ...]:
            known = keys.get(s.position)
            if known is not None:
                return known
            parts: list[object] = [-s.score]
            for rule in tie_break:
                if rule is TieBreak.COVERAGE:
                    parts.append(-s.parts.coverage)
                elif rule is TieBreak.CONSTRAINTS_MET:
                    parts.append(-sum(1 for v in s.verdicts if v.ok))
                elif rule is TieBreak.PRICE:
                    cost = checker.monthly_cost(s.offering)
                    parts.append(float("inf") if cost is None else cost)
                elif rule is TieBreak.REVIEWED:
                    parts.append(-(s.offering.reviewed.toordinal() if s.offering.reviewed else 0))
                elif rule is TieBreak.NAME:
                    parts.append(s.offering.name.casefold())
            parts.append(s.offering.id)
            known = keys[s.position] = tuple(parts)
            return known

        return key

    def _unmet(self, requested_ids: Sequence[str]) -> list[Unmet]:
        """Requested capabilities no active offering covers, itself or through a narrower one."""
        out = []
        facts, neighbours = self.index.facts, self.index.capabilities.neighbours
        for cap_id in requested_ids:
            narrower = [
                n.capability
                for n in neighbours.get(cap_id, ())
                if n.status is CoverageStatus.VIA_NARROWER
            ]
            if any(facts.active_providers.get(c, 0) for c in (cap_id, *narrower)):
                continue
            label = self.catalog.capabilities[cap_id].label
            retired = facts.providers.get(cap_id, ())
            detail = (
                f"Only a retired offering covered {label.lower()}; no active offering does"
                if retired
                else f"No offering in the catalogue covers {label.lower()}"
            )
            out.append(Unmet(cap_id, detail))
        return out


#: what the catalogue knows nothing about, by the kind of constraint that asks for it
_DIMENSION_WORDS = {kind.field: kind.unknown for kind in CONSTRAINT_KINDS if kind.unknown}


def _summary(
    results: Sequence[Fit],
    rejected: Sequence[Fit],
    unmet: Sequence[Unmet],
    relaxations: Sequence[object],
    interpretation: Interpretation,
    catalog: Catalog,
) -> str:
    unmet_labels = join([catalog.capabilities[u.capability].label.lower() for u in unmet])
    missed = join([f"“{words}”" for words in interpretation.not_understood])
    if not interpretation.ask_understood:
        text = "We did not understand what you need"
        text += f": nothing we know matches {missed}." if missed else "."
        nearest = [label.lower() for _, label in interpretation.suggestions]
        if nearest:
            text += f" Did you mean {join(nearest, 'or')}?"
        else:
            text += " Try describing what it should do."
        return text
    if results:
        best = results[0]
        who = WHO[best.offering.relationship]
        count = f"{len(results)} offerings fit" if len(results) > 1 else "1 offering fits"
        text = f"{count}; the best is {best.offering.name} ({who})."
        if unmet:
            text += f" Nothing covers {unmet_labels}."
        if missed:
            text += f" We could not match {missed}."
        return text
    if rejected or relaxations:
        return "Nothing meets all your must-haves; see what relaxing one would change."
    if not interpretation.capabilities and not interpretation.terms:
        return "We could not tell what you need; try describing what it should do."
    if unmet:
        return f"Nothing in the catalogue covers {unmet_labels}."
    return "Nothing in the catalogue matches this need."


_engine_lock = threading.Lock()
_last_engine: Engine | None = None


def recommend(need: Need, catalog: Catalog, rules: Rules, limit: int = 5) -> Recommendation:
    """Recommend for ``need`` over ``catalog`` (the engine for the last catalogue is reused).

    Parameters
    ----------
    need
        The customer's words and optional structured constraints.
    catalog, rules
        What to choose from and how to read and weigh (see :class:`Engine`).
    limit
        How many fits to return (1–50).

    Returns
    -------
    Recommendation
        See :meth:`Engine.recommend`.
    """
    global _last_engine
    with _engine_lock:
        engine = _last_engine
        if engine is None or engine.catalog is not catalog or engine.rules is not rules:
            engine = _last_engine = Engine(catalog, rules)
    return engine.recommend(need, limit=limit)
