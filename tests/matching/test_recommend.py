"""Recommendations on the bundled demo catalogue: honest comparisons, bundles, relaxations."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from referral_api.domain import Catalog, Constraints, Need, Relationship, Rules
from referral_api.matching import Engine, recommend
from tests.factories import make_offering, make_snapshot

TODAY = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def engine(demo_catalog: Catalog, rules: Rules) -> Engine:
    return Engine(demo_catalog, rules)


def ask(engine: Engine, text: str, limit: int = 5, **constraints: object):  # type: ignore[no-untyped-def]
    need = Need(text, Constraints(**constraints))  # type: ignore[arg-type]
    return engine.recommend(need, limit=limit, today=TODAY)


class TestHonesty:
    def test_the_best_fit_can_be_a_competitor_and_we_say_so(self, engine: Engine) -> None:
        rec = ask(engine, "UK bakery with 6 staff, need to run payroll with workplace pensions")
        assert rec.results[0].offering.relationship is not Relationship.OWN
        assert rec.best_own is not None
        assert rec.best_own.offering_id == "ledgerly-payroll"
        assert "not available in United Kingdom" in rec.best_own.comparison
        assert rec.results[0].offering.name in rec.best_own.comparison
        assert rec.best_own.rank is None
        assert rec.best_own.does_not_meet == ("region",)

    def test_our_offering_first_is_said_plainly(self, engine: Engine) -> None:
        rec = ask(engine, "payroll for my US restaurant", must_have=["payroll"], region="US")
        own = [f for f in rec.results if f.offering.relationship is Relationship.OWN]
        assert own, "the demo catalogue has a US payroll product"
        assert rec.best_own is not None
        assert rec.best_own.does_not_meet == ()
        if rec.results[0].offering.relationship is Relationship.OWN:
            assert rec.best_own.comparison.endswith("is the best fit for this need.")
        else:
            assert f"rank {rec.best_own.rank}" in rec.best_own.comparison

    def test_every_result_discloses_its_relationship(self, engine: Engine) -> None:
        rec = ask(engine, "accept card payments and send invoices", limit=20)
        for fit in rec.results:
            assert fit.disclosure.relationship is fit.offering.relationship
            assert fit.disclosure.text
            if fit.offering.referral is not None and fit.offering.referral.fee:
                assert fit.disclosure.fee

    def test_market_coverage_counts_active_offerings(
        self, engine: Engine, demo_catalog: Catalog
    ) -> None:
        rec = ask(engine, "invoicing")
        considered = rec.coverage.considered
        assert sum(considered.values()) == sum(o.active for o in demo_catalog.offerings)
        assert rec.coverage.version == demo_catalog.info.version

    def test_stale_facts_carry_a_caveat(self, engine: Engine, demo_catalog: Catalog) -> None:
        stale = next(
            o for o in demo_catalog.offerings if o.reviewed and o.reviewed < dt.date(2025, 1, 1)
        )
        cap = next(iter(stale.capabilities))
        rec = ask(engine, stale.name, limit=50, must_have=[cap])
        fit = next(f for f in (*rec.results, *rec.rejected) if f.offering.id == stale.id)
        assert any("over 365 days ago" in c for c in fit.caveats)


class TestReasons:
    def test_reasons_come_from_the_evidence(self, engine: Engine) -> None:
        rec = ask(engine, "send invoices, under $30 a month, we're in Germany")
        fit = rec.results[0]
        assert fit.reasons[0].startswith("Covers invoicing")
        assert "Available in Germany" in fit.reasons
        assert any("budget" in r or r == "Free" or "free plan" in r for r in fit.reasons)

    def test_a_failed_platform_is_explained(self, engine: Engine) -> None:
        rec = ask(engine, "bookkeeping on my iPhone", limit=10)
        for fit in rec.rejected:
            assert any("iOS" in v.detail for v in fit.constraints if not v.ok)


class TestBundles:
    def test_several_capabilities_no_one_covers_make_bundles(self, engine: Engine) -> None:
        rec = ask(engine, "payroll, a business bank account and a loan for my shop in the US")
        requested = {c.id for c in rec.interpretation.capabilities}
        assert rec.bundles
        fit_ids = {
            f.offering.id
            for f in ask(
                engine,
                "payroll, a business bank account and a loan for my shop in the US",
                limit=50,
            ).results
        }
        for bundle in rec.bundles:
            assert 2 <= len(bundle.offerings) <= 3
            assert set(bundle.covers) == requested
            assert set(bundle.offerings) <= fit_ids
            assert bundle.reasons[0].startswith("Together they cover")

    def test_no_bundles_when_one_offering_covers_everything(self, engine: Engine) -> None:
        rec = ask(engine, "send invoices")
        assert rec.bundles == ()


class TestNothingFits:
    def test_relaxations_are_minimal_and_say_what_they_admit(self, engine: Engine) -> None:
        rec = ask(
            engine, "payroll on my iPhone in Germany, under €5 a month, it must be HIPAA compliant"
        )
        assert rec.results == ()
        assert rec.summary.startswith("Nothing meets all your must-haves")
        assert rec.relaxations
        sets = [set(r.relax) for r in rec.relaxations]
        for i, a in enumerate(sets):
            assert not any(b < a for j, b in enumerate(sets) if j != i), "not minimal"
        for relaxation in rec.relaxations:
            assert relaxation.admits
            assert relaxation.detail.endswith(("fit.", "fits."))

    def test_unserved_capability_is_unmet(self, engine: Engine) -> None:
        rec = ask(engine, "cannabis dispensary needing 280E accounting")
        unmet = {u.capability: u.detail for u in rec.unmet}
        assert "retired" in unmet["cannabis-280e-accounting"]

    def test_retired_offerings_are_never_fits(self, engine: Engine, demo_catalog: Catalog) -> None:
        for retired in (o for o in demo_catalog.offerings if not o.active):
            rec = ask(engine, retired.name + " " + (retired.summary or ""), limit=50)
            assert retired.id not in {f.offering.id for f in (*rec.results, *rec.rejected)}


_BROAD = [
    {"id": "accounting", "label": "Accounting"},
    {"id": "bookkeeping", "label": "Bookkeeping", "broader": ["accounting"]},
    {"id": "general-ledger", "label": "General ledger", "broader": ["accounting"]},
    {"id": "invoicing", "label": "Invoicing", "broader": ["accounting"]},
    {"id": "client-portal", "label": "Client portal", "broader": ["accounting"]},
]


class TestBreadth:
    """Asked for something broad, an offering covering more of its narrower kinds earns more."""

    @staticmethod
    def _engine(rules: Rules | None = None) -> Engine:
        snapshot = make_snapshot(
            capabilities=_BROAD,
            offerings=[
                make_offering(id="portal-only", capabilities={"client-portal": "full"}),
                make_offering(
                    id="books-ledger-invoices",
                    capabilities={
                        "bookkeeping": "full",
                        "general-ledger": "full",
                        "invoicing": "partial",
                    },
                ),
            ],
        )
        return Engine(snapshot.catalog, rules or snapshot.rules)

    def test_more_narrower_kinds_earn_more_credit(self, rules: Rules) -> None:
        floor = dataclasses.replace(rules.weights, breadth_floor=0.3)
        engine = self._engine(dataclasses.replace(rules, weights=floor))
        w = engine.rules.weights
        rec = engine.recommend(Need("accounting software"), limit=5, today=TODAY)
        assert [f.offering.id for f in rec.results] == ["books-ledger-invoices", "portal-only"]
        assert rec.results[0].score > rec.results[1].score
        credit = {f.offering.id: f.coverage[0].credit for f in rec.results}
        assert credit["books-ledger-invoices"] == pytest.approx(w.via_narrower)
        # one kind of the other's 2.6 (a partly covered kind counts partial / full)
        share = 1 / (2 + w.partial / w.full)
        expected = w.via_narrower * (w.breadth_floor + (1 - w.breadth_floor) * share)
        assert credit["portal-only"] == pytest.approx(expected)

    def test_a_floor_of_one_turns_it_off(self, rules: Rules) -> None:
        flat = dataclasses.replace(
            rules, weights=dataclasses.replace(rules.weights, breadth_floor=1.0)
        )
        rec = self._engine(flat).recommend(Need("accounting software"), limit=5, today=TODAY)
        credits = [f.coverage[0].credit for f in rec.results]
        assert credits == pytest.approx([flat.weights.via_narrower] * 2)

    def test_accounting_software_is_bookkeeping_not_a_client_portal(self, engine: Engine) -> None:
        # nothing in the demo catalogue provides "accounting" itself: every fit serves it
        # through narrower kinds; a client portal with document storage is the narrowest
        rec = ask(engine, "Cleaning company in Edmonton. Looking for accounting software.")
        first = rec.results[0].offering
        assert "bookkeeping" in first.capabilities or "general-ledger" in first.capabilities
        assert first.id != "docuvault"


def test_recommend_function_reuses_the_engine(demo_catalog: Catalog, rules: Rules) -> None:
    first = recommend(Need("invoicing"), demo_catalog, rules)
    second = recommend(Need("invoicing"), demo_catalog, rules)
    assert [f.offering.id for f in first.results] == [f.offering.id for f in second.results]
    assert first.engine_version
    assert first.rules_version == rules.version


def test_one_engine_is_safe_to_share_between_threads(engine: Engine) -> None:
    """Workers answer requests on many threads with one engine; answers must not mix."""
    import sys
    from concurrent.futures import ThreadPoolExecutor

    from tests.conftest import ROOT

    path = ROOT / "tests" / "data" / "demo_needs.jsonl"
    needs = [json.loads(line)["need"] for line in path.read_text().splitlines()]

    def answer(text: str) -> list[tuple[str, float]]:
        rec = engine.recommend(Need(text), limit=5, today=TODAY)
        return [(f.offering.id, f.score) for f in rec.results]

    expected = [answer(n) for n in needs]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads as often as possible
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            got = list(pool.map(answer, needs * 4))
    finally:
        sys.setswitchinterval(interval)
    assert got == expected * 4
