"""Interpretation: what the engine reads in a customer's own words, case by case."""

from __future__ import annotations

import pytest

from referral_api.domain import Catalog, Constraints, Need, PriceModel, Rules
from referral_api.errors import InputError
from referral_api.matching import Engine
from referral_api.matching.interpret import _in_another_order
from tests.factories import make_offering, make_snapshot


@pytest.fixture(scope="module")
def engine(demo_catalog: Catalog, rules: Rules) -> Engine:
    return Engine(demo_catalog, rules)


def read(engine: Engine, text: str, **constraints: object) -> tuple[list[str], Constraints]:
    interpretation = engine.interpret(Need(text, Constraints(**constraints)))  # type: ignore[arg-type]
    return [c.id for c in interpretation.capabilities], interpretation.constraints


class TestCapabilities:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("I need to send invoices", "invoicing"),
            ("we want to take card payments", "card-payments"),
            ("taking payments by card", "card-payments"),  # word order
            ("help me with invocing please", "invoicing"),  # typo
            ("run payroll for my staff", "payroll"),
            ("something for receipts and expense reports", "receipt-capture"),
            ("I need a ledger with journal entries", "general-ledger"),  # synonym
        ],
    )
    def test_reads_capability(self, engine: Engine, text: str, expected: str) -> None:
        capabilities, _ = read(engine, text)
        assert expected in capabilities

    @pytest.mark.parametrize(
        "text",
        [
            "I want an online store to sell my prints, I'm in Leeds.",
            "Quero abrir uma loja online para vender os meus bolos em Lisboa.",
        ],
    )
    def test_words_standing_together_beat_a_longer_phrase_in_another_order(
        self, engine: Engine, text: str
    ) -> None:
        # ("sell in store and online" is selling in general: commerce)
        capabilities, _ = read(engine, text)
        assert capabilities == ["e-commerce-storefront"]

    def test_the_longest_phrase_wins(self, engine: Engine) -> None:
        """ "card payments" is one capability, not also "payments"."""
        capabilities, _ = read(engine, "card payments")
        assert capabilities == ["card-payments"]

    def test_span_and_confidence(self, engine: Engine) -> None:
        text = "We must send invoices from Berlin"
        cap = engine.interpret(Need(text)).capabilities[0]
        assert cap.span is not None
        assert text[cap.span.start : cap.span.end] == cap.matched == "invoices"
        assert 0.5 < cap.confidence <= 1.0

    def test_negated_capability_is_not_requested(self, engine: Engine) -> None:
        interpretation = engine.interpret(Need("invoicing but no payroll"))
        assert [c.id for c in interpretation.capabilities] == ["invoicing"]
        assert [(s.name, s.value, s.negated) for s in interpretation.stated] == [
            ("capability", "payroll", True)
        ]

    def test_words_nobody_uses_are_not_understood(self, engine: Engine) -> None:
        interpretation = engine.interpret(Need("invoicing for my zorblax quuxification"))
        assert interpretation.not_understood == ("zorblax quuxification",)

    def test_nothing_recognised_means_everything_is_not_understood(self, engine: Engine) -> None:
        interpretation = engine.interpret(Need("florp the wibble"))
        assert interpretation.capabilities == ()
        assert interpretation.not_understood == ("florp the wibble",)


