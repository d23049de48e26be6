"""Clusters of similar unserved and not-understood needs, so that 37 ways of asking for one
thing read as one card, labelled with what they share.

A need is compared on what the engine read in it, not on its raw words: the capabilities it
asked for (so "Lohnabrechnung in Japan" and "payroll in Japan" meet across languages), the
content words of what was not understood, stemmed in the need's own language with the
engine's stemmer (``matching.text``), and the must-have that kept every offering out. Context
the engine set aside ("for my bakery") and words too common in the need's language to mean
anything alone ("call", "the", "de") are left out, so they neither join needs nor label them.

The grouping itself is networkx's Louvain community detection (seeded, over nodes added in a
canonical order: the same needs in any order give the same clusters) on a graph whose edges
join needs whose readings are similar enough (cosine of their weighted features). Each
cluster is labelled with its most distinctive features: frequent in the cluster, rare
outside it (tf-idf).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import networkx as nx

from referral_api.matching.language import is_function_word
from referral_api.matching.text import tokenize

EXAMPLES = 5
#: two needs whose readings are at least this similar (cosine) are joined by an edge
THRESHOLD = 0.5
#: how many terms label a cluster
LABEL_TERMS = 3
#: weights: what was asked for weighs most, a must-have that kept offerings out least
CAPABILITY_WEIGHT = 2.0
WORD_WEIGHT = 1.0
MISSED_WEIGHT = 0.5
SEED = 18


@dataclass(frozen=True, slots=True)
class NeedReading:
    """What the engine read in one unserved or not-understood need (one per recommendation)."""

    kind: str
    #: the customer's words, as stored (redacted)
    text: str
    language: str = "en"
    #: the capabilities nothing served (unserved)
    capabilities: tuple[str, ...] = ()
    #: the phrases nothing understood (not understood)
    phrases: tuple[str, ...] = ()
    #: the must-have that kept the offerings out, when one did
    missed: str | None = None
    #: not understood in part: the ask was understood, only these phrases were not
    in_part: bool = False


@dataclass(frozen=True)
class Cluster:
    """Needs that read alike: how many, the terms that set them apart, the phrasing that
    stands for them and a few more of the customers' words."""

    kind: str
    count: int
    representative: str
    examples: tuple[str, ...]
    terms: tuple[str, ...] = ()


def normalise(text: str) -> str:
    """Case-folded, whitespace collapsed: what two texts are compared as."""
    return " ".join(text.casefold().split())


def content_words(
    phrase: str, language: str, stopwords: frozenset[str] = frozenset()
) -> list[tuple[str, str]]:
    """(stem, word) of the phrase's content words, in ``language``: no stopword, no word so
    common in the language that it means nothing alone, no number, no single letter."""
    words = []
    for token in tokenize(phrase, language):
        folded = token.folded
        if (
            len(folded) < 2
            or not folded.isalpha()
            or folded in stopwords
            or is_function_word(folded, language)
        ):
            continue
        words.append((token.stem, folded))
    return words


def _a_second_ask(reading: NeedReading, stopwords: frozenset[str]) -> bool:
    """Whether what was left over around an understood ask may be an ask of its own: a phrase
    of two content words or more ("a website builder"). A single word beside an understood
    ask ("payroll for my team", "invoicing for my store") describes who asks, not what."""
    return any(len(content_words(p, reading.language, stopwords)) >= 2 for p in reading.phrases)


def _features(
    reading: NeedReading, stopwords: frozenset[str], surface: defaultdict[str, Counter[str]]
) -> dict[str, float]:
    features: dict[str, float] = {}
    for capability in reading.capabilities:
        features[f"capability:{capability}"] = CAPABILITY_WEIGHT
    for phrase in reading.phrases:
        for stem, word in content_words(phrase, reading.language, stopwords):
            key = f"word:{reading.language}:{stem}"
            features[key] = WORD_WEIGHT
            surface[key][word] += 1
    if reading.missed:
        features[f"missed:{reading.missed}"] = MISSED_WEIGHT
    if not features:  # nothing read at all: compare on the words themselves
        for stem, word in content_words(reading.text, reading.language, stopwords):
            key = f"word:{reading.language}:{stem}"
            features[key] = WORD_WEIGHT
            surface[key][word] += 1
    return features


def _cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    dot = sum(weight * b[key] for key, weight in a.items() if key in b)
    if not dot:
        return 0.0
    norm = math.sqrt(sum(w * w for w in a.values()) * sum(w * w for w in b.values()))
    return dot / norm


