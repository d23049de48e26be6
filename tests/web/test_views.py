"""What the console shows: badges, chips, the comparison and the message for the customer."""

from __future__ import annotations

import pytest

from referral_api.domain import CoverageStatus, Need, Relationship
from referral_api.matching import Engine
from referral_api.schemas import (
    CoveragePublic,
    DisclosurePublic,
    RecommendationPublic,
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
