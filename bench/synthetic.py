"""A seeded synthetic catalogue and needs, for measuring the engine at 1k, 10k and 100k offerings.

The shape follows real catalogues: ~500 capabilities in a two-level hierarchy (``broader``
edges to ~25 roots, ``related`` edges within a root), each with a label and synonyms drawn from
a Zipf-distributed vocabulary; offerings covering 1–4 capabilities with summaries built from
their capabilities' words plus common filler, regions, platforms, prices in several currencies
and every relationship; needs that name one or two capabilities in customers' words, with
constraints in about a third of them. The same seed gives the same catalogue.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

SYLLABLES = [
    "ka", "lo", "mi", "ren", "sa", "to", "vel", "zu", "qui", "bra", "dor", "fen", "gal", "hin",
    "jor", "kel", "lum", "mor", "nex", "pol", "ras", "sil", "tam", "ul", "vor", "wen", "xan",
    "yel", "zor", "ar", "bel", "cor", "dan", "el", "fir", "gor",
]  # fmt: skip
FILLER = [
    "simple", "fast", "secure", "cloud", "team", "small", "business", "owners", "modern", "tool",
    "easy", "reports", "automatic", "mobile", "friendly", "support", "trusted", "flexible",
    "powerful", "dashboard", "workflow", "collaboration", "integrated", "affordable", "reliable",
]  # fmt: skip
REGIONS = ["global", "US", "GB", "DE", "FR", "ES", "IT", "NL", "CA", "AU", "JP", "BR", "IN", "EU"]
PLATFORMS = ["web", "ios", "android", "windows", "macos", "linux", "api", "docker"]
CURRENCIES = ["USD", "EUR", "GBP", "CAD"]
RELATIONSHIPS = ["own", "partner", "competitor", "competitor", "competitor", "other"]
COUNTRY_WORDS = {"US": "the US", "GB": "the UK", "DE": "Germany", "FR": "France", "CA": "Canada"}


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))


@dataclass(frozen=True)
class Synthetic:
    """A generated catalogue as documents (the catalogue file format), plus needs."""

    documents: dict[str, Any]
    needs: list[dict[str, Any]]


def generate(
    n_offerings: int, *, n_capabilities: int = 500, n_needs: int = 300, seed: int = 7
) -> Synthetic:
    """Documents for a catalogue of ``n_offerings`` and ``n_needs`` needs drawn from it."""
    rng = random.Random(seed)
    vocabulary = list(dict.fromkeys(_word(rng) for _ in range(6000)))
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]  # Zipf
    roots = max(5, n_capabilities // 20)
    capabilities: list[dict[str, Any]] = []
    words_of: dict[str, list[str]] = {}
    for index in range(n_capabilities):
        cap_id = f"cap-{index:04d}"
        words = rng.sample(vocabulary[200:], 3)  # distinctive, not the most common words
        cap: dict[str, Any] = {
            "id": cap_id,
            "label": f"{words[0]} {words[1]}",
            "synonyms": [f"{words[1]} {words[2]}", words[2], f"{words[0]} {rng.choice(FILLER)}"],
        }
        if index >= roots:
            root = f"cap-{rng.randrange(roots):04d}"
            cap["broader"] = [root]
            siblings = rng.sample(
                range(roots, max(roots + 1, index)), k=min(2, max(0, index - roots))
            )
            cap["related"] = [f"cap-{s:04d}" for s in siblings]
        capabilities.append(cap)
        words_of[cap_id] = words
    offerings = []
    for index in range(n_offerings):
        caps = rng.sample(range(n_capabilities), rng.choice([1, 1, 2, 2, 3, 4]))
        cap_ids = [f"cap-{c:04d}" for c in caps]
        own_words = [w for c in cap_ids for w in rng.sample(words_of[c], 2)]
        common = rng.choices(vocabulary, weights=weights, k=rng.randint(3, 8))
        summary = " ".join(
            rng.sample(
                own_words + common + rng.sample(FILLER, 3), k=len(own_words) + len(common) + 3
            )
        )
        model = rng.choice(["free", "subscription", "subscription", "usage", "one_time", "quote"])
        low = float(rng.choice([0, 5, 10, 15, 25, 40, 60, 99, 150]))
        price: dict[str, Any] = {
            "model": model,
            "currency": rng.choice(CURRENCIES),
            "free_tier": rng.random() < 0.2,
        }
        if model in ("subscription", "usage"):
            price.update(monthly_from=low, monthly_to=low * 3)
        elif model == "one_time":
            price.update(one_time=low * 12)
        offerings.append(
            {
                "id": f"off-{index:06d}",
                "name": f"{_word(rng).title()} {rng.choice(FILLER).title()}",
                "provider": _word(rng).title(),
                "relationship": rng.choice(RELATIONSHIPS),
                "summary": summary.capitalize() + ".",
                "capabilities": {c: rng.choice(["full", "full", "partial"]) for c in cap_ids},
                "price": price,
                "segments": rng.sample(
                    ["individual", "small", "mid", "enterprise"], rng.randint(1, 3)
                ),
                "regions": rng.sample(REGIONS, rng.randint(1, 3)),
                "platforms": rng.sample(PLATFORMS, rng.randint(1, 4)),
                "compliance": rng.sample(["gdpr", "soc2", "hipaa", "pci_dss"], rng.randint(0, 2)),
                "languages": ["en"],
                "url": f"https://off-{index}.example.com",
                "reviewed": f"2026-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d}",
                "sources": [f"https://off-{index}.example.com/pricing"],
                "referral": {"fee": rng.random() < 0.3, "disclosure": "Disclosed relationship."},
            }
        )
    needs = list(_needs(rng, capabilities, words_of, n_needs))
    documents = {
        "catalog.yaml": {
            "company": "Synthetic",
            "currency": "USD",
            "version": f"synthetic-{n_offerings}",
        },
        "capabilities.yaml": capabilities,
        "offerings/synthetic.yaml": offerings,
    }
    return Synthetic(documents, needs)


def _needs(
    rng: random.Random,
    capabilities: list[dict[str, Any]],
    words_of: dict[str, list[str]],
    count: int,
) -> Iterator[dict[str, Any]]:
    for index in range(count):
        caps = rng.sample(capabilities, rng.choice([1, 1, 2]))
        parts = []
        for cap in caps:
            phrase = rng.choice([cap["label"], *cap["synonyms"]])
            parts.append(f"I need {phrase}")
        text = " and ".join(parts) + " " + " ".join(rng.sample(FILLER, 2))
        roll = rng.random()
        if roll < 0.15:
            region = rng.choice(list(COUNTRY_WORDS))
            text += f", we're based in {COUNTRY_WORDS[region]}"
        elif roll < 0.25:
            text += f", under ${rng.choice([20, 50, 100])} a month"
        elif roll < 0.33:
            text += ", it must run on my iPhone"
        yield {"id": f"need-{index:04d}", "need": text}