def cluster_needs(
    readings: Iterable[NeedReading],
    *,
    labels: Mapping[str, str] | None = None,
    stopwords: frozenset[str] = frozenset(),
    threshold: float = THRESHOLD,
    limit: int = 20,
) -> list[Cluster]:
    """Group needs of one kind by what the engine read in them, largest cluster first.

    ``labels`` (capability id → label) and the names of missed constraints make the terms a
    cluster is labelled with readable; at most ``limit`` clusters are returned.
    """
    labels = labels or {}
    surface: defaultdict[str, Counter[str]] = defaultdict(Counter)
    # needs that read the same are one node with a count: fewer nodes, and order-free
    nodes: dict[tuple[tuple[str, float], ...], list[NeedReading]] = defaultdict(list)
    for reading in readings:
        if not reading.text.strip() and not reading.phrases:
            continue
        if reading.in_part and not _a_second_ask(reading, stopwords):
            continue
        signature = tuple(sorted(_features(reading, stopwords, surface).items()))
        nodes[signature].append(reading)
    if not nodes:
        return []
    signatures = sorted(nodes, key=lambda sig: (-len(nodes[sig]), sig))
    vectors = {sig: dict(sig) for sig in signatures}

    # integer nodes in the canonical order: their hashes, hence the detection, never vary
    graph: nx.Graph[int] = nx.Graph()
    graph.add_nodes_from(range(len(signatures)))
    # candidate pairs share a feature (an inverted index, not every pair)
    sharing: defaultdict[str, list[int]] = defaultdict(list)
    for index, signature in enumerate(signatures):
        for key in vectors[signature]:
            sharing[key].append(index)
    pairs: set[tuple[int, int]] = set()
    for holders in sharing.values():
        pairs.update(combinations(holders, 2))
    for i, j in sorted(pairs):
        similarity = _cosine(vectors[signatures[i]], vectors[signatures[j]])
        if similarity >= threshold:
            # heavier nodes pull harder: many needs reading alike are one strong theme
            weight = similarity * math.sqrt(len(nodes[signatures[i]]) * len(nodes[signatures[j]]))
            graph.add_edge(i, j, weight=weight)
    found = nx.community.louvain_communities(graph, weight="weight", seed=SEED)
    communities: list[list[tuple[tuple[str, float], ...]]] = [
        [signatures[index] for index in sorted(group)] for group in found
    ]

    # document frequency of every feature over all needs, for tf-idf labels
    total = sum(len(group) for group in nodes.values())
    frequency: Counter[str] = Counter()
    for signature in signatures:
        for key in vectors[signature]:
            frequency[key] += len(nodes[signature])

    clusters = []
    for members in communities:  # each in canonical order: the most frequent reading first
        count = sum(len(nodes[sig]) for sig in members)
        within: Counter[str] = Counter()
        for signature in members:
            for key in vectors[signature]:
                within[key] += len(nodes[signature])
        terms = _distinctive(within, count, frequency, total, labels, surface)
        texts = _texts(members, nodes, vectors, within)
        kind = min(reading.kind for sig in members for reading in nodes[sig])
        clusters.append(
            Cluster(
                kind=kind,
                count=count,
                representative=texts[0],
                examples=tuple(texts[:EXAMPLES]),
                terms=terms,
            )
        )
    clusters.sort(key=lambda c: (-c.count, c.kind, c.terms, normalise(c.representative)))
    return clusters[:limit]


def _distinctive(
    within: Counter[str],
    count: int,
    frequency: Counter[str],
    total: int,
    labels: Mapping[str, str],
    surface: Mapping[str, Counter[str]],
) -> tuple[str, ...]:
    """The features most frequent in the cluster and rarest outside it, readable: a term
    shared by fewer than half of the cluster's needs does not label it."""
    scored = []
    for key, inside in within.items():
        share = inside / count
        if count > 1 and share < 0.5:
            continue
        rarity = math.log((1 + total) / (1 + frequency[key])) + 1
        scored.append((-(share * rarity), key))
    return tuple(_readable(key, labels, surface) for _, key in sorted(scored)[:LABEL_TERMS])


def _readable(key: str, labels: Mapping[str, str], surface: Mapping[str, Counter[str]]) -> str:
    family, _, value = key.partition(":")
    if family == "capability":
        return labels.get(value, value)
    if family == "missed":
        return f"fails {value.replace('_', ' ')}"
    words = surface.get(key)
    # the word as customers most often wrote it (the stem is not a word)
    return min(words.items(), key=lambda item: (-item[1], item[0]))[0] if words else value


def _texts(
    members: Sequence[tuple[tuple[str, float], ...]],
    nodes: Mapping[tuple[tuple[str, float], ...], list[NeedReading]],
    vectors: Mapping[tuple[tuple[str, float], ...], Mapping[str, float]],
    within: Counter[str],
) -> list[str]:
    """The cluster's distinct phrasings, the most typical first (closest to what the cluster
    shares, then the most often written, then the shortest)."""
    written: Counter[str] = Counter()
    shown: dict[str, str] = {}
    closeness: dict[str, float] = {}
    for signature in members:
        similarity = _cosine(vectors[signature], within)
        for reading in nodes[signature]:
            key = normalise(reading.text)
            if not key:
                continue
            written[key] += 1
            shown[key] = min(shown.get(key, reading.text), " ".join(reading.text.split()))
            closeness[key] = max(closeness.get(key, 0.0), similarity)
    order = sorted(written, key=lambda key: (-round(closeness[key], 6), -written[key],
                                               len(key), key))  # fmt: skip
    return [shown[key] for key in order]
