"""Vocabulary suggestions: phrases customers use that the catalogue does not know yet.

Needs the engine did not understand (or read only weakly) are mined for the phrases that recur
across them, and each phrase is proposed as a synonym of the capability those needs point to,
in the language they were read in, with the evidence a curator decides on:

- **Which needs.** A record whose central ask was not understood, which has parts nothing
  explains (``not_understood``), or whose best central capability was read with a confidence
  below :data:`LOW_CONFIDENCE`.
- **Candidate phrases.** The content n-grams (1–3 words) of what was not understood (a
  weakly read need with nothing flagged offers no phrase: its words were all read). The words
  are tokenised and stemmed in the need's language by the engine's own text functions, and
  runs of content words are cut at stopwords: the rules' stopwords, the cue words of that
  language and of English, and function words by wordfreq; a phrase may hold stopwords
  between its words ("cartas de cobro") but is compared by its content words. A lone word
  that is common in its language ("site", "shop") is never proposed: the engine would not
  read it alone either. Phrases the catalogue already knows are left out.
- **Which capability.** Per need, what the advocate's recorded outcome points to (the chosen
  offering's capability that the need most likely meant: one of its "did you mean", or one
  read in the need, or the offering's only full capability), weight 1; otherwise the engine's
  nearest guess ("did you mean", or the capability read with low confidence), weight ½.
- **Ranking.** ``support`` is how many needs hold the phrase; ``strength`` is the share of the
  (weighted) evidence of those needs that points to the proposed capability, at least
  :data:`MIN_STRENGTH` (a phrase spread over many capabilities names none of them; needs that
  point nowhere count in ``support`` only). Suggestions are ranked by ``support × strength``,
  then by how many outcomes back them. A phrase whose needs are the same as those of a longer
  phrase containing it is folded into the longer one.

The id of a suggestion is a digest of its language and stems, so it is stable while records
come and go: a decision (accepted, rejected) stays attached to it.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from referral_api.domain import (
    REDACTED_KINDS,
    Catalog,
    RecommendationRecord,
    Rules,
    redaction_placeholder,
)
from referral_api.domain.catalog import CoverageLevel
from referral_api.matching.language import is_function_word, zipf
from referral_api.matching.text import tokenize

#: a need whose best central capability was read below this confidence is weakly understood
#: (the engine claims capabilities from 0.55, ``thresholds.min_confidence``)
LOW_CONFIDENCE = 0.6
#: a phrase must recur in at least this many needs to be proposed
MIN_SUPPORT = 2
MAX_WORDS = 3
#: stopwords that may stand between two words of a phrase
MAX_GAP = 2
#: the proposed capability must hold at least this (weighted) share of the phrase's needs
MIN_STRENGTH = 0.5
#: a lone word at least this common in its language (wordfreq Zipf) says too little alone
COMMON_WORD_ZIPF = 4.5
OUTCOME_WEIGHT = 1.0
GUESS_WEIGHT = 0.5
EXAMPLES = 3
EXAMPLE_CHARS = 200
_PLACEHOLDER = re.compile("|".join(re.escape(redaction_placeholder(k)) for k in REDACTED_KINDS))


@dataclass(frozen=True, slots=True)
class EvidenceNeed:
    """A recorded need, with the offering its outcome names (if any)."""

    record: RecommendationRecord
    chosen_offering: str | None = None


@dataclass(frozen=True, slots=True)
class CapabilityVotes:
    """How many of a phrase's needs point to one capability, and how many of them by outcome."""

    capability: str
    needs: int
    from_outcomes: int


@dataclass(frozen=True, slots=True)
class VocabularySuggestion:
    """A phrase to add as a synonym of ``capability`` in ``language``, with its evidence."""

    id: str
    language: str
    phrase: str
    capability: str
    support: int
    strength: float
    from_outcomes: int
    examples: tuple[str, ...]
    votes: tuple[CapabilityVotes, ...] = field(default=())

    @property
    def score(self) -> float:
        return self.support * self.strength


def suggestion_id(language: str, stems: Sequence[str]) -> str:
    """The stable id of a phrase in a language (its stems, so inflections share one id)."""
    digest = hashlib.sha256(f"{language}:{' '.join(stems)}".encode()).hexdigest()
    return f"sug_{digest[:16]}"


def phrase_key(phrase: str, language: str, rules: Rules) -> tuple[str, ...]:
    """The stems of a phrase's words but stopwords (the rules' and function words), as the
    engine stems them in ``language``: what phrases are compared by ("cartas de cobro" and
    "carta cobro" are one phrase)."""
    return tuple(
        token.stem
        for token in tokenize(phrase, language)
        if not _is_stopword(token.folded, language, rules.stopwords)
    )


