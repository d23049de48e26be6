"""Clusters of similar needs, so that 37 ways of asking for one thing read as one line.

Deterministic: the texts are first put in a canonical order (most frequent first, then
shortest, then alphabetical, on a normalised form), so the same texts in any order give the
same clusters. Each text joins the first earlier cluster whose representative it resembles
(rapidfuzz ``token_sort_ratio`` at or above ``threshold``) or starts a new one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

EXAMPLES = 5
THRESHOLD = 72.0


@dataclass(frozen=True)
class Cluster:
    """Needs that read alike: how many, one phrasing that stands for them, a few examples."""

    kind: str
    count: int
    representative: str
    examples: tuple[str, ...]


def normalise(text: str) -> str:
    """Case-folded, whitespace collapsed: what two texts are compared as."""
    return " ".join(text.casefold().split())


def cluster_texts(
    texts: Iterable[str], *, kind: str, threshold: float = THRESHOLD, limit: int = 20
) -> list[Cluster]:
    """Group ``texts`` (one per need) into clusters, largest first (at most ``limit``)."""
    counts: Counter[str] = Counter()
    phrasing: dict[str, str] = {}
    for text in texts:
        key = normalise(text)
        if not key:
            continue
        counts[key] += 1
        # the phrasing shown for a normalised text: the smallest original, whatever the order
        original = " ".join(text.split())
        phrasing[key] = min(phrasing.get(key, original), original)
    canonical = sorted(counts, key=lambda key: (-counts[key], len(key), key))
    leaders: list[str] = []
    members: list[list[str]] = []
    for key in canonical:
        match = process.extractOne(
            key, leaders, scorer=fuzz.token_sort_ratio, score_cutoff=threshold
        )
        if match is None:
            leaders.append(key)
            members.append([key])
        else:
            members[match[2]].append(key)
    clusters = [
        Cluster(
            kind=kind,
            count=sum(counts[key] for key in group),
            representative=phrasing[group[0]],
            examples=tuple(phrasing[key] for key in group[:EXAMPLES]),
        )
        for group in members
    ]
    clusters.sort(key=lambda c: (-c.count, normalise(c.representative)))
    return clusters[:limit]
