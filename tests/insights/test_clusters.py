"""Clusters of similar needs: deterministic, counted, with a representative and examples."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from referral_api.insights.clusters import EXAMPLES, cluster_texts

NEEDS = [
    "payroll for contractors in Mexico",
    "Payroll for contractors in  Mexico",
    "contractor payroll in mexico",
    "payroll for our contractors in Mexico please",
    "a blockchain ledger for our shop",
    "blockchain ledger for a shop",
    "timesheets for remote staff",
]


class TestClusters:
    def test_similar_needs_share_a_cluster_with_a_count(self) -> None:
        clusters = cluster_texts(NEEDS, kind="unserved")
        assert [c.count for c in clusters] == [4, 2, 1]
        first = clusters[0]
        # the most frequent phrasing stands for the cluster (two spellings of one text)
        assert first.representative == "Payroll for contractors in Mexico"
        assert "contractor payroll in mexico" in first.examples
        assert clusters[1].representative == "blockchain ledger for a shop"
        assert clusters[2].examples == ("timesheets for remote staff",)

    def test_at_most_five_examples(self) -> None:
        texts = [f"payroll for contractors in Mexico {n}" for n in range(12)]
        (cluster,) = cluster_texts(texts, kind="unserved")
        assert cluster.count == 12
        assert len(cluster.examples) == EXAMPLES

    def test_blank_texts_are_ignored_and_the_limit_holds(self) -> None:
        texts = ["   ", *(f"{word} {word} {word}" for word in "abcdefghij")]
        assert len(cluster_texts(texts, kind="not_understood", limit=3)) == 3

    @given(st.permutations(NEEDS + NEEDS[:3]))
    def test_the_same_needs_in_any_order_give_the_same_clusters(self, texts: list[str]) -> None:
        """Clustering is a function of the multiset of texts, not of their order."""
        assert cluster_texts(texts, kind="unserved") == cluster_texts(
            NEEDS + NEEDS[:3], kind="unserved"
        )

    @given(
        st.lists(
            st.sampled_from(["pay staff", "pay my staff", "staff pay", "llamas", "a llama", "x"]),
            max_size=30,
        ),
        st.randoms(use_true_random=False),
    )
    def test_counts_add_up_whatever_the_order(self, texts: list[str], rnd: object) -> None:
        """Every non-blank need is counted once, in exactly one cluster."""
        shuffled = list(texts)
        rnd.shuffle(shuffled)  # type: ignore[attr-defined]
        clusters = cluster_texts(shuffled, kind="unserved", limit=100)
        assert sum(c.count for c in clusters) == len(texts)
        assert clusters == cluster_texts(texts, kind="unserved", limit=100)