def is_weakly_understood(record: RecommendationRecord) -> bool:
    """Whether a need is evidence for new vocabulary (see the module docstring)."""
    if not record.ask_understood or record.not_understood:
        return True
    central = [read.confidence for read in record.capabilities if read.central]
    return not central or max(central) < LOW_CONFIDENCE


def outcome_capability(
    record: RecommendationRecord, offering_id: str, catalog: Catalog
) -> str | None:
    """The capability of the chosen offering that the need most likely meant, if one can tell:
    one the engine offered as "did you mean", then one it read in the need (most confident
    first), then the offering's only full capability."""
    offering = catalog.offering(offering_id)
    if offering is None:
        return None
    covered = offering.capabilities
    for nearest in record.did_you_mean:
        if nearest in covered:
            return nearest
    for read in sorted(record.capabilities, key=lambda r: (not r.central, -r.confidence)):
        if read.id in covered:
            return read.id
    full = [cap for cap, level in covered.items() if level is CoverageLevel.FULL]
    return full[0] if len(full) == 1 else None


def _pointer(need: EvidenceNeed, catalog: Catalog) -> tuple[str, float, bool] | None:
    """(capability, weight, from an outcome) that one need points to."""
    record = need.record
    if need.chosen_offering is not None:
        capability = outcome_capability(record, need.chosen_offering, catalog)
        if capability is not None:
            return capability, OUTCOME_WEIGHT, True
    if record.did_you_mean:
        return record.did_you_mean[0], GUESS_WEIGHT, False
    read = [r for r in record.capabilities if r.central]
    if read:
        best = max(read, key=lambda r: r.confidence)
        return best.id, GUESS_WEIGHT, False
    return None


def stopwords_for(rules: Rules, language: str) -> frozenset[str]:
    """The words that cut phrases in ``language``: the rules' stopwords and the single words
    of the cue phrases of that language and of English ("we need", "necesitamos", "with")."""
    words = set(rules.stopwords)
    for cues in (rules.cues, rules.cues_for(language)):
        for phrases in cues.values():
            for phrase in phrases:
                words.update(token.folded for token in tokenize(phrase, language))
    return frozenset(words)


def _is_stopword(word: str, language: str, stopwords: frozenset[str]) -> bool:
    if len(word) < 2 or not any(ch.isalpha() for ch in word) or word in stopwords:
        return True
    return is_function_word(word, language) or is_function_word(word, "en")


def candidate_ngrams(
    text: str, language: str, rules: Rules, stopwords: frozenset[str]
) -> dict[tuple[str, ...], str]:
    """The content n-grams of ``text``: the stems of 1–3 content words in a row → the words as
    written, from the first to the last (lower case). Up to :data:`MAX_GAP` stopwords may stand
    between two of them ("cartas de cobro", "pay by the hour"); an n-gram never starts or
    ends with one. ``stopwords``: :func:`stopwords_for` the language; the n-gram's key is its
    :func:`phrase_key`."""
    found: dict[tuple[str, ...], str] = {}
    text = _PLACEHOLDER.sub(" ", text)
    tokens = tokenize(text, language)
    content = [t for t in tokens if not _is_stopword(t.folded, language, stopwords)]
    for start, first in enumerate(content):
        if zipf(first.folded, language) < COMMON_WORD_ZIPF:
            found.setdefault((first.stem,), first.text.lower())
        for end in range(start + 1, min(start + MAX_WORDS, len(content))):
            if content[end].index - content[end - 1].index > MAX_GAP + 1:
                break
            spelled = " ".join(text[first.start : content[end].end].lower().split())
            found.setdefault(phrase_key(spelled, language, rules), spelled)
    found.pop((), None)
    return found


def known_phrases(
    catalog: Catalog, rules: Rules, language: str
) -> dict[tuple[str, ...], tuple[str, str]]:
    """Stems of every phrase the catalogue already knows in ``language`` → (capability, field):
    labels and synonyms (read in every language) and that language's translations."""
    known: dict[tuple[str, ...], tuple[str, str]] = {}
    for capability in catalog.capabilities.values():
        phrases = [("label", capability.label), *(("synonyms", s) for s in capability.synonyms)]
        phrases += [
            (f"translations.{language}", t) for t in capability.translations.get(language, ())
        ]
        for where, phrase in phrases:
            for reading in dict.fromkeys((language, "en")):
                key = phrase_key(phrase, reading, rules)
                known.setdefault(key, (capability.id, where))
    known.pop((), None)
    return known


def collision(
    catalog: Catalog, rules: Rules, *, phrase: str, language: str, capability: str
) -> tuple[str, str] | None:
    """(other capability, its field) when ``phrase`` already names another capability."""
    key = phrase_key(phrase, language, rules)
    owner = known_phrases(catalog, rules, language).get(key)
    return owner if owner is not None and owner[0] != capability else None


