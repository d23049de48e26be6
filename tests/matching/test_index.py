"""Index structures whose shortcuts must never change an answer."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from referral_api.matching.index import BM25_B, BM25_K1, Postings

VOCABULARY = [f"w{i}" for i in range(6)]


@st.composite
def postings_and_query(
    draw: st.DrawFn, *, with_floor: bool = False
) -> tuple[Postings, np.ndarray, list[str], int]:
    """Postings over random documents and a query. ``with_floor``: one of the query's words
    is in at least ``best_count`` active documents, so the query has a floor above 0."""
    size = draw(st.integers(1, 40))
    occurrences = draw(
        st.lists(
            st.tuples(
                st.integers(0, len(VOCABULARY) - 1),
                st.integers(0, size - 1),
                st.integers(1, 3),
            ),
            max_size=150,
        )
    )
    active = np.array(draw(st.lists(st.booleans(), min_size=size, max_size=size)))
    best_count = draw(st.integers(1, 8))
    query = draw(st.lists(st.sampled_from([*VOCABULARY, "unknown"]), max_size=5))
    if with_floor:
        best_count = min(best_count, size)
        anchor = draw(st.integers(0, len(VOCABULARY) - 1))
        docs = draw(
            st.lists(
                st.integers(0, size - 1), min_size=best_count, max_size=best_count, unique=True
            )
        )
        active[docs] = True
        occurrences = [*occurrences, *((anchor, doc, draw(st.integers(1, 3))) for doc in docs)]
        query.insert(draw(st.integers(0, len(query))), VOCABULARY[anchor])
    table = np.array(occurrences, dtype=np.int64).reshape(-1, 3)
    repeats = table[:, 2]  # a word occurring several times in a document
    postings = Postings(
        VOCABULARY,
        np.repeat(table[:, 0], repeats),
        np.repeat(table[:, 1], repeats),
        size,
        active=active,
        best_count=best_count,
    )
    return postings, active, query, best_count


@settings(max_examples=300, deadline=None)
@given(case=postings_and_query(with_floor=True))
def test_the_floor_keeps_every_one_of_the_best(
    case: tuple[Postings, np.ndarray, list[str], int],
) -> None:
    """At least ``best_count`` active documents reach the floor, so the best ``best_count``
    (and any tied with the last) are all among those at or above it."""
    postings, active, query, best_count = case
    floor = postings.floor(query)
    assume(floor > 0)
    scores = postings.scores(query)
    scores[~active] = 0
    reaching = np.flatnonzero(scores >= floor)
    assert len(reaching) >= best_count
    kth_best = np.sort(scores)[::-1][best_count - 1]
    assert kth_best >= floor
    assert set(np.flatnonzero(scores >= kth_best)) <= set(reaching)


def test_without_best_count_there_is_no_floor() -> None:
    postings = Postings(
        VOCABULARY,
        np.array([0, 0], dtype=np.int64),
        np.array([0, 1], dtype=np.int64),
        2,
    )
    assert postings.floor(["w0"]) == 0.0


@settings(max_examples=200, deadline=None)
@given(case=postings_and_query(), data=st.data())
def test_sums_taken_over_equal_sums_made_afresh(
    case: tuple[Postings, np.ndarray, list[str], int], data: st.DataObject
) -> None:
    """Adding the remaining words to sums made for some of them gives, bit for bit, the sums
    of all the words added in that order; sums for other words are never taken over."""
    postings, _, query, _ = case
    earlier = data.draw(st.lists(st.sampled_from([*VOCABULARY, "unknown"]), max_size=4))
    first = postings.sums(earlier)
    taken = postings.sums(query, after=first)
    if set(first.terms) <= set(query):
        in_order = [*first.terms, *(t for t in query if t not in first.terms)]
        assert taken.terms == postings.sums(in_order).terms
        assert np.array_equal(taken.sums, postings.sums(in_order).sums)
    else:
        assert taken.terms == postings.sums(query).terms
        assert np.array_equal(taken.sums, postings.sums(query).sums)


@settings(max_examples=200, deadline=None)
@given(
    size=st.integers(1, 12),
    occurrences=st.lists(
        st.tuples(st.integers(0, len(VOCABULARY) - 1), st.integers(0, 11)), max_size=80
    ),
)
def test_weights_are_bm25_counted_word_by_word(
    size: int, occurrences: list[tuple[int, int]]
) -> None:
    """Each (word, document) weight is BM25 (k1, b as published) over the occurrences as
    given, in any order: the counting by sorting equals counting one occurrence at a time."""
    occurrences = [(term, doc % size) for term, doc in occurrences]
    counts: dict[tuple[int, int], int] = {}
    for pair in occurrences:
        counts[pair] = counts.get(pair, 0) + 1
    lengths = [sum(n for (_, d), n in counts.items() if d == doc) for doc in range(size)]
    average = sum(lengths) / size if sum(lengths) else 1.0
    table = np.array(occurrences, dtype=np.int64).reshape(-1, 2)
    postings = Postings(VOCABULARY, table[:, 0], table[:, 1], size)
    for term_id, term in enumerate(VOCABULARY):
        docs = sorted(d for (t, d) in counts if t == term_id)
        if not docs:
            assert term not in postings.terms
            continue
        idf = math.log(1 + (size - len(docs) + 0.5) / (len(docs) + 0.5))
        expected = [
            idf * counts[term_id, d] * (BM25_K1 + 1)
            / (counts[term_id, d] + BM25_K1 * (1 - BM25_B + BM25_B * lengths[d] / average))
            for d in docs
        ]  # fmt: skip
        got_docs, got_weights = postings.terms[term]
        assert got_docs.tolist() == docs
        assert np.allclose(got_weights, expected, rtol=1e-5)
