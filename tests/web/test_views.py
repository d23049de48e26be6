"""What the console shows: badges, chips, the comparison and the message for the customer."""

from __future__ import annotations

import pytest

from referral_api.domain import Constraints, CoverageStatus, Need, Relationship
from referral_api.matching import Engine
from referral_api.schemas import (
    BestOwnPublic,
    CoveragePublic,
    DisclosurePublic,
    FitPublic,
    RecommendationPublic,
    VerdictPublic,
    recommendation_public,
)
from referral_api.web import views
from tests.factories import make_snapshot


@pytest.fixture(scope="module")
def recommended() -> RecommendationPublic:
    snapshot = make_snapshot()
    engine = Engine(snapshot.catalog, snapshot.rules)
    rec = engine.recommend(Need("We send invoices and run payroll, bookkeeping too"), limit=5)
    return recommendation_public(rec, record_id="rec_1")


@pytest.mark.parametrize(
    ("relationship", "fee", "label", "tone"),
    [
        ("own", False, "Our own product", "own"),
        ("partner", True, "Partner — we may receive a fee", "partner-fee"),
        ("partner", False, "Partner — no fee", "partner"),
        ("competitor", False, "Competitor — we receive nothing", "competitor"),
        ("other", False, "Independent — we receive nothing", "other"),
        ("other", True, "Independent — we may receive a fee", "partner-fee"),  # a fee always shows
    ],
)
def test_every_relationship_has_a_badge(
    relationship: str, fee: bool, label: str, tone: str
) -> None:
    disclosure = DisclosurePublic(relationship=Relationship(relationship), fee=fee, text="…")
    assert views.disclosure_badge(disclosure) == views.Badge(label, tone)


@pytest.mark.parametrize(
    ("status", "via", "text", "tone"),
    [
        ("full", None, "Invoicing: full", "full"),
        ("partial", None, "Invoicing: partial", "partial"),
        ("via-narrower", "payroll", "Invoicing: partial via Payroll", "partial"),
        ("via-broader", "accounting", "Invoicing: partial via Accounting", "partial"),
        ("related", None, "Invoicing: related only", "partial"),
        ("missing", None, "Invoicing: missing", "missing"),
    ],
)
def test_coverage_is_full_partial_or_missing(
    status: str, via: str | None, text: str, tone: str
) -> None:
    labels = {"invoicing": "Invoicing", "payroll": "Payroll", "accounting": "Accounting"}
    coverage = CoveragePublic(
        capability="invoicing", status=CoverageStatus(status), credit=0.5, via=via
    )
    assert views.coverage_chip(coverage, labels) == views.Chip(text, tone)


class TestComparison:
    def test_capabilities_by_the_top_three(self, recommended: RecommendationPublic) -> None:
        labels = views.capability_labels(recommended, None)
        comparison = views.compare_top(recommended, labels)
        assert comparison is not None
        assert len(comparison.fits) == min(3, len(recommended.results))
        rows = {row.label: row for row in comparison.rows}
        assert {"Fit score", "Relationship", "Invoicing", "Payroll", "Caveats"} <= set(rows)
        assert all(len(row.cells) == len(comparison.fits) for row in comparison.rows)

    def test_one_fit_is_not_a_comparison(self, recommended: RecommendationPublic) -> None:
        one = recommended.model_copy(update={"results": recommended.results[:1]})
        assert views.compare_top(one, {}) is None


