"""A slow, obviously-correct reference scorer, written from the documented formula.

It scores every active offering from scratch — BM25 by its textbook definition, graph credit by
shortest paths — with none of the engine's indexes, candidate retrieval or caches. The engine
must rank exactly as this does.
"""

from __future__ import annotations

import math
from collections import Counter

import networkx as nx

from referral_api.domain import (
    Catalog,
    CoverageLevel,
    EdgeKind,
    Interpretation,
    Offering,
    PriceModel,
    Rules,
    TieBreak,
)
from referral_api.matching.text import tokenize

K1, B = 1.2, 0.75


def _stems(rules: Rules, text: str) -> Counter[str]:
    return Counter(t.stem for t in tokenize(text) if t.folded not in rules.stopwords and t.stem)


def _monthly_cost(offering: Offering, rules: Rules, currency: str, default: str) -> float | None:
    price = offering.price
    if price is None:
        return None
    if price.model is PriceModel.FREE or price.free_tier:
        return 0.0
    if price.model is PriceModel.ONE_TIME and price.one_time is not None:
        amount = price.one_time / 12
    elif price.monthly_from is None:
        return None
    else:
        amount = price.monthly_from
    source = price.currency or default
    if source == currency:
        return amount
    rates = rules.exchange_rates
    if source not in rates or currency not in rates:
        return None
    return amount * rates[source] / rates[currency]