class TestBudgets:
    @pytest.mark.parametrize(
        ("text", "amount", "currency", "hard"),
        [
            ("invoicing under $50 a month", 50.0, "USD", True),
            ("invoicing, €30/mo", 30.0, "EUR", True),
            ("payroll for at most £600 a year", 50.0, "GBP", True),
            ("invoicing, no more than 40 euros", 40.0, "EUR", True),
            ("invoicing, ideally under $20 a month", 20.0, "USD", False),  # hedged
            ("we spend 1.5k USD per month on tools", 1500.0, "USD", True),
        ],
    )
    def test_budget(
        self, engine: Engine, text: str, amount: float, currency: str, hard: bool
    ) -> None:
        _, constraints = read(engine, text)
        assert constraints.budget_monthly == pytest.approx(amount, abs=0.01)
        assert constraints.currency == currency
        assert constraints.is_soft("budget_monthly") is not hard

    def test_free_is_a_price_model(self, engine: Engine) -> None:
        _, constraints = read(engine, "invoicing, it has to be free")
        assert constraints.price_models == (PriceModel.FREE,)
        assert not constraints.is_soft("price_models", "free")

    def test_one_off_payment(self, engine: Engine) -> None:
        _, constraints = read(engine, "bookkeeping I can buy with a one-off payment")
        assert constraints.price_models == (PriceModel.ONE_TIME,)

    def test_no_subscription_excludes(self, engine: Engine) -> None:
        _, constraints = read(engine, "invoicing with no subscription")
        assert constraints.excluded_price_models == (PriceModel.SUBSCRIPTION,)


class TestPlaces:
    @pytest.mark.parametrize(
        ("text", "region"),
        [
            ("we're based in Germany", "DE"),
            ("UK based bakery", "GB"),
            ("Australian company needs payroll", "AU"),
            ("coffee shop in Portland (US)", "US"),
            ("payroll in New Zealand", "NZ"),
            ("a bakery in Deutschland", "DE"),
        ],
    )
    def test_region(self, engine: Engine, text: str, region: str) -> None:
        _, constraints = read(engine, text)
        assert constraints.region == region

    @pytest.mark.parametrize(
        "text",
        [
            "can you help us send invoices",  # "us" the pronoun
            "an AI assistant for invoices",  # "AI" is not Anguilla
            "our IT team needs invoicing",  # "IT" is not Italy
        ],
    )
    def test_common_words_are_not_countries(self, engine: Engine, text: str) -> None:
        _, constraints = read(engine, text)
        assert constraints.region is None


class TestPlatforms:
    @pytest.mark.parametrize(
        ("text", "platform", "hard"),
        [
            ("invoicing on my iPhone", "ios", True),
            ("we all use Macs", "macos", True),
            ("we only run Python apps", "python", True),
            ("it must run in Docker", "docker", True),
            ("Docker only", "docker", True),
            ("a tool that runs in Docker", "docker", False),  # a bare mention: a preference
            ("ideally on Android", "android", False),
            ("must be Python-based", "python", True),
        ],
    )
    def test_platform(self, engine: Engine, text: str, platform: str, hard: bool) -> None:
        _, constraints = read(engine, text)
        assert platform in constraints.platforms
        assert constraints.is_soft("platforms", platform) is not hard

    @pytest.mark.parametrize(
        ("text", "platform"),
        [
            ("not on Windows", "windows"),
            ("without PHP", "php"),
            ("nothing that needs Java", "java"),
        ],
    )
    def test_negation_excludes(self, engine: Engine, text: str, platform: str) -> None:
        _, constraints = read(engine, f"invoicing {text}")
        assert constraints.excluded_platforms == (platform,)
        assert constraints.platforms == ()

    def test_on_the_go_is_not_golang(self, engine: Engine) -> None:
        _, constraints = read(engine, "invoicing on the go")
        assert "go" not in constraints.platforms


class TestOtherConstraints:
    @pytest.mark.parametrize(
        ("text", "segment"),
        [
            ("team of 5", "small"),
            ("we're a 300-person company", "mid"),
            ("enterprise with 5000 employees", "enterprise"),
            ("I'm a freelancer", "individual"),
            # the people a small business employs, counted by their trade
            ("15 consultants who travel a lot", "small"),
            ("8 drivers and 2 mechanics", "small"),
        ],
    )
    def test_segment_is_a_preference(self, engine: Engine, text: str, segment: str) -> None:
        _, constraints = read(engine, f"payroll, {text}")
        assert constraints.segment == segment
        assert constraints.is_soft("segment")

    def test_compliance_is_hard(self, engine: Engine) -> None:
        _, constraints = read(engine, "we're a clinic so it must be HIPAA compliant")
        assert constraints.compliance == ("hipaa",)
        assert not constraints.is_soft("compliance", "hipaa")

    def test_language_versus_nationality(self, engine: Engine) -> None:
        _, constraints = read(engine, "invoicing in German for a French company")
        assert constraints.languages == ("de",)
        assert constraints.region == "FR"