class TestCustomerMessage:
    def test_discloses_every_relationship_in_plain_words(
        self, recommended: RecommendationPublic
    ) -> None:
        names = views.offering_names(recommended, None)
        message = views.customer_message(recommended, names)
        for fit in recommended.results[:3]:
            assert views.disclosure_sentence(fit.offering.name, fit.disclosure) in message
            assert fit.offering.name in message
        assert "{" not in message  # no template left unfilled

    @pytest.mark.parametrize(
        ("relationship", "fee", "sentence"),
        [
            (
                "competitor",
                False,
                "X is a competitor's product; we receive nothing for recommending it.",
            ),
            (
                "partner",
                True,
                "X is a partner's product; we may receive a referral fee if you choose it.",
            ),
            ("own", False, "X is our own product, so we benefit if you choose it."),
            (
                "other",
                False,
                "X is an independent resource; we receive nothing for recommending it.",
            ),
        ],
    )
    def test_disclosure_sentences(self, relationship: str, fee: bool, sentence: str) -> None:
        disclosure = DisclosurePublic(relationship=Relationship(relationship), fee=fee, text="…")
        assert views.disclosure_sentence("X", disclosure) == sentence

    def test_prints_only_well_formed_links(self, recommended: RecommendationPublic) -> None:
        """A version stored before URLs were parsed strictly may hold a malformed one."""
        first = recommended.results[0]
        bad = "http://\njavascript:alert(1)"
        tainted = first.model_copy(
            update={"offering": first.offering.model_copy(update={"url": bad})}
        )
        fits = recommended.model_copy(update={"results": [tainted, *recommended.results[1:]]})
        message = views.customer_message(fits, views.offering_names(fits, None))
        assert "javascript" not in message
        assert first.offering.name in message

    def test_says_so_when_nothing_fits(self, recommended: RecommendationPublic) -> None:
        empty = recommended.model_copy(update={"results": []})
        assert "none of them meets everything" in views.customer_message(empty, {})


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://a.example/x", True),
        ("http://a.example", True),
        ("javascript:alert(1)", False),  # a link must never run script
        ("JaVaScRiPt:alert(1)", False),
        ("data:text/html,hi", False),
        ("http://\njavascript:alert(1)", False),  # issue 16: it passed the prefix check
        ("https://a.example/\u202ex", False),
        (None, False),
    ],
)
def test_only_web_addresses_become_links(url: str | None, kept: bool) -> None:
    assert (views.web_url(url) is not None) is kept


class TestComparisonLabels:
    @pytest.mark.parametrize(
        ("name", "label"),
        [
            ("budget_monthly", "Budget"),
            ("excluded_price_models:subscription", "Excluded price models: Subscription"),
            ("platforms:ios", "Platforms: iOS"),
            ("region", "Region"),
            ("compliance:gdpr", "Compliance: GDPR"),
            ("languages:de", "Languages: German"),
            ("must_have:invoicing", "Must-haves: Invoicing"),
            ("segment", "Segment"),
        ],
    )
    def test_rows_are_named_as_a_person_says_them(self, name: str, label: str) -> None:
        assert views.constraint_label(name, {"invoicing": "Invoicing"}) == label

    def test_no_row_is_a_raw_field_name(self) -> None:
        snapshot = make_snapshot()
        engine = Engine(snapshot.catalog, snapshot.rules)
        need = Need(
            "invoices for my small business, no usage-based pricing, under $40 a month, on the web"
        )
        public = recommendation_public(engine.recommend(need, limit=5), record_id="rec_2")
        comparison = views.compare_top(public, views.capability_labels(public, None))
        assert comparison is not None
        labels = [row.label for row in comparison.rows]
        assert "Budget" in labels
        assert "Excluded price models: Usage" in labels
        assert all("_" not in label and "(" not in label for label in labels), labels


def _fit(fit: FitPublic, **changes: object) -> FitPublic:
    return fit.model_copy(update=changes)


class TestBestOwnLine:
    @pytest.fixture
    def tied(self, recommended: RecommendationPublic) -> RecommendationPublic:
        """Our offering second, covering exactly what the first covers."""
        first, second = recommended.results[0], recommended.results[1]
        own = _fit(
            second,
            rank=2,
            coverage=first.coverage,
            offering=second.offering.model_copy(update={"relationship": Relationship.OWN}),
            disclosure=DisclosurePublic(relationship=Relationship.OWN, fee=False, text="Ours."),
        )
        best = _fit(
            first,
            disclosure=DisclosurePublic(
                relationship=Relationship.COMPETITOR, fee=False, text="Competitor."
            ),
        )
        best_own = BestOwnPublic(
            offering_id=own.offering.id,
            rank=2,
            comparison=f"Our {own.offering.name} fits too (rank 2), but {best.offering.name} "
            "(a competitor) fits better on what it covers.",
        )
        return recommended.model_copy(
            update={"results": [best, own], "best_own": best_own, "relaxations": []}
        )

    def test_equal_coverage_names_what_differs(self, tied: RecommendationPublic) -> None:
        best, own = tied.results
        cheap = VerdictPublic(name="budget_monthly", ok=True, hard=True, detail="Free")
        dear = VerdictPublic(
            name="budget_monthly",
            ok=True,
            hard=True,
            detail="From $30/month is within your $40 budget",
        )
        region = VerdictPublic(name="region", ok=True, hard=True, detail="Available in Canada")
        public = tied.model_copy(
            update={"results": [_fit(best, constraints=[cheap, region]),
                                _fit(own, constraints=[dear, region])]}
        )  # fmt: skip
        line = views.best_own_line(public, {})
        assert line is not None
        assert "on what it covers" not in line
        assert "as fully as" in line
        assert "budget" in line
        assert "free" in line
        assert "from $30/month" in line
        assert "region" not in line  # the same for both: not a difference

    def test_equal_on_everything_says_why_the_other_ranks_higher(
        self, tied: RecommendationPublic
    ) -> None:
        best, own = tied.results
        parts = best.score_parts
        public = tied.model_copy(
            update={
                "results": [
                    _fit(
                        best,
                        constraints=[],
                        score_parts=parts.model_copy(update={"similarity": 0.4}),
                    ),
                    _fit(
                        own,
                        constraints=[],
                        score_parts=parts.model_copy(update={"similarity": 0.1}),
                    ),
                ]
            }
        )
        line = views.best_own_line(public, {})
        assert line is not None
        assert "meets the same constraints" in line
        assert "closer to the customer's words" in line

    def test_different_coverage_keeps_the_engine_s_sentence(
        self, recommended: RecommendationPublic
    ) -> None:
        if recommended.best_own is None:
            pytest.skip("no own offering in this answer")
        assert views.best_own_line(recommended, {}) is not None