def suggest_vocabulary(
    needs: Iterable[EvidenceNeed],
    catalog: Catalog,
    rules: Rules,
    *,
    min_support: int = MIN_SUPPORT,
    hidden: frozenset[str] = frozenset(),
    limit: int = 50,
    only: str | None = None,
) -> list[VocabularySuggestion]:
    """The vocabulary suggestions of ``needs`` (newest first; module docstring), best first.

    ``hidden``: ids already decided (accepted or rejected), left out. ``only``: the one
    suggestion of that id, whatever its strength and even if the catalogue knows its phrase
    by now (a curator's decision on it is then judged against the catalogue).
    """
    # per language: n-gram stems → the indices of the needs holding it
    holders: dict[str, dict[tuple[str, ...], set[int]]] = defaultdict(lambda: defaultdict(set))
    spellings: dict[tuple[str, tuple[str, ...]], Counter[str]] = defaultdict(Counter)
    pointers: list[tuple[str, float, bool] | None] = []
    texts: list[str] = []
    stopwords: dict[str, frozenset[str]] = {}
    for index, need in enumerate(n for n in needs if is_weakly_understood(n.record)):
        record = need.record
        pointers.append(_pointer(need, catalog))
        texts.append(record.need_text)
        if record.language not in stopwords:
            stopwords[record.language] = stopwords_for(rules, record.language)
        for source in record.not_understood:
            cut = stopwords[record.language]
            found = candidate_ngrams(source, record.language, rules, cut)
            for stems, spelled in found.items():
                holders[record.language][stems].add(index)
                spellings[record.language, stems][spelled] += 1
    suggestions: list[VocabularySuggestion] = []
    for language, grams in holders.items():
        known = known_phrases(catalog, rules, language)
        frequent = {
            stems: frozenset(ids) for stems, ids in grams.items() if len(ids) >= min_support
        }
        # phrases grouped by the needs holding them: only a phrase of the same group can
        # fold another into it (this keeps the check linear in the phrases)
        same_needs: dict[frozenset[int], list[tuple[str, ...]]] = defaultdict(list)
        for stems, ids in frequent.items():
            same_needs[ids].append(stems)
        for stems, ids in frequent.items():
            if only is not None:
                if suggestion_id(language, stems) != only:
                    continue
            elif stems in known or _folded_into_longer(stems, same_needs[ids]):
                continue
            made = _suggestion(language, stems, ids, pointers, texts, spellings[language, stems])
            if made is None or made.capability not in catalog.capabilities:
                continue
            if only is not None:
                return [made]
            if made.id not in hidden and made.strength >= MIN_STRENGTH:
                suggestions.append(made)
    suggestions.sort(key=lambda s: (-s.score, -s.from_outcomes, -s.support, s.language, s.phrase))
    return suggestions[:limit]


def _folded_into_longer(stems: tuple[str, ...], same_needs: Sequence[tuple[str, ...]]) -> bool:
    """Whether a longer phrase containing ``stems`` is among ``same_needs`` (the phrases held
    by exactly the same needs)."""
    size = len(stems)
    return any(
        len(other) > size
        and any(other[i : i + size] == stems for i in range(len(other) - size + 1))
        for other in same_needs
    )


def _suggestion(
    language: str,
    stems: tuple[str, ...],
    ids: frozenset[int],
    pointers: Sequence[tuple[str, float, bool] | None],
    texts: Sequence[str],
    spelled: Counter[str],
) -> VocabularySuggestion | None:
    weights: dict[str, float] = defaultdict(float)
    counts: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    for index in ids:
        pointer = pointers[index]
        if pointer is None:
            continue
        capability, weight, by_outcome = pointer
        weights[capability] += weight
        counts[capability] += 1
        outcomes[capability] += by_outcome
    if not weights:
        return None  # nothing says which capability these needs meant
    best = max(weights, key=lambda cap: (weights[cap], outcomes[cap], cap))
    # needs come newest first, so the lowest indices are the newest examples
    examples = tuple(texts[i][:EXAMPLE_CHARS] for i in sorted(ids)[:EXAMPLES])
    votes = tuple(
        CapabilityVotes(cap, counts[cap], outcomes[cap])
        for cap in sorted(weights, key=lambda cap: (-weights[cap], cap))
    )
    phrase = min(spelled, key=lambda form: (-spelled[form], form))
    return VocabularySuggestion(
        id=suggestion_id(language, stems),
        language=language,
        phrase=phrase,
        capability=best,
        support=len(ids),
        strength=round(weights[best] / sum(weights.values()), 3),
        from_outcomes=outcomes[best],
        examples=examples,
        votes=votes,
    )
