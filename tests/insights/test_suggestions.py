"""Vocabulary suggestions, the pure part: which needs, which phrases, which capability, order."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from referral_api.domain import Catalog, RecommendationRecord, RecordedCapability, Rules
from referral_api.insights.suggestions import (
    EvidenceNeed,
    candidate_ngrams,
    collision,
    is_weakly_understood,
    outcome_capability,
    stopwords_for,
    suggest_vocabulary,
    suggestion_id,
)

AT = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)


def make_record(
    *, text: str, not_understood: tuple[str, ...] = (), language: str = "en", **fields: Any
) -> RecommendationRecord:
    """A record of a need whose ask was not understood, unless capabilities were read."""
    fields.setdefault("ask_understood", "capabilities" in fields)
    return RecommendationRecord(
        id=f"rec_{abs(hash(text))}", created_at=AT, channel="api", catalog_version_id=1,
        need_text=text, language=language, not_understood=not_understood or (text,), **fields,
    )  # fmt: skip


def lost(text: str, *, language: str = "en", nearest: str | None = None) -> EvidenceNeed:
    record = make_record(text=text, language=language, did_you_mean=(nearest,) if nearest else ())
    return EvidenceNeed(record)


class TestWhichNeeds:
    @pytest.mark.parametrize(
        ("confidence", "not_understood", "ask", "weak"),
        [
            (0.95, (), True, False),  # read with confidence, nothing left over
            (0.95, ("dunning",), True, True),  # something was left over
            (0.45, (), True, True),  # read, but weakly
            (0.95, (), False, True),  # the ask itself was not understood
        ],
    )
    def test_weakly_understood(
        self, confidence: float, not_understood: tuple[str, ...], ask: bool, weak: bool
    ) -> None:
        record = RecommendationRecord(
            id="r", created_at=AT, channel="api", catalog_version_id=1, need_text="x",
            ask_understood=ask, not_understood=not_understood,
            capabilities=(RecordedCapability("invoicing", confidence=confidence),),
        )  # fmt: skip
        assert is_weakly_understood(record) is weak


class TestPhrases:
    def test_stopwords_of_the_language_cut_phrases_and_may_stand_inside(self, rules: Rules) -> None:
        found = candidate_ngrams(
            "necesitamos cartas de cobro para morosos", "es", rules, stopwords_for(rules, "es")
        )
        phrases = set(found.values())
        # "necesitamos" (an ask cue) and "para" never start or end a phrase
        assert "cartas de cobro" in phrases
        assert not any(p.startswith(("necesitamos", "para")) for p in phrases)
        assert not any(p.endswith(("de", "para")) for p in phrases)

    def test_placeholders_and_common_lone_words_are_not_phrases(self, rules: Rules) -> None:
        found = candidate_ngrams(
            "mail [email] about pix on our site", "en", rules, stopwords_for(rules, "en")
        )
        phrases = set(found.values())
        assert "pix" in phrases
        assert "email" not in " ".join(phrases)
        assert "site" not in phrases  # too common to name anything alone

    def test_inflections_share_one_id(self, rules: Rules, demo_catalog: Catalog) -> None:
        needs = [lost("dunning letter", nearest="payment-reminders"),
                 lost("Dunning letters", nearest="payment-reminders")]  # fmt: skip
        [found] = [s for s in suggest_vocabulary(needs, demo_catalog, rules)
                   if s.phrase.startswith("dunning")]  # fmt: skip
        assert found.support == 2
        assert found.id == suggestion_id("en", ("dun", "letter"))


class TestWhichCapability:
    def test_outcomes_outweigh_the_engines_guesses(
        self, rules: Rules, demo_catalog: Catalog
    ) -> None:
        offering = next(o for o in demo_catalog.offerings if "payment-links" in o.capabilities)
        guesses = [lost(f"need upi paytm now {i}", nearest="online-payments") for i in range(2)]
        chosen = [
            EvidenceNeed(
                make_record(
                    text=f"upi paytm and links {i}", not_understood=("upi paytm",),
                    capabilities=(RecordedCapability("payment-links", confidence=0.5),),
                ),
                offering.id,
            )
            for i in range(3)
        ]  # fmt: skip
        [found] = [
            s for s in suggest_vocabulary([*guesses, *chosen], demo_catalog, rules)
            if s.phrase == "upi paytm"
        ]  # fmt: skip
        assert (found.capability, found.support, found.from_outcomes) == ("payment-links", 5, 3)
        assert found.strength == pytest.approx(3 / (3 + 2 * 0.5))
        assert [(v.capability, v.needs) for v in found.votes] == [
            ("payment-links", 3), ("online-payments", 2)
        ]  # fmt: skip

    def test_outcome_capability_prefers_did_you_mean_then_what_was_read(
        self, demo_catalog: Catalog
    ) -> None:
        offering = next(o for o in demo_catalog.offerings if len(o.capabilities) > 2)
        first, second, *_ = list(offering.capabilities)
        record = make_record(text="x", did_you_mean=("nonexistent", second))
        assert outcome_capability(record, offering.id, demo_catalog) == second
        read = make_record(text="x", capabilities=(RecordedCapability(first, confidence=0.4),))
        assert outcome_capability(read, offering.id, demo_catalog) == first
        assert outcome_capability(read, "no-such-offering", demo_catalog) is None

    def test_a_phrase_spread_over_capabilities_names_none(
        self, rules: Rules, demo_catalog: Catalog
    ) -> None:
        needs = [lost("zorblat", nearest=cap) for cap in ("payroll", "invoicing", "bank-feeds")]
        assert suggest_vocabulary(needs, demo_catalog, rules) == []

    def test_a_need_pointing_nowhere_gives_no_suggestion(
        self, rules: Rules, demo_catalog: Catalog
    ) -> None:
        assert suggest_vocabulary([lost("zorblat"), lost("zorblat")], demo_catalog, rules) == []


class TestLanguagesAndRanking:
    def test_each_language_has_its_own_suggestions(
        self, rules: Rules, demo_catalog: Catalog
    ) -> None:
        needs = [
            lost("cartas de cobro para morosos", language="es", nearest="payment-reminders"),
            lost("buscamos cartas de cobro", language="es", nearest="payment-reminders"),
            lost("dunning letters", nearest="payment-reminders"),
            lost("dunning letters again", nearest="payment-reminders"),
            lost("dunning letters for all", nearest="payment-reminders"),
        ]
        found = suggest_vocabulary(needs, demo_catalog, rules)
        by_phrase = {(s.language, s.phrase): s for s in found}
        assert ("es", "cartas de cobro") in by_phrase
        assert ("en", "dunning letters") in by_phrase
        # ranked by support × strength: three English needs before two Spanish ones
        assert found[0].phrase == "dunning letters"
        assert found[0].examples == ("dunning letters", "dunning letters again",
                                     "dunning letters for all")  # fmt: skip

    def test_a_phrase_held_by_the_same_needs_as_a_longer_one_folds_into_it(
        self, rules: Rules, demo_catalog: Catalog
    ) -> None:
        needs = [lost("quarterly dunning letters", nearest="payment-reminders")] * 2
        phrases = {s.phrase for s in suggest_vocabulary(needs, demo_catalog, rules)}
        assert "quarterly dunning letters" in phrases
        assert "dunning letters" not in phrases

    def test_known_and_decided_phrases_are_left_out(
        self, rules: Rules, demo_catalog: Catalog
    ) -> None:
        payroll = demo_catalog.capabilities["payroll"]
        synonym = payroll.synonyms[0]
        needs = [lost(synonym, nearest="invoicing"), lost(synonym, nearest="invoicing")]
        assert suggest_vocabulary(needs, demo_catalog, rules) == []
        twice = [lost("dunning letters", nearest="payment-reminders")] * 2
        [found] = suggest_vocabulary(twice, demo_catalog, rules)
        assert suggest_vocabulary(twice, demo_catalog, rules, hidden=frozenset({found.id})) == []

    def test_collision_names_the_capability_that_has_the_phrase(
        self, rules: Rules, demo_catalog: Catalog
    ) -> None:
        synonym = demo_catalog.capabilities["payroll"].synonyms[0]
        assert collision(
            demo_catalog, rules, phrase=synonym.upper(), language="en", capability="invoicing"
        ) == ("payroll", "synonyms")
        assert (
            collision(demo_catalog, rules, phrase=synonym, language="en", capability="payroll")
            is None
        )
        assert (
            collision(
                demo_catalog, rules, phrase="dunning letters", language="en", capability="invoicing"
            )
            is None
        )