class TestStructured:
    def test_structured_constraints_override_the_text(self, engine: Engine) -> None:
        interpretation = engine.interpret(
            Need("payroll, we're in Germany", Constraints(region="FR", platforms=("iPhone",)))
        )
        assert interpretation.constraints.region == "FR"
        assert interpretation.constraints.platforms == ("ios",)  # aliases apply
        overridden = [s for s in interpretation.stated if s.overridden]
        assert [(s.name, s.value) for s in overridden] == [("region", "DE")]

    def test_must_have_is_requested_at_full_confidence(self, engine: Engine) -> None:
        interpretation = engine.interpret(Need("something", Constraints(must_have=("payroll",))))
        assert [(c.id, c.confidence, c.must_have) for c in interpretation.capabilities] == [
            ("payroll", 1.0, True)
        ]

    @pytest.mark.parametrize(
        ("constraints", "field"),
        [
            (Constraints(must_have=("payrol",)), "constraints.must_have[0]"),
            (Constraints(region="Atlantis"), "constraints.region"),
            (Constraints(currency="XYZ"), "constraints.currency"),
        ],
    )
    def test_bad_structured_constraint_names_the_field(
        self, engine: Engine, constraints: Constraints, field: str
    ) -> None:
        with pytest.raises(InputError) as raised:
            engine.interpret(Need("payroll", constraints))
        assert [f["field"] for f in raised.value.fields] == [field]


_HIERARCHY = [
    {"id": "media-streaming", "label": "Media Streaming"},
    {
        "id": "multimedia-streaming",
        "label": "Media Streaming - Multimedia Streaming",
        "broader": ["media-streaming"],
    },
    {
        "id": "xmpp-web-clients",
        "label": "Communication - XMPP - Web Clients",
    },
    {"id": "testing", "label": "Software Development - Testing"},
]


@pytest.fixture(scope="module")
def hierarchy() -> Engine:
    snapshot = make_snapshot(
        capabilities=_HIERARCHY,
        offerings=[make_offering(id="streamer", capabilities={"multimedia-streaming": "full"})],
    )
    return Engine(snapshot.catalog, snapshot.rules)


class TestHierarchicalLabels:
    """A label that names its place in a hierarchy ("Media Streaming - Video Streaming") is
    also read by what it calls the capability itself."""

    @pytest.mark.parametrize(
        ("text", "capability"),
        [
            ("Multimedia streaming tools and software.", "multimedia-streaming"),
            ("a self-hosted XMPP web client", "xmpp-web-clients"),
            ("something for web clients", "xmpp-web-clients"),
        ],
    )
    def test_the_last_levels_name_it(self, hierarchy: Engine, text: str, capability: str) -> None:
        found = hierarchy.interpret(Need(text)).capabilities
        assert [(c.id, c.source) for c in found][:1] == [(capability, "label")]

    def test_one_word_level_alone_names_nothing(self, hierarchy: Engine) -> None:
        # ("testing" alone is too common a word to stand for "Software Development - Testing")
        found = hierarchy.interpret(Need("we are testing a new coffee grinder")).capabilities
        assert all(c.source != "label" for c in found)


@pytest.mark.parametrize(
    ("phrase", "met", "other_order"),
    [
        (("card", "payment"), ("payment", "by", "card"), True),
        (("take", "card", "payment"), ("take", "payment", "card"), True),
        (("card", "payment"), ("card", "payment"), False),
        (("bill", "client", "hour"), ("bill", "client", "actual", "hour"), False),  # a gap only
        (("money", "money"), ("money", "in", "money"), False),  # one word wanted twice
    ],
)
def test_a_phrase_met_in_another_order(
    phrase: tuple[str, ...], met: tuple[str, ...], other_order: bool
) -> None:
    assert _in_another_order(phrase, met) is other_order