def reference_ranking(
    catalog: Catalog, rules: Rules, interpretation: Interpretation
) -> list[tuple[str, float]]:
    weights, c = rules.weights, interpretation.constraints
    requested = interpretation.capabilities
    docs = {o.id: _stems(rules, f"{o.name}. {o.summary or ''}") for o in catalog.offerings}
    n = len(docs)
    average = sum(sum(d.values()) for d in docs.values()) / n
    terms = list(dict.fromkeys(interpretation.terms))
    df = {t: sum(1 for d in docs.values() if t in d) for t in terms}
    idf = {t: math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) for t in terms if df[t]}

    def bm25(offering: Offering) -> float:
        doc = docs[offering.id]
        length = sum(doc.values())
        return sum(
            idf[t] * doc[t] * (K1 + 1) / (doc[t] + K1 * (1 - B + B * length / average))
            for t in idf
            if doc[t]
        )

    active = [o for o in catalog.offerings if o.active]
    best = max((bm25(o) for o in active), default=0.0)
    scale = max(best, 0.5 * sum(idf.values()))

    broader = nx.DiGraph()
    broader.add_nodes_from(catalog.capabilities)
    related: set[frozenset[str]] = set()
    for u, v, data in catalog.graph.edges(data=True):
        if data["kind"] is EdgeKind.BROADER:
            broader.add_edge(u, v)
        elif data["kind"] is EdgeKind.RELATED:
            related.add(frozenset((u, v)))

    def hops(source: str, target: str) -> int | None:
        try:
            return int(nx.shortest_path_length(broader, source, target))
        except nx.NetworkXNoPath:
            return None

    ratio = weights.partial / weights.full

    def breadth_share(offering: Offering, cap: str) -> float:
        """How many of ``cap``'s narrower kinds in reach the offering covers (decayed)."""
        total = 0.0
        for other, other_level in offering.capabilities.items():
            down = hops(other, cap)
            if down is not None and 0 < down <= rules.thresholds.max_hops:
                total += weights.hop_decay ** (down - 1) * (
                    1.0 if other_level is CoverageLevel.FULL else ratio
                )
        return total

    def breadth(offering: Offering, cap: str) -> float:
        kinds = [
            n
            for n in catalog.capabilities
            if (h := hops(n, cap)) is not None and 0 < h <= rules.thresholds.max_hops
        ]
        best = max((breadth_share(o, cap) for o in active), default=0.0)
        if len(kinds) < 2 or best <= 0:
            return 1.0
        floor = weights.breadth_floor
        return floor + (1 - floor) * min(1.0, breadth_share(offering, cap) / best)

    def credit(offering: Offering, cap: str) -> float:
        level = offering.capabilities.get(cap)
        if level is not None:
            return weights.full if level is CoverageLevel.FULL else weights.partial
        best_credit = 0.0
        for other, other_level in offering.capabilities.items():
            value = 0.0
            down, up = hops(other, cap), hops(cap, other)
            if down is not None and 0 < down <= rules.thresholds.max_hops:
                value = (
                    weights.via_narrower * weights.hop_decay ** (down - 1) * breadth(offering, cap)
                )
            elif up is not None and 0 < up <= rules.thresholds.max_hops:
                value = weights.via_broader * weights.hop_decay ** (up - 1)
            elif frozenset((cap, other)) in related:
                value = weights.related
            if other_level is CoverageLevel.PARTIAL:
                value *= weights.partial / weights.full
            best_credit = max(best_credit, value)
        return best_credit

    currency = c.currency or catalog.info.currency
    groups = rules.region_groups

    def verdicts(offering: Offering) -> list[tuple[bool, bool]]:
        """(ok, hard) for every constraint the need states."""
        out = []
        for cap in c.must_have:
            out.append((cap in offering.capabilities, not c.is_soft("must_have", cap)))
        if c.region is not None:
            ok = bool(offering.regions) and (
                "global" in offering.regions
                or c.region in offering.regions
                or any(c.region in groups.get(r, ()) for r in offering.regions)
            )
            out.append((ok, not c.is_soft("region")))
        for p in c.platforms:
            out.append((p in offering.platforms, not c.is_soft("platforms", p)))
        for s in c.compliance:
            out.append((s in offering.compliance, not c.is_soft("compliance", s)))
        if c.budget_monthly is not None:
            price = offering.price
            cost = _monthly_cost(offering, rules, currency, catalog.info.currency)
            ok = (
                price is not None
                and price.model is not PriceModel.QUOTE
                and (
                    price.model is PriceModel.FREE
                    or (cost is not None and cost <= c.budget_monthly)
                )
            )
            out.append((ok, not c.is_soft("budget_monthly")))
        return out

    central = [cap.id for cap in requested if cap.central or cap.must_have] or [
        cap.id for cap in requested
    ]

    def serves(offering: Offering) -> bool:
        """A fit serves a capability of the central ask itself or through a narrower one
        (a broader or related capability does not serve it); nothing serves an ask not
        understood."""
        if not interpretation.ask_understood:
            return False
        for cap in central:
            for other in offering.capabilities:
                if other == cap:
                    return True
                down = hops(other, cap)
                if down is not None and 0 < down <= rules.thresholds.max_hops:
                    return True
        return False

    scored = []
    total_weight = sum(cap.confidence for cap in requested)
    for offering in active:
        checks = verdicts(offering)
        if not all(ok for ok, hard in checks if hard) or not serves(offering):
            continue
        penalty = weights.soft_penalty * sum(1 for ok, hard in checks if not hard and not ok)
        similarity = bm25(offering) / scale if scale > 0 else 0.0
        if total_weight:
            covered = (
                sum(cap.confidence * credit(offering, cap.id) for cap in requested) / total_weight
            )
            share = weights.similarity
        else:
            covered, share = 0.0, 1.0
        total = round(min(1.0, max(0.0, (1 - share) * covered + share * similarity - penalty)), 6)
        if total < rules.thresholds.min_score:
            continue
        key: list[object] = [-total]
        for rule in rules.policy.tie_break:
            if rule is TieBreak.COVERAGE:
                key.append(-round(covered, 6))
            elif rule is TieBreak.CONSTRAINTS_MET:
                key.append(-sum(1 for ok, _ in checks if ok))
            elif rule is TieBreak.PRICE:
                cost = _monthly_cost(offering, rules, currency, catalog.info.currency)
                key.append(math.inf if cost is None else cost)
            elif rule is TieBreak.REVIEWED:
                key.append(-(offering.reviewed.toordinal() if offering.reviewed else 0))
            elif rule is TieBreak.NAME:
                key.append(offering.name.casefold())
        key.append(offering.id)
        scored.append((tuple(key), offering.id, total))
    scored.sort(key=lambda item: item[0])  # type: ignore[arg-type,return-value]
    return [(offering_id, total) for _, offering_id, total in scored]
