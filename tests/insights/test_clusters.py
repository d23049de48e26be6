"""Clusters of similar needs: grouped on what the engine read (capabilities, the content words
of what it did not understand, in the need's language), labelled with distinctive terms."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from referral_api.insights.clusters import (
    EXAMPLES,
    NeedReading,
    cluster_needs,
    content_words,
)


def unread(text: str, *phrases: str, language: str = "en") -> NeedReading:
    return NeedReading("not_understood", text, language, phrases=phrases or (text,))


def unserved(text: str, *capabilities: str, missed: str | None = None) -> NeedReading:
    return NeedReading("unserved", text, capabilities=capabilities, missed=missed)


NEEDS = [
    unread("help me write a wedding speech", "write … speech"),
    unread("write a speech for my sister's wedding", "write … speech"),
    unread("I need someone to write my best man speech", "write … best man speech"),
    unread("translate Klingon poetry", "translate Klingon poetry"),
    unread("translate my website into Klingon", "translate … Klingon"),
    unread("adopt a llama", "adopt a llama"),
    unread("llama adoption for our farm", "llama adoption"),
    unread("eine Rede für die Hochzeit schreiben", "Rede … Hochzeit schreiben", language="de"),
    unread(
        "die Rede zur Hochzeit meines Bruders schreiben",
        "Rede … Hochzeit … Bruders schreiben",
        language="de",
    ),
]


class TestGrouping:
    def test_needs_that_read_alike_share_a_cluster(self) -> None:
        clusters = cluster_needs(NEEDS)
        by_first = {c.representative: c for c in clusters}
        speech = next(c for c in clusters if "write my best man speech" in " ".join(c.examples))
        assert speech.count == 3
        assert set(speech.terms[:2]) == {"speech", "write"}
        llama = next(c for c in clusters if "adopt a llama" in c.examples)
        assert llama.count == 2
        assert "llama" in llama.terms
        klingon = next(c for c in clusters if "translate Klingon poetry" in c.examples)
        assert klingon.count == 2
        assert "klingon" in klingon.terms
        assert sum(c.count for c in clusters) == len(NEEDS)
        assert len(by_first) == len(clusters)

    def test_german_needs_are_read_in_german(self) -> None:
        """Stemmed in their own language: "schreiben" is one word, "für"/"die" are noise."""
        clusters = cluster_needs(NEEDS)
        german = next(c for c in clusters if "eine Rede für die Hochzeit schreiben" in c.examples)
        assert "die Rede zur Hochzeit meines Bruders schreiben" in german.examples
        assert "schreiben" in german.terms
        assert not {"für", "die", "eine"} & set(german.terms)

    def test_unserved_needs_meet_on_their_capability_across_wordings(self) -> None:
        needs = [
            unserved("crypto payments for my shop in Nigeria", "crypto-payments", missed="region"),
            unserved("accept bitcoin in Ghana", "crypto-payments", missed="region"),
            unserved("Krypto-Zahlungen in Kenia", "crypto-payments", missed="region"),
            unserved("currency hedging for my bakery", "fx-hedging"),
        ]
        clusters = cluster_needs(needs, labels={"crypto-payments": "Crypto payments"})
        assert [c.count for c in clusters] == [3, 1]
        assert clusters[0].terms[0] == "Crypto payments"
        assert "fails region" in clusters[0].terms
        # the customer's context ("bakery") is not what the need is about, and labels nothing
        assert clusters[1].terms == ("fx-hedging",)

    def test_generic_words_label_nothing(self) -> None:
        """Words too common to mean anything alone ("call", "the", "my") neither join
        needs nor label them; what the needs share does."""
        needs = [
            unread("call my accountant about llamas", "call … llamas"),
            unread("call the llama vet", "call … llama vet"),
            unread("call a speech writer", "call … speech writer"),
        ]
        words = [word for _, word in content_words("call the llama vet", "en")]
        assert "the" not in words
        clusters = cluster_needs(needs)
        llama = next(c for c in clusters if "call the llama vet" in c.examples)
        assert llama.terms[0] == "llama" or llama.terms[0] == "llamas"
        assert "call" not in llama.terms[:1]

    def test_one_word_beside_an_understood_ask_is_not_clustered(self) -> None:
        """ "payroll for my team": "team" describes who asks; "a website builder" beside
        "payroll" may be a second ask, and is clustered."""
        needs = [
            NeedReading("not_understood", "payroll for my team", phrases=("team",), in_part=True),
            NeedReading(
                "not_understood",
                "payroll and a website builder",
                phrases=("website builder",),
                in_part=True,
            ),
            unread("help me write a wedding speech", "write … speech"),
        ]
        clusters = cluster_needs(needs)
        shown = [e for c in clusters for e in c.examples]
        assert "payroll for my team" not in shown
        assert "payroll and a website builder" in shown
        assert sum(c.count for c in clusters) == 2

    def test_at_most_five_examples_and_the_limit_holds(self) -> None:
        needs = [unread(f"adopt a llama number {n}", "adopt a llama") for n in range(12)]
        (cluster,) = cluster_needs(needs)
        assert cluster.count == 12
        assert len(cluster.examples) == EXAMPLES
        assert len(cluster_needs(NEEDS, limit=2)) == 2

    def test_blank_needs_are_ignored(self) -> None:
        assert cluster_needs([NeedReading("not_understood", "   ")]) == []


class TestDeterminism:
    @settings(max_examples=25, deadline=None)
    @given(st.permutations(NEEDS + NEEDS[:3]))
    def test_the_same_needs_in_any_order_give_the_same_clusters(
        self, needs: list[NeedReading]
    ) -> None:
        """Clustering is a function of the multiset of needs, not of their order."""
        assert cluster_needs(needs) == cluster_needs(NEEDS + NEEDS[:3])

    @settings(max_examples=25, deadline=None)
    @given(st.lists(st.sampled_from(NEEDS), max_size=30))
    def test_every_need_is_counted_once(self, needs: list[NeedReading]) -> None:
        """Every non-blank need is counted in exactly one cluster."""
        assert sum(c.count for c in cluster_needs(needs, limit=100)) == len(needs)