class TestEveryNamedOfferingIsDisclosed:
    def test_relaxation_lines_carry_the_disclosure(self) -> None:
        snapshot = make_snapshot()
        engine = Engine(snapshot.catalog, snapshot.rules)
        need = Need("invoices", Constraints(platforms=("android",)))
        public = recommendation_public(engine.recommend(need), record_id="rec_3")
        assert public.results == []
        assert public.relaxations
        names = views.offering_names(public, snapshot.catalog)
        known = views.known_disclosures(public, snapshot.catalog)
        message = views.customer_message(public, names, disclosures=known)
        for relaxation in public.relaxations[:2]:
            for offering_id in relaxation.admits:
                sentence = views.disclosure_sentence(names[offering_id], known[offering_id])
                assert sentence in message

    def test_the_catalogue_discloses_what_an_older_response_does_not(self) -> None:
        snapshot = make_snapshot()
        public = recommendation_public(
            Engine(snapshot.catalog, snapshot.rules).recommend(
                Need("invoices", Constraints(platforms=("android",)))
            ),
            record_id="rec_4",
        )
        known = views.known_disclosures(public, snapshot.catalog)
        assert known["books-partner"].fee is True
        assert known["books-partner"].relationship is Relationship.PARTNER


class TestReasonsSaidOnce:
    def test_a_met_must_have_is_not_repeated(self) -> None:
        snapshot = make_snapshot()
        engine = Engine(snapshot.catalog, snapshot.rules)
        need = Need("We send invoices", Constraints(must_have=("invoicing",)))
        public = recommendation_public(engine.recommend(need), record_id="rec_5")
        for fit in public.results:
            reasons = views.fit_reasons(fit)
            assert len(reasons) == len(set(reasons))
            assert not any(r.startswith("Covers invoicing fully") for r in reasons)
            assert all(not v.name.startswith("must_have:") for v in views.shown_verdicts(fit))


class TestUnderstoodConstraints:
    def test_every_constraint_read_is_listed_with_its_words(self) -> None:
        snapshot = make_snapshot()
        engine = Engine(snapshot.catalog, snapshot.rules)
        need = Need("invoices, we are in Canada, ideally on iPhone, under $50, no subscription")
        public = recommendation_public(engine.recommend(need), record_id="rec_6")
        chips = {c.key: c for c in views.understood_constraints(public, {})}
        assert {
            "region",
            "platforms=ios",
            "budget_monthly",
            "excluded_price_models=subscription",
        } <= set(chips)
        assert chips["region"].text == "Region: Canada"
        assert chips["region"].matched == "Canada"
        assert chips["region"].soft is False
        assert chips["platforms=ios"].soft is True  # "ideally"
        assert chips["excluded_price_models=subscription"].text == "No subscription pricing"

    def test_the_language_area_says_where_and_why(self) -> None:
        snapshot = make_snapshot()
        engine = Engine(snapshot.catalog, snapshot.rules)
        need = Need("Nous cherchons un logiciel de facturation pour notre petite équipe")
        public = recommendation_public(engine.recommend(need), record_id="rec_7")
        chips = {c.key: c for c in views.understood_constraints(public, {})}
        assert chips["language_area"].text == "Where French is spoken"
        assert chips["language_area"].matched == "written in French"
        assert chips["language_area"].soft is False
