"""The engine's guarantees, as properties over generated catalogues and needs."""

from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from referral_api.domain import (
    Catalog,
    CoverageLevel,
    CoverageStatus,
    Need,
    Offering,
    Recommendation,
    Rules,
)
from referral_api.matching import Engine
from referral_api.matching.evaluation import violates
from tests import strategies
from tests.matching.reference import reference_ranking

TODAY = dt.date(2026, 11, 1)
LIMIT = 50


def ranking(rec: Recommendation) -> list[tuple[str, float]]:
    return [(f.offering.id, f.score) for f in rec.results]


def rebuilt(catalog: Catalog, offerings: tuple[Offering, ...]) -> Catalog:
    return Catalog.build(catalog.info, catalog.capabilities, offerings)


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_relationships_never_change_a_ranking(rules: Rules, data: st.DataObject) -> None:
    """Permuting relationship labels across offerings leaves every ranking unchanged."""
    catalog = data.draw(strategies.domain_catalogs())
    need = data.draw(strategies.domain_needs(catalog))
    labels = data.draw(st.permutations([o.relationship for o in catalog.offerings]))
    swapped = rebuilt(
        catalog,
        tuple(
            dataclasses.replace(o, relationship=r)
            for o, r in zip(catalog.offerings, labels, strict=True)
        ),
    )
    before = Engine(catalog, rules).recommend(need, limit=LIMIT, today=TODAY)
    after = Engine(swapped, rules).recommend(need, limit=LIMIT, today=TODAY)
    assert ranking(after) == ranking(before)
    assert [(f.offering.id, f.score) for f in after.rejected] == [
        (f.offering.id, f.score) for f in before.rejected
    ]
    assert [b.offerings for b in after.bundles] == [b.offerings for b in before.bundles]
    assert after.relaxations == before.relaxations


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_catalogue_order_and_repetition_change_nothing(rules: Rules, data: st.DataObject) -> None:
    """The same input gives the same output, whatever order the catalogue lists offerings in."""
    catalog = data.draw(strategies.domain_catalogs())
    need = data.draw(strategies.domain_needs(catalog))
    shuffled = rebuilt(catalog, tuple(data.draw(st.permutations(catalog.offerings))))
    engine = Engine(catalog, rules)
    first = engine.recommend(need, limit=LIMIT, today=TODAY)
    assert engine.recommend(need, limit=LIMIT, today=TODAY) == first
    assert ranking(Engine(shuffled, rules).recommend(need, limit=LIMIT, today=TODAY)) == ranking(
        first
    )


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_no_fit_breaks_a_hard_constraint(rules: Rules, data: st.DataObject) -> None:
    """Fits meet every hard constraint (judged from the facts); retired offerings never fit."""
    catalog = data.draw(strategies.domain_catalogs())
    need = data.draw(strategies.domain_needs(catalog))
    rec = Engine(catalog, rules).recommend(need, limit=LIMIT, today=TODAY)
    for fit in rec.results:
        assert fit.offering.active
        assert fit.meets_hard_constraints
        assert not violates(fit.offering, need.constraints, rules)
    for fit in rec.rejected:
        assert not fit.meets_hard_constraints


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_every_result_explains_and_discloses(rules: Rules, data: st.DataObject) -> None:
    """Non-empty disclosure, at least one reason, and every "full" claim true of the catalogue."""
    catalog = data.draw(strategies.domain_catalogs())
    need = data.draw(strategies.domain_needs(catalog))
    rec = Engine(catalog, rules).recommend(need, limit=LIMIT, today=TODAY)
    for fit in (*rec.results, *rec.rejected):
        assert fit.disclosure.text.strip()
        assert fit.disclosure.relationship is fit.offering.relationship
        assert fit.reasons
        for coverage in fit.coverage:
            level = fit.offering.capabilities.get(coverage.capability)
            if coverage.status is CoverageStatus.FULL:
                assert level is CoverageLevel.FULL
            if coverage.status is CoverageStatus.PARTIAL:
                assert level is CoverageLevel.PARTIAL


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_covering_a_requested_capability_never_lowers_a_score(
    rules: Rules, data: st.DataObject
) -> None:
    """Adding a requested capability to an offering's coverage never lowers its score."""
    catalog = data.draw(strategies.domain_catalogs())
    need = data.draw(strategies.domain_needs(catalog))
    engine = Engine(catalog, rules)
    interpretation = engine.interpret(need)
    requested = list(dict.fromkeys(c.id for c in interpretation.capabilities))
    # an offering and a requested capability it does not already cover fully
    improvable = [
        (offering, cap)
        for offering in catalog.offerings
        for cap in requested
        if offering.capabilities.get(cap) is not CoverageLevel.FULL
    ]
    assume(improvable)
    target, cap = data.draw(st.sampled_from(improvable))
    # partly covered already: only full coverage adds anything
    better = [CoverageLevel.FULL] if cap in target.capabilities else list(CoverageLevel)
    level = data.draw(st.sampled_from(better))
    improved = dataclasses.replace(target, capabilities={**target.capabilities, cap: level})
    other = rebuilt(catalog, tuple(improved if o is target else o for o in catalog.offerings))

    def score(engine: Engine) -> float:
        found = [s.score for s in engine.score_all(interpretation) if s.offering.id == target.id]
        return found[0] if found else 0.0

    assert score(Engine(other, rules)) >= score(engine)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_engine_agrees_with_the_reference_scorer(rules: Rules, data: st.DataObject) -> None:
    """The fast engine ranks exactly as a slow, obviously-correct reference does."""
    catalog = data.draw(strategies.domain_catalogs())
    need: Need = data.draw(strategies.domain_needs(catalog))
    engine = Engine(catalog, rules)
    interpretation = engine.interpret(need)
    rec = engine.rank(need, interpretation, limit=LIMIT, today=TODAY)
    expected = reference_ranking(catalog, rules, interpretation)[:LIMIT]
    assert [f.offering.id for f in rec.results] == [o for o, _ in expected]
    for fit, (_, score) in zip(rec.results, expected, strict=True):
        assert abs(fit.score - score) < 1e-4
