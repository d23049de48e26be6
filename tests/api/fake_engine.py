"""A small, obviously-correct stand-in for the matching engine (tests only).

Reads capabilities by id, label or synonym in the need text, scores by coverage, enforces
region and platform as hard constraints, and never looks at relationships.
"""

from __future__ import annotations

from referral_api.domain import (
    BestOwn,
    Catalog,
    ConstraintVerdict,
    Coverage,
    CoverageLevel,
    CoverageStatus,
    Disclosure,
    Fit,
    Interpretation,
    MarketCoverage,
    Need,
    Offering,
    Recommendation,
    Relationship,
    RequestedCapability,
    Rules,
    ScoreParts,
    Unmet,
)
from referral_api.errors import InputError


class FakeEngine:
    def __init__(self, catalog: Catalog, rules: Rules) -> None:
        self.catalog = catalog
        self.rules = rules

    def _read(self, need: Need) -> list[RequestedCapability]:
        text = need.text.lower()
        found = []
        for index, cap_id in enumerate(need.constraints.must_have):
            if cap_id not in self.catalog.capabilities:
                raise InputError(
                    f"unknown capability {cap_id!r}",
                    fields=[{"field": f"constraints.must_have[{index}]", "message": "unknown"}],
                )
        for cap in self.catalog.capabilities.values():
            words = [cap.id, cap.label.lower(), *(s.lower() for s in cap.synonyms)]
            hit = next((w for w in words if w in text), None)
            must = cap.id in need.constraints.must_have
            if hit or must:
                found.append(
                    RequestedCapability(
                        cap.id, cap.label, hit or cap.id, 0.9, "synonym", None, must
                    )
                )
        return found

    def _fit(self, offering: Offering, caps: list[RequestedCapability], need: Need) -> Fit:
        coverage = []
        for cap in caps:
            level = offering.capabilities.get(cap.id)
            status = (
                CoverageStatus.MISSING
                if level is None
                else CoverageStatus.FULL
                if level is CoverageLevel.FULL
                else CoverageStatus.PARTIAL
            )
            credit = {CoverageStatus.FULL: 1.0, CoverageStatus.PARTIAL: 0.6}.get(status, 0.0)
            coverage.append(Coverage(cap.id, status, credit))
        score = sum(c.credit for c in coverage) / len(coverage) if coverage else 0.0
        verdicts = []
        region = need.constraints.region
        if region:
            ok = "global" in offering.regions or region in offering.regions
            verdicts.append(ConstraintVerdict("region", ok, True, f"region {region}"))
        for platform in need.constraints.platforms:
            ok = platform in offering.platforms
            verdicts.append(ConstraintVerdict("platform", ok, True, f"platform {platform}"))
        for cap_id in need.constraints.must_have:
            ok = cap_id in offering.capabilities
            verdicts.append(ConstraintVerdict("must_have", ok, True, f"has {cap_id}"))
        fee = bool(offering.referral and offering.referral.fee)
        text = (offering.referral.disclosure if offering.referral else None) or (
            self.rules.policy.disclosure_for(offering.relationship, fee) or "-"
        )
        return Fit(
            offering=offering,
            score=score,
            parts=ScoreParts(score, 0.0, 0.0, score),
            coverage=tuple(coverage),
            constraints=tuple(verdicts),
            reasons=tuple(f"Covers {c.capability}." for c in coverage if c.credit),
            caveats=(),
            disclosure=Disclosure(offering.relationship, fee, text),
        )

    def recommend(self, need: Need, *, limit: int = 5) -> Recommendation:
        caps = self._read(need)
        fits = [self._fit(o, caps, need) for o in self.catalog.offerings if o.active]
        fits = sorted((f for f in fits if f.score > 0), key=lambda f: (-f.score, f.offering.id))
        results = [f for f in fits if f.meets_hard_constraints][:limit]
        ranked = tuple(
            Fit(**{**{k: getattr(f, k) for k in f.__slots__}, "rank": i})  # type: ignore[attr-defined]
            for i, f in enumerate(results, 1)
        )
        own = next((f for f in fits if f.offering.relationship is Relationship.OWN), None)
        covered = {c.capability for f in fits for c in f.coverage if c.credit}
        considered: dict[Relationship, int] = {}
        for o in self.catalog.offerings:
            considered[o.relationship] = considered.get(o.relationship, 0) + 1
        return Recommendation(
            need=need,
            interpretation=Interpretation(tuple(caps), need.constraints),
            results=ranked,
            rejected=tuple(f for f in fits if not f.meets_hard_constraints)[:3],
            best_own=BestOwn(own.offering.id, None, "ours, compared") if own else None,
            bundles=(),
            unmet=tuple(Unmet(c.id, "nothing covers it") for c in caps if c.id not in covered),
            relaxations=(),
            coverage=MarketCoverage(
                self.catalog.info.company, self.catalog.info.version, None, considered
            ),
            summary=f"{ranked[0].offering.name} fits best." if ranked else "Nothing fits.",
            rules_version=self.rules.version,
            engine_version="fake-1",
        )
