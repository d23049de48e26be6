"""The in-memory matching index, built once per catalogue and rules; read-only afterwards.

It holds everything a request needs so that per-request work grows with the words of the need
and the offerings those words reach, not with the size of the catalogue. A
:class:`MatchingIndex` is made of parts, each built by a function from the parts it reads, in
this order:

1. :class:`OfferingFacts` (:func:`build_offering_facts`): the offerings by position, which are
   active, who provides each capability, the constraint facts and markets recorded at all;
2. :class:`OfferingText` (:func:`build_offering_text`): stopwords and stems, and BM25 postings
   over offerings' own text (name, summary), as numpy arrays per term;
3. :class:`Lexicon` (:func:`build_lexicon`): constraint vocabularies, cue phrases, offering and
   provider names, places;
4. :class:`CapabilityIndex` (:func:`build_capabilities`): capability ids and positions, the
   broader/narrower/related graph, phrase tables (labels, synonyms, examples, rule triggers,
   translations) keyed by stem, and BM25 postings over *capability documents* — each
   capability's words plus the words of the offerings that provide it — so needs in a
   customer's own vocabulary still find capabilities;
5. :class:`CreditRows` (:func:`build_credit_rows`): what requesting each capability earns
   every offering, directly or through the graph.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import chain
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from referral_api.domain import (
    Capability,
    Catalog,
    ConstraintKind,
    Coverage,
    CoverageLevel,
    CoverageStatus,
    EdgeKind,
    Offering,
    Relationship,
    Rules,
    Weights,
)
from referral_api.domain.catalog import CapabilityGraph
from referral_api.domain.constraint_kinds import FACTS
from referral_api.domain.rules import CueKind
from referral_api.matching.language import is_function_word, zipf
from referral_api.matching.places import Gazetteer, gazetteer
from referral_api.matching.text import (
    Token,
    content_stems,
    fold,
    folded_words,
    phrase_folds,
    phrase_stems,
    stem,
    tokenize,
)
from referral_api.memory import bulk_build

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int32]

_Item = TypeVar("_Item", bound=np.generic)

BM25_K1 = 1.2
BM25_B = 0.75
LABEL_REPEAT = 3  # a capability's label says more about it than one offering's summary
SYNONYM_REPEAT = 2
TEXT_NEIGHBOURS = 15  # how many offerings most like a need's words vote on its capabilities
TRANSLATION_CONFIDENCE = 0.9  # a capability's phrase in another language, like a synonym
DISTINCT_NAME_ZIPF = 3.5  # a one-word offering name rarer than this is a name, not a word
FOREIGN_CUE_ZIPF = 4.0  # see Lexicon.cue_tables


@dataclass(frozen=True, slots=True)
class Phrase:
    """A phrase that names a capability, as stems of its content words."""

    stems: tuple[str, ...]
    capability: str
    source: str  # label | synonym | example | trigger | translation
    confidence: float
    text: str
    words: tuple[str, ...] = ()  # the text's folded words (to tell a word from its stem-mates)
    #: its words must be the need's (but for a plural): another capability's phrase has the
    #: same stems in other words ("multi-currency account" / "multi-currency accounting")
    exact: bool = False


CueTables = tuple[
    dict[CueKind, dict[str, list[tuple[str, ...]]]],
    dict[CueKind, dict[str, list[tuple[str, ...]]]],
]


def _cue_tables(cues: Mapping[CueKind, Sequence[str]]) -> CueTables:
    """Cue phrases (folded words) by kind, by their last and by their first word."""
    ending_by_kind: dict[CueKind, dict[str, list[tuple[str, ...]]]] = {}
    starting_by_kind: dict[CueKind, dict[str, list[tuple[str, ...]]]] = {}
    for cue_kind, phrases in cues.items():
        ending: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        starting: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        for words in sorted({phrase_folds(p) for p in phrases} - {()}, key=lambda w: -len(w)):
            ending[words[-1]].append(words)
            starting[words[0]].append(words)
        ending_by_kind[cue_kind] = dict(ending)
        starting_by_kind[cue_kind] = dict(starting)
    return ending_by_kind, starting_by_kind


@dataclass(frozen=True, slots=True)
class VocabularyEntry:
    """A phrase that names a constraint value, as folded words."""

    words: tuple[str, ...]
    kind: ConstraintKind
    value: str


class Postings:
    """BM25 term weights over a fixed set of documents, as arrays per term.

    Built from parallel arrays — one entry per word occurrence (``term_ids[i]`` occurs once
    more in ``doc_ids[i]``) — so that building scales with numpy, not Python.
    """

    def __init__(
        self,
        vocabulary: Sequence[str],
        term_ids: npt.NDArray[np.int64],
        doc_ids: npt.NDArray[np.int64],
        size: int,
        *,
        active: npt.NDArray[np.bool_] | None = None,
        best_count: int = 0,
    ) -> None:
        self.size = size
        # term frequencies as the lengths of runs of equal (term, document) keys: one plain
        # sort (np.unique with return_inverse argsorts instead: 1.3 s of a 4.5 s build at 100k)
        occurrences = np.sort(term_ids * max(size, 1) + doc_ids)
        runs = np.flatnonzero(np.diff(occurrences, prepend=-1))
        keys = occurrences[runs]
        tf = np.diff(runs, append=len(occurrences)).astype(np.float32)
        terms = keys // max(size, 1)
        docs = (keys % max(size, 1)).astype(np.int32)
        lengths = np.bincount(docs, weights=tf, minlength=size).astype(np.float32)
        average = float(lengths.mean()) if size and lengths.sum() else 1.0
        df = np.bincount(terms, minlength=len(vocabulary))
        idf = np.log(1 + (size - df + 0.5) / (df + 0.5)).astype(np.float32)
        norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths[docs] / average)
        weights = (idf[terms] * tf * (BM25_K1 + 1) / (tf + norm)).astype(np.float32)
        starts = np.concatenate([[0], np.cumsum(df)]).tolist()
        self.terms: dict[str, tuple[IntArray, FloatArray]] = {
            term: (docs[starts[i] : starts[i + 1]], weights[starts[i] : starts[i + 1]])
            for i, term in enumerate(vocabulary)
            if df[i]
        }
        # Per term, the ``best_count``-th best weight among active documents: at least that
        # many active documents score that much or more for any query holding the term, which
        # lets the best ``best_count`` be found among a few documents rather than all it reaches.
        self._floors: dict[str, float] = {}
        if best_count > 0:
            live = active[docs] if active is not None else np.ones(len(docs), dtype=bool)
            live_terms, live_weights = terms[live], weights[live]
            # by term, then weight, best first, in one integer sort: positive float32 weights
            # order as their bit patterns do (a two-key lexsort took 0.5 s at 100k offerings)
            bits = live_weights.view(np.uint32).astype(np.int64)
            keys = np.sort(live_terms.astype(np.int64) << 32 | (0xFFFFFFFF - bits))
            ordered = (0xFFFFFFFF - (keys & 0xFFFFFFFF)).astype(np.uint32).view(np.float32)
            live_df = np.bincount(live_terms, minlength=len(vocabulary))
            live_starts = np.concatenate([[0], np.cumsum(live_df)])
            enough = np.flatnonzero(live_df >= best_count)
            kth = ordered[live_starts[enough] + best_count - 1]
            self._floors = {
                vocabulary[i]: float(w) for i, w in zip(enough.tolist(), kth.tolist(), strict=True)
            }

    def idf_known(self, term: str) -> bool:
        return term in self.terms

    def ideal(self, terms: Iterable[str]) -> float:
        """The score of an average-length document holding each query term once."""
        total = 0.0
        for term in dict.fromkeys(terms):
            hit = self.terms.get(term)
            if hit is not None:
                df = len(hit[0])
                total += math.log(1 + (self.size - df + 0.5) / (df + 0.5))
        return total

    def floor(self, terms: Iterable[str]) -> float:
        """A score that at least ``best_count`` (as built) active documents reach for these
        query terms (0.0 when no term alone guarantees it): the best that many are all at or
        above it."""
        floors = self._floors
        return max((floors.get(t, 0.0) for t in terms), default=0.0)

    def sums(self, terms: Iterable[str], *, after: TextSums | None = None) -> TextSums:
        """BM25 sums (float64) of every document for the (unique, known) query terms.

        ``after``: sums already made for some of the terms, taken over (added to in place)
        when all its terms are among these; only the other terms' postings are then added.
        Its array then holds the new sums, so ``after`` must not be used again.
        """
        known = tuple(t for t in dict.fromkeys(terms) if t in self.terms)
        if after is not None and set(after.terms) <= set(known):
            summed, done = after.sums, set(after.terms)
            extra = tuple(t for t in known if t not in done)
            for term in extra:
                docs, weights = self.terms[term]
                summed[docs] += weights  # a term's documents are distinct
            return TextSums((*after.terms, *extra), summed)
        if not known:
            return TextSums((), np.zeros(self.size))
        docs = np.concatenate([self.terms[t][0] for t in known])
        weights = np.concatenate([self.terms[t][1] for t in known])
        fresh = np.bincount(docs, weights, minlength=self.size)
        return TextSums(known, fresh.astype(np.float64, copy=False))  # (float64 already)

    def scores(self, terms: Iterable[str]) -> FloatArray:
        """BM25 score of every document for the (unique) query terms."""
        return self.sums(terms).sums.astype(np.float32)


@dataclass(frozen=True, slots=True)
class TextSums:
    """The BM25 sums of every document for some query terms, in the order they were added
    (float64, as accumulated; the engine compares them as float32, as the weights are)."""

    terms: tuple[str, ...]
    sums: npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Neighbour:
    """A capability reachable from a requested one, and how it serves the request."""

    capability: str
    status: CoverageStatus  # via a narrower or a broader one, or related
    hops: int


_STATUS_CODES = (
    CoverageStatus.FULL,
    CoverageStatus.PARTIAL,
    CoverageStatus.VIA_NARROWER,
    CoverageStatus.VIA_BROADER,
    CoverageStatus.RELATED,
)
_CODE = {status: code for code, status in enumerate(_STATUS_CODES)}
RELATED_CODE = _CODE[CoverageStatus.RELATED]
#: the ways of covering a capability that serve a customer who asks for it
_SERVING = (CoverageStatus.FULL, CoverageStatus.PARTIAL, CoverageStatus.VIA_NARROWER)


@dataclass(frozen=True, slots=True)
class CreditRow:
    """What requesting one capability earns each offering that serves it, directly or not.

    Parallel arrays sorted by offering position: the credit, how it is earned (an index into
    the coverage statuses), through which capability (``-1`` when directly), and whether the
    offering *serves* the capability: provides it or a narrower kind of it. A broader one
    (general payroll for household payroll) or a related one earns credit but serves nothing.
    """

    capability: str
    positions: npt.NDArray[np.int64]
    credits: npt.NDArray[np.float64]
    statuses: npt.NDArray[np.int8]
    via: npt.NDArray[np.int64]
    serves: npt.NDArray[np.bool_]

    def coverage(self, position: int, capability_ids: Sequence[str]) -> Coverage | None:
        """The coverage the offering at ``position`` earns, if any."""
        at = int(self.positions.searchsorted(position))
        if at >= len(self.positions) or self.positions[at] != position:
            return None
        via = int(self.via[at])
        return Coverage(
            self.capability,
            _STATUS_CODES[int(self.statuses[at])],
            float(self.credits[at]),
            capability_ids[via] if via >= 0 else None,
        )


#: a word of at least this many letters may be one slip (an edit, or two letters swapped) away
#: from the phrase word it misspells
TRANSPOSED_MIN_LETTERS = 5

ProviderArrays = tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]


def _read_only(array: npt.NDArray[_Item]) -> npt.NDArray[_Item]:
    array.setflags(write=False)
    return array


# offerings' facts ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, eq=False)
class OfferingFacts:
    """What the catalogue states about its offerings, by position (their order in the catalogue).

    Built first: every other part refers to offerings by these positions.
    """

    offerings: tuple[Offering, ...]
    #: each offering's rank by id: ties are broken by id, never by where it sits in the files
    id_rank: npt.NDArray[np.int64]
    active: npt.NDArray[np.bool_]
    inactive_positions: npt.NDArray[np.intp]
    is_active: tuple[bool, ...]  # ``active``, for Python loops
    #: per capability, the offerings that provide it themselves and how fully
    providers: Mapping[str, tuple[tuple[int, CoverageLevel], ...]]
    active_providers: Mapping[str, int]
    own_positions: npt.NDArray[np.intp]
    #: which constraint facts any active offering records (for honest "unknown" verdicts)
    records: Mapping[str, bool]
    #: the two-letter markets active offerings serve, region groups spelled out
    markets: frozenset[str]
    #: how many active offerings of each relationship every answer considers
    considered: Mapping[Relationship, int]
    _provider_arrays: dict[str, ProviderArrays] = field(default_factory=dict, repr=False)
    _direct: dict[str, npt.NDArray[np.intp]] = field(default_factory=dict, repr=False)

    def provider_arrays(self, capability: str) -> ProviderArrays:
        """The positions of ``capability``'s direct providers and whether each is full (cached)."""
        found = self._provider_arrays.get(capability)
        if found is None:
            hits = self.providers.get(capability, ())
            positions = np.fromiter((p for p, _ in hits), dtype=np.int64, count=len(hits))
            full = np.fromiter(
                (lvl is CoverageLevel.FULL for _, lvl in hits), dtype=bool, count=len(hits)
            )
            found = self._provider_arrays[capability] = (positions, full)
        return found

    def direct_providers(self, capability: str) -> npt.NDArray[np.intp]:
        """Positions of offerings that provide ``capability`` themselves (fully or partly)."""
        found = self._direct.get(capability)
        if found is None:
            found = self._direct[capability] = self.provider_arrays(capability)[0].astype(np.intp)
        return found

    def best_first(
        self,
        values: npt.NDArray[np.float64] | FloatArray,
        positions: npt.NDArray[np.intp] | None = None,
        *,
        count: int | None = None,
    ) -> npt.NDArray[np.intp]:
        """Positions (all, or the given ones) by descending value, ties by offering id.

        With ``count``, only the best ``count`` (and any tied with the last of them), found
        without sorting everything.
        """
        if positions is None:
            positions = np.arange(len(values))
        chosen = values[positions]
        if count is not None and count < len(positions):
            cut = np.partition(chosen, len(chosen) - count)[len(chosen) - count]
            keep = chosen >= cut
            positions, chosen = positions[keep], chosen[keep]
        return positions[np.lexsort((self.id_rank[positions], -chosen))]


def build_offering_facts(catalog: Catalog, rules: Rules) -> OfferingFacts:
    """The offerings' facts; depends on nothing else in the index."""
    offerings = catalog.offerings
    id_rank = np.empty(len(offerings), dtype=np.int64)
    id_rank[sorted(range(len(offerings)), key=lambda i: offerings[i].id)] = np.arange(
        len(offerings)
    )
    is_active = tuple(o.active for o in offerings)
    active = np.array(is_active, dtype=bool)
    grouped: dict[str, list[tuple[int, CoverageLevel]]] = defaultdict(list)
    for index, offering in enumerate(offerings):
        for cap, level in offering.capabilities.items():
            grouped[cap].append((index, level))
    providers = {cap: tuple(hits) for cap, hits in grouped.items()}
    live = [o for o in offerings if o.active]
    groups = rules.region_groups
    considered = Counter(o.relationship for o in live)
    facts = OfferingFacts(
        offerings=offerings,
        id_rank=_read_only(id_rank),
        active=_read_only(active),
        inactive_positions=_read_only(np.flatnonzero(~active)),
        is_active=is_active,
        providers=providers,
        active_providers={
            cap: sum(1 for i, _ in hits if is_active[i]) for cap, hits in providers.items()
        },
        own_positions=_read_only(
            np.array(
                [i for i, o in enumerate(offerings) if o.relationship is Relationship.OWN],
                dtype=np.intp,
            )
        ),
        records={fact: any(read(o) for o in live) for fact, read in FACTS.items()},
        markets=frozenset(
            code
            for o in live
            for region in o.regions
            for code in (region, *groups.get(region, ()))
            if len(code) == 2
        ),
        considered={r: considered[r] for r in Relationship},
    )
    # every capability's providers as arrays and its direct providers, built now rather than
    # by the first request that names the capability
    for cap in catalog.capabilities:
        facts.direct_providers(cap)
    return facts


# offerings' text ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, eq=False)
class OfferingText:
    """How words are read (stopwords, stems) and BM25 postings over offerings' own text."""

    stopwords: frozenset[str]
    #: the stopwords phrase matching skips: only short function words ("of", "the", "app");
    #: longer stopwords such as "online" still tell "online payments" from "payments"
    function_words: frozenset[str]
    #: BM25 over each offering's name and summary, by offering position
    postings: Postings

    def content_stems(self, text: str) -> list[str]:
        return content_stems(text, self.stopwords)

    def knows(self, word_stem: str) -> bool:
        """Whether any offering's name or summary uses this stem."""
        return self.postings.idf_known(word_stem)


@dataclass(frozen=True, slots=True)
class OfferingWords:
    """The offerings' words as term ids, kept only while the index is built (capability
    documents are made of their providers' words, under the same term ids)."""

    term_ids: dict[str, int]  # stem → term id, extended by the capability documents
    terms: npt.NDArray[np.int64]  # the kept word occurrences, in offering order
    docs: npt.NDArray[np.int64]  # the offering position of each

    def term_id(self, word_stem: str) -> int:
        return self.term_ids.setdefault(word_stem, len(self.term_ids))


def build_offering_text(
    facts: OfferingFacts, stopwords: frozenset[str]
) -> tuple[OfferingText, OfferingWords]:
    """The offerings' text postings, after the facts (which offerings are active); also their
    words as term ids, for :func:`build_capabilities`."""
    term_ids: dict[str, int] = {}
    texts = [folded_words(f"{o.name}. {o.summary or ''}") for o in facts.offerings]
    # each distinct word is stemmed once; stopwords map to -1 and are dropped below
    word_ids = {
        word: -1 if word in stopwords else term_ids.setdefault(stem(word), len(term_ids))
        for word in sorted(set().union(*texts))  # sorted: term ids do not depend on order
    }
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    occurrences = chain.from_iterable(texts)
    ids = np.fromiter(map(word_ids.__getitem__, occurrences), dtype=np.int64, count=lengths.sum())
    docs = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    kept = ids >= 0
    words = OfferingWords(term_ids, ids[kept], docs[kept])
    postings = Postings(
        list(words.term_ids),
        words.terms,
        words.docs,
        len(facts.offerings),
        active=facts.active,
        best_count=TEXT_NEIGHBOURS,
    )
    function_words = frozenset(w for w in stopwords if len(w) <= 4)
    return OfferingText(stopwords, function_words, postings), words


# the words needs are read with --------------------------------------------------------------------
@dataclass(frozen=True, slots=True, eq=False)
class Lexicon:
    """What a need's constraints and context are read with: constraint vocabularies, cue
    phrases (per language, built on first use), offering and provider names, and places."""

    rules: Rules
    #: constraint vocabularies by first folded word, longest phrases first ("new zealand"
    #: before "new"); countries, states and cities by their names are the gazetteer's
    vocabulary_by_first: Mapping[str, list[VocabularyEntry]]
    #: offering and provider names by first word → (name lengths, longest first; name words →
    #: offering id): a need naming one says what the customer uses today, never what it asks for
    names_by_first: Mapping[str, tuple[tuple[int, ...], dict[tuple[str, ...], str]]]
    places: Gazetteer
    _cue_tables: dict[str, CueTables] = field(default_factory=dict, repr=False)

    def cue_tables(self, language: str) -> CueTables:
        """Cue phrases to read a need in ``language`` with (built on first use), by their last
        word (to look back from a mention) and their first (ahead); each language's own cues
        next to the English ones."""
        tables = self._cue_tables.get(language)
        if tables is None:
            own = self.rules.languages.get(language)
            merged = {
                kind: tuple(
                    phrase
                    for phrase in phrases
                    # an English cue that is an everyday word of this language means something
                    # else there ("no" in Portuguese is "in the"), unless the language lists it
                    if " " in phrase
                    or zipf(phrase, language) < FOREIGN_CUE_ZIPF
                    or (own is not None and phrase in own.cues.get(kind, ()))
                )
                for kind, phrases in self.rules.cues_for(language).items()
            }
            tables = self._cue_tables[language] = _cue_tables(merged)
        return tables


def build_lexicon(rules: Rules, facts: OfferingFacts) -> Lexicon:
    """The lexicon, from the rules and the offerings' names (after the facts)."""
    entries: list[VocabularyEntry] = []
    # people write "Italy" or "Italian", not "it"; codes are read separately. A price
    # model's name is an everyday word ("I need to quote jobs", "usage reports"): only the
    # ways of saying it that the rules list ("request a quote", "pay as you go") name it
    by_alias_only = (
        ConstraintKind.REGION,
        ConstraintKind.LANGUAGE,
        ConstraintKind.CURRENCY,
        ConstraintKind.PRICE_MODEL,
    )
    for kind, values in rules.vocabularies.items():
        for canonical, aliases in values.items():
            spellings = aliases if kind in by_alias_only else (canonical, *aliases)
            for alias in spellings:
                words = phrase_folds(alias) or (fold(alias),)
                entries.append(VocabularyEntry(words, kind, canonical))
    by_first: dict[str, list[VocabularyEntry]] = defaultdict(list)
    for entry in entries:
        by_first[entry.words[0]].append(entry)
    names: dict[str, list[tuple[tuple[str, ...], str]]] = defaultdict(list)
    distinct: dict[str, bool] = {}  # one word: rare enough to be a name (asked once each)
    for offering in facts.offerings:
        for name in {offering.name, offering.provider or ""}:
            words = tuple(folded_words(name))
            if len(words) == 1 and words[0] not in distinct:
                distinct[words[0]] = zipf(words[0], "en") < DISTINCT_NAME_ZIPF
            if words and (len(words) > 1 or distinct[words[0]]):
                names[words[0]].append((words, offering.id))
    # so that a need's word is looked up in a few dictionary probes however many names share it
    names_by_first: dict[str, tuple[tuple[int, ...], dict[tuple[str, ...], str]]] = {}
    for first, named in names.items():
        by_words: dict[tuple[str, ...], str] = {}
        for words, offering_id in sorted(named, key=lambda item: item[1]):
            by_words.setdefault(words, offering_id)
        lengths = tuple(sorted({len(w) for w in by_words}, reverse=True))
        names_by_first[first] = (lengths, by_words)
    return Lexicon(
        rules=rules,
        vocabulary_by_first={
            k: sorted(v, key=lambda e: -len(e.words)) for k, v in by_first.items()
        },
        names_by_first=names_by_first,
        places=gazetteer(),
        _cue_tables={"en": _cue_tables(rules.cues)},
    )


# capabilities -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, eq=False)
class CapabilityIndex:
    """The capabilities: ids and positions, the graph around each, the phrases that name them
    (English built now, other languages on first use) and their BM25 documents."""

    capabilities: Mapping[str, Capability]
    ids: tuple[str, ...]
    position: Mapping[str, int]
    #: each capability's rank by id (ties between capabilities are broken by id)
    id_rank: npt.NDArray[np.intp]
    #: every capability's broader capabilities, at any distance (read per need too)
    broader: Mapping[str, frozenset[str]]
    depth: Mapping[str, int]
    #: the capabilities within ``max_hops`` narrower or broader, then the related ones
    neighbours: Mapping[str, tuple[Neighbour, ...]]
    #: English phrases (every capability's, and the rules' triggers) by first stem
    phrases_by_first: dict[str, list[Phrase]]
    #: the phrase stems a misspelt word may be corrected to
    phrase_vocabulary: Sequence[str]
    fuzzy_min: float
    #: BM25 over one document per capability: its own words and its active providers'
    documents: Postings
    #: per offering position, its capabilities' positions and weights (1 full, 0.5 partial),
    #: for neighbour votes
    offering_capabilities: Sequence[tuple[tuple[int, float], ...]]
    #: services done for the customer (``service_capabilities`` and narrower), and for a
    #: capability, the services that do it for them (related to it, or narrower than it)
    services: frozenset[str] = frozenset()
    services_for: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: per language, its everyday words a phrase keeps: the one-word negations
    kept_words: Mapping[str, frozenset[str]] = field(default_factory=dict)
    _phrase_tables: dict[str, dict[str, list[Phrase]]] = field(default_factory=dict, repr=False)
    _translated_stems: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)
    _comparable_stems: dict[tuple[int, float], list[str]] = field(default_factory=dict, repr=False)

    def phrase_table(self, language: str) -> dict[str, list[Phrase]]:
        """Capability phrases in ``language`` by their first stem (English: every phrase;
        other languages: the capabilities' translations into it, built on first use)."""
        if language == "en":
            return self.phrases_by_first
        table = self._phrase_tables.get(language)
        if table is None:
            kept = self.kept_words.get(language, frozenset())
            translated = [
                _phrase_in(text, cap.id, language, kept)
                for cap in self.capabilities.values()
                for text in cap.translations.get(language, ())
            ]
            table = self._phrase_tables[language] = _by_first_stem(
                _disambiguate_phrases(translated, self.broader)
            )
        return table

    def translated_stems(self, language: str) -> frozenset[str]:
        """Every stem of the capabilities' phrases in ``language`` (built on first use)."""
        stems = self._translated_stems.get(language)
        if stems is None:
            stems = frozenset(
                s
                for phrases in self.phrase_table(language).values()
                for p in phrases
                for s in p.stems
            )
            self._translated_stems[language] = stems
        return stems

    def correct(self, word_stem: str) -> tuple[str, float] | None:
        """A known phrase stem close to an unknown one (a typo), with the similarity (0–1)."""
        from rapidfuzz import fuzz, process

        if len(word_stem) < 4 or not self.phrase_vocabulary:
            return None
        cutoff = self.fuzzy_min
        match = process.extractOne(
            word_stem,
            self._comparable(len(word_stem), cutoff),
            scorer=fuzz.ratio,
            score_cutoff=cutoff,
        )
        if match is not None:
            return str(match[0]), float(match[1]) / 100.0
        if len(word_stem) < TRANSPOSED_MIN_LETTERS:
            return None
        # one slip of a longer word, two letters swapped included ("invocies"), which the
        # ratio above counts twice
        from rapidfuzz.distance import OSA

        near = [
            s for s in self._comparable(len(word_stem), cutoff) if abs(len(s) - len(word_stem)) <= 1
        ]
        slip = process.extractOne(word_stem, near, scorer=OSA.distance, score_cutoff=1)
        if slip is None:
            return None
        return str(slip[0]), cutoff / 100.0

    def _comparable(self, length: int, cutoff: float) -> list[str]:
        """The phrase stems a word of ``length`` letters could match at ``cutoff``, in order.

        The ratio of strings of lengths a and b is at most 200·min(a, b)/(a + b) (an insertion
        or deletion per letter of difference), so stems too much shorter or longer can never
        reach the cutoff; leaving them out changes no match and skips most of the vocabulary.
        """
        key = (length, cutoff)
        found = self._comparable_stems.get(key)
        if found is None:
            found = [
                s
                for s in self.phrase_vocabulary
                if 200 * min(length, len(s)) / (length + len(s)) >= cutoff - 1e-9
            ]
            self._comparable_stems[key] = found
        return found


#: how a label names its place in a hierarchy: "Media Streaming - Video Streaming"
_LABEL_LEVELS = re.compile(r"\s+[-–—]\s+")


def _label_parts(label: str) -> list[str]:
    """What a hierarchical label ("Communication - XMPP - Web Clients") calls the capability
    itself: its last level ("Web Clients"), and the last two ("XMPP Web Clients")."""
    levels = _LABEL_LEVELS.split(label.strip())
    if len(levels) < 2:
        return []
    parts = [levels[-1]]
    if len(levels) > 2:
        parts.append(f"{levels[-2]} {levels[-1]}")
    return [p for p in parts if len(p.split()) >= 2]


def build_capabilities(
    catalog: Catalog,
    rules: Rules,
    text: OfferingText,
    words: OfferingWords,
    facts: OfferingFacts,
) -> CapabilityIndex:
    """The capability part, after the facts (providers) and the text (function words, and the
    offerings' words its documents are made of)."""
    graph = catalog.graph
    broader = {cap: frozenset(_broader_closure(graph, cap)) for cap in catalog.capabilities}
    phrases: list[Phrase] = []
    function_words = text.function_words
    for cap in catalog.capabilities.values():
        phrases.append(_phrase(cap.label, cap.id, "label", 0.95, function_words))
        phrases += [
            _phrase(part, cap.id, "label", 0.9, function_words) for part in _label_parts(cap.label)
        ]
        phrases += [
            _phrase(s, cap.id, "synonym", 0.9, function_words)
            for s in _with_verbs(cap.synonyms, rules.interchangeable_verbs)
        ]
        phrases += [
            _phrase(e, cap.id, "example", 0.8, function_words)
            for e in cap.examples
            if len(phrase_stems(e, text.stopwords)) <= 4
        ]
    for trigger in rules.capability_triggers:
        if trigger.capability in catalog.capabilities:
            phrases += [
                _phrase(p, trigger.capability, "trigger", trigger.confidence, function_words)
                for p in trigger.patterns
            ]
    ids = tuple(catalog.capabilities)
    position = {c: i for i, c in enumerate(ids)}
    services, services_for = _services(catalog, rules.service_capabilities, broader)
    return CapabilityIndex(
        capabilities=catalog.capabilities,
        ids=ids,
        position=position,
        id_rank=_read_only(np.argsort(np.argsort(np.array(ids, dtype=object)))),
        broader=broader,
        depth={cap: len(ancestors) for cap, ancestors in broader.items()},
        neighbours=_neighbourhoods(catalog, rules.thresholds.max_hops),
        phrases_by_first=_by_first_stem(_disambiguate_phrases(phrases, broader)),
        phrase_vocabulary=sorted({s for p in phrases for s in p.stems if len(s) >= 4}),
        fuzzy_min=rules.thresholds.fuzzy_min,
        documents=_capability_documents(catalog, text, words, facts, position),
        offering_capabilities=[
            tuple(
                (position[c], 1.0 if lvl is CoverageLevel.FULL else 0.5)
                for c, lvl in o.capabilities.items()
                if c in position
            )
            for o in facts.offerings
        ],
        services=services,
        services_for=services_for,
        kept_words={
            language: frozenset(
                cue.lower() for cue in own.cues.get(CueKind.NEGATION, ()) if " " not in cue
            )
            for language, own in rules.languages.items()
        },
    )


def _by_first_stem(phrases: Iterable[Phrase]) -> dict[str, list[Phrase]]:
    by_first: dict[str, list[Phrase]] = defaultdict(list)
    for phrase in phrases:
        if phrase.stems:
            by_first[phrase.stems[0]].append(phrase)
    return dict(by_first)


def _phrase_in(
    text: str, capability: str, language: str, kept: frozenset[str] = frozenset()
) -> Phrase:
    """A translated phrase, stemmed in its language without that language's function words
    (all words when every one is one) but for ``kept`` ones: a negation turns what the rest
    says around ("sin abrir empresa" is not "abrir empresa")."""
    tokens = tokenize(text, language)
    content = tuple(
        t.stem for t in tokens if t.folded in kept or not is_function_word(t.text.lower(), language)
    )
    stems = content or tuple(t.stem for t in tokens)
    words = tuple(t.folded for t in tokens)
    return Phrase(stems, capability, "translation", TRANSLATION_CONFIDENCE, text, words)


def _services(
    catalog: Catalog, roots: Iterable[str], broader: Mapping[str, frozenset[str]]
) -> tuple[frozenset[str], dict[str, tuple[str, ...]]]:
    """The service capabilities (the roots and all narrower), and for every other capability
    the most specific services that do it: those related to it ("bookkeeping-service" to
    bookkeeping) or narrower than it ("tax-preparation-service" under tax)."""
    root_set = {r for r in roots if r in catalog.capabilities}
    services = frozenset(c for c in catalog.capabilities if c in root_set or broader[c] & root_set)
    graph = catalog.graph
    found: dict[str, set[str]] = defaultdict(set)
    for service in services:
        for _, target, data in graph.out_edges(service, data=True):
            if target in services:
                continue
            if data["kind"] in (EdgeKind.RELATED, EdgeKind.BROADER):
                found[target].add(service)
        for source, _, data in graph.in_edges(service, data=True):
            if source not in services and data["kind"] is EdgeKind.RELATED:
                found[source].add(service)
    # the most specific: a service broader than another candidate gives way to it
    return services, {
        cap: tuple(sorted(c for c in candidates if not any(c in broader[o] for o in candidates)))
        for cap, candidates in found.items()
    }


def _with_verbs(phrases: Iterable[str], groups: Sequence[frozenset[str]]) -> list[str]:
    """The phrases, each also with every verb of its first word's group in its place ("accept
    bitcoin" is "take bitcoin" too); those already listed are not repeated."""
    out = list(dict.fromkeys(phrases))
    seen = {p.lower() for p in out}
    for text in list(out):
        first, _, rest = text.partition(" ")
        if not rest:
            continue
        for group in groups:
            if first.lower() not in group:
                continue
            for verb in sorted(group - {first.lower()}):
                variant = f"{verb} {rest}"
                if variant.lower() not in seen:
                    seen.add(variant.lower())
                    out.append(variant)
    return out


def _phrase(
    text: str, capability: str, source: str, confidence: float, function_words: frozenset[str]
) -> Phrase:
    stems = phrase_stems(text, function_words)
    return Phrase(stems, capability, source, confidence, text, phrase_folds(text))


def singular(words: Iterable[str]) -> tuple[str, ...]:
    """Words less a plural ending ("accounts" → "account", "companies" → "company";
    "accounting" and "business" stay)."""
    return tuple(
        w[:-3] + "y"
        if w.endswith("ies") and len(w) > 4
        else w[:-1]
        if w.endswith("s") and not w.endswith("ss") and len(w) > 3
        else w
        for w in words
    )


def _disambiguate_phrases(
    phrases: list[Phrase], broader: Mapping[str, frozenset[str]]
) -> list[Phrase]:
    """A phrase naming several capabilities names the most general of them, less surely.

    "payments" may be the label of ``payments`` and a synonym of ``online-payments``; it
    then requests ``payments`` (expansion credits every narrower kind). A phrase shared by
    unrelated capabilities ("pay") requests each with confidence divided by √k.
    """
    targets: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for phrase in phrases:
        targets[phrase.stems].add(phrase.capability)
    wordings: dict[tuple[str, ...], dict[str, set[tuple[str, ...]]]] = defaultdict(dict)
    for phrase in phrases:
        wordings[phrase.stems].setdefault(phrase.capability, set()).add(singular(phrase.words))
    # another capability's phrase that is these stems' words as they stand ("contabilidad")
    # outranks one whose other words carried its meaning ("tengo la contabilidad sin hacer")
    literal: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for phrase in phrases:
        if len(phrase.words) == len(phrase.stems):
            literal[phrase.stems].add(phrase.capability)
    kept: list[Phrase] = []
    for phrase in phrases:
        group = targets[phrase.stems]
        if len(phrase.words) > len(phrase.stems) and literal[phrase.stems] - {phrase.capability}:
            continue
        if len(group) == 1:
            kept.append(phrase)
            continue
        others = {
            words
            for capability, found in wordings[phrase.stems].items()
            if capability != phrase.capability
            for words in found
        }
        if singular(phrase.words) not in others:
            # told apart by its words: "account" is not "accounting"
            kept.append(replace(phrase, exact=True))
            continue
        if broader[phrase.capability] & group:
            continue
        general = [c for c in group if not (broader[c] & group)]
        confidence = phrase.confidence / math.sqrt(len(general))
        kept.append(replace(phrase, confidence=confidence))
    return kept


def _broader_closure(graph: CapabilityGraph, capability: str) -> set[str]:
    seen: set[str] = set()
    frontier = [capability]
    while frontier:
        node = frontier.pop()
        for _, target, data in graph.out_edges(node, data=True):
            if data["kind"] is EdgeKind.BROADER and target not in seen:
                seen.add(target)
                frontier.append(target)
    return seen


def _neighbourhoods(catalog: Catalog, max_hops: int) -> dict[str, tuple[Neighbour, ...]]:
    broader: dict[str, list[str]] = defaultdict(list)
    narrower: dict[str, list[str]] = defaultdict(list)
    related: dict[str, set[str]] = defaultdict(set)
    for u, v, data in catalog.graph.edges(data=True):
        if data["kind"] is EdgeKind.BROADER:
            broader[u].append(v)
            narrower[v].append(u)
        elif data["kind"] is EdgeKind.RELATED:
            related[u].add(v)
            related[v].add(u)
    neighbours: dict[str, tuple[Neighbour, ...]] = {}
    for cap in catalog.capabilities:
        found: dict[str, Neighbour] = {}
        for status, step in (
            (CoverageStatus.VIA_NARROWER, narrower),
            (CoverageStatus.VIA_BROADER, broader),
        ):
            frontier, hops = [cap], 0
            while frontier and hops < max_hops:
                hops += 1
                frontier = [n for c in frontier for n in step.get(c, ())]
                for n in frontier:
                    if n != cap and n not in found:
                        found[n] = Neighbour(n, status, hops)
        for n in sorted(related.get(cap, ())):
            if n != cap and n not in found:
                found[n] = Neighbour(n, CoverageStatus.RELATED, 1)
        neighbours[cap] = tuple(found.values())
    return neighbours


#: a word written as a name inside a sentence ("a plumbing firm in Leeds", "on Etsy")
_NAME_INSIDE = re.compile(r"(?<![.!?]\s)(?<=\s)[A-Z][a-z][\w'’-]*")
_WORD = re.compile(r"[\w'’&-]+")
#: an example's words this common ("run", "line", "shop") are no sign of its capability
EXAMPLE_WORD_MAX_ZIPF = 4.5


def _telling_words(example: str) -> str:
    """The words of an example customers' need that tell its capability: not the names inside
    it (a customer's town or the shop they sell on is theirs, and a place the catalogue
    "knows" would no longer be read as a place; acronyms such as "VAT" stay), nor everyday
    words (in a capability's document, "run" or "roll" would let any need that uses them
    be inferred as asking for it)."""
    words = _WORD.findall(_NAME_INSIDE.sub(" ", example))
    return " ".join(w for w in words if zipf(w.lower(), "en") < EXAMPLE_WORD_MAX_ZIPF)


def _capability_documents(
    catalog: Catalog,
    text: OfferingText,
    words: OfferingWords,
    facts: OfferingFacts,
    position: Mapping[str, int],
) -> Postings:
    """BM25 over one document per capability: its own words (label thrice, synonyms twice,
    examples, description) and the words of every active offering that provides it."""
    terms: list[int] = []
    docs: list[int] = []
    term_id, own_stems = words.term_id, text.content_stems
    for at, capability in enumerate(catalog.capabilities.values()):
        own = (
            own_stems(capability.label) * LABEL_REPEAT
            + [s for syn in capability.synonyms for s in own_stems(syn)] * SYNONYM_REPEAT
            + [s for example in capability.examples for s in own_stems(_telling_words(example))]
            + own_stems(capability.description or "")
        )
        terms.extend(term_id(word_stem) for word_stem in own)
        docs.extend([at] * len(own))
    # every (capability, active provider) pair contributes all of the provider's words
    is_active = facts.is_active
    members = [
        (position[cap], offering)
        for cap, hits in facts.providers.items()
        if cap in position
        for offering, _level in hits
        if is_active[offering]
    ]
    starts = np.searchsorted(words.docs, np.arange(len(facts.offerings) + 1))
    if members:
        caps, offerings = (np.array(x, dtype=np.int64) for x in zip(*members, strict=True))
        lengths = starts[offerings + 1] - starts[offerings]
        total = int(lengths.sum())
        ends = np.cumsum(lengths)
        picks = np.repeat(starts[offerings] - (ends - lengths), lengths) + np.arange(total)
        member_terms, member_docs = words.terms[picks], np.repeat(caps, lengths)
    else:
        member_terms = member_docs = np.zeros(0, dtype=np.int64)
    all_terms = np.concatenate([np.array(terms, dtype=np.int64), member_terms])
    all_docs = np.concatenate([np.array(docs, dtype=np.int64), member_docs])
    return Postings(list(words.term_ids), all_terms, all_docs, len(position))


# coverage credit ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, eq=False)
class CreditRows:
    """What requesting each capability earns every offering that serves it, directly or
    through a graph neighbour (every capability's row built now: at 100k offerings one costs
    about as much as a whole recommendation, all of them a fraction of a second)."""

    capabilities: CapabilityIndex
    facts: OfferingFacts
    weights: Weights
    _rows: dict[str, CreditRow] = field(default_factory=dict, repr=False)

    def row(self, capability: str) -> CreditRow:
        """The credit every offering earns when ``capability`` is requested (cached)."""
        found = self._rows.get(capability)
        if found is None:
            found = self._rows[capability] = self._build(capability)
        return found

    def _breadth(self, neighbours: Sequence[Neighbour]) -> npt.NDArray[np.float64] | None:
        """How much of a broad capability each offering covers through its narrower kinds,
        relative to the offering that covers most of them (0–1), or ``None`` when it has fewer
        than two narrower kinds.

        Each narrower kind within reach counts once (decayed by its distance, partly covered
        ones less), so "accounting software" is best served by an offering with bookkeeping,
        a ledger and invoicing, not by one with a client portal only.
        """
        narrower = [n for n in neighbours if n.status is CoverageStatus.VIA_NARROWER]
        if len(narrower) < 2:
            return None
        weights = self.weights
        partial_ratio = weights.partial / weights.full if weights.full else 0.0
        share = np.zeros(len(self.facts.offerings), dtype=np.float64)
        for neighbour in narrower:
            hits, hit_full = self.facts.provider_arrays(neighbour.capability)
            weight = weights.hop_decay ** (neighbour.hops - 1)
            share[hits] += weight * np.where(hit_full, 1.0, partial_ratio)
        best = float(share[self.facts.active].max(initial=0.0))
        return np.minimum(1.0, share / best) if best > 0 else None

    def _build(self, capability: str) -> CreditRow:
        """Direct providers earn full or partial credit; providers of a graph neighbour earn
        that neighbour's (decayed) credit — the best one per offering, the nearest neighbour
        on a tie — and a direct provider never earns less than its direct credit."""
        weights = self.weights
        partial_ratio = weights.partial / weights.full if weights.full else 0.0
        base = {
            CoverageStatus.VIA_NARROWER: weights.via_narrower,
            CoverageStatus.VIA_BROADER: weights.via_broader,
            CoverageStatus.RELATED: weights.related,
        }
        provider_arrays = self.facts.provider_arrays
        capability_position = self.capabilities.position
        positions, full = provider_arrays(capability)
        parts = [
            (
                positions,
                np.where(full, weights.full, weights.partial),
                np.where(full, _CODE[CoverageStatus.FULL], _CODE[CoverageStatus.PARTIAL]),
                np.full(len(positions), -1),
                np.zeros(len(positions)),
            )
        ]
        neighbours = self.capabilities.neighbours.get(capability, ())
        for nearness, neighbour in enumerate(neighbours, start=1):
            hits, hit_full = provider_arrays(neighbour.capability)
            credit = base[neighbour.status] * weights.hop_decay ** (neighbour.hops - 1)
            parts.append(
                (
                    hits,
                    np.where(hit_full, credit, credit * partial_ratio),
                    np.full(len(hits), _CODE[neighbour.status]),
                    np.full(len(hits), capability_position[neighbour.capability]),
                    np.full(len(hits), nearness),
                )
            )
        columns = [np.concatenate(column) for column in zip(*parts, strict=True)]
        all_positions, credits, statuses, via, order = columns
        breadth = self._breadth(neighbours)
        if breadth is not None and weights.breadth_floor < 1:
            # through narrower kinds, credit grows with how many of them the offering covers
            narrower = statuses == _CODE[CoverageStatus.VIA_NARROWER]
            floor = weights.breadth_floor
            credits[narrower] *= floor + (1 - floor) * breadth[all_positions[narrower]]
        direct = order == 0
        # per offering: direct first, then the highest credit, then the nearest neighbour
        ranked = np.lexsort((order, -credits, ~direct, all_positions))
        # the first of each offering's run (np.unique's return_index, without sorting again)
        in_order = all_positions[ranked]
        first = np.flatnonzero(np.diff(in_order, prepend=-1) != 0)
        chosen = ranked[first]
        # (an offering serves through a narrower capability even when a broader one of its
        # own earns it more credit)
        serving_codes = [_CODE[s] for s in _SERVING]
        serving = np.unique(all_positions[np.isin(statuses, serving_codes)])
        chosen_positions = all_positions[chosen].astype(np.int64)
        return CreditRow(
            capability,
            chosen_positions,
            credits[chosen].astype(np.float64),
            statuses[chosen].astype(np.int8),
            via[chosen].astype(np.int64),
            np.isin(chosen_positions, serving),
        )


def build_credit_rows(
    capabilities: CapabilityIndex, facts: OfferingFacts, weights: Weights
) -> CreditRows:
    """Every capability's credit row, after the capabilities (neighbours) and the facts
    (providers)."""
    rows = CreditRows(capabilities, facts, weights)
    for cap in capabilities.ids:
        rows.row(cap)
    return rows


# the index ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, eq=False)
class MatchingIndex:
    """Everything the engine needs about one catalogue and rules set, precomputed, in parts
    built in this order (each from those before it; see :meth:`build`):

    ``facts`` (offerings by position, providers, constraint facts, markets) → ``text`` (stems,
    stopwords, BM25 over offerings' text) → ``lexicon`` (constraint vocabularies, cues, names,
    places) → ``capabilities`` (graph, phrases, capability documents) → ``credits`` (what
    requesting each capability earns each offering).
    """

    catalog: Catalog
    rules: Rules
    facts: OfferingFacts
    text: OfferingText
    lexicon: Lexicon
    capabilities: CapabilityIndex
    credits: CreditRows

    @classmethod
    def build(cls, catalog: Catalog, rules: Rules) -> MatchingIndex:
        """Index ``catalog`` read with ``rules``."""
        with bulk_build():
            facts = build_offering_facts(catalog, rules)
            text, words = build_offering_text(facts, rules.stopwords)
            lexicon = build_lexicon(rules, facts)
            capabilities = build_capabilities(catalog, rules, text, words, facts)
            credits = build_credit_rows(capabilities, facts, rules.weights)
        return cls(catalog, rules, facts, text, lexicon, capabilities, credits)

    def knows(self, word_stem: str) -> bool:
        """Whether any offering or capability text uses this stem."""
        return self.text.knows(word_stem) or self.capabilities.documents.idf_known(word_stem)

    def offers_word(self, token: Token, english_stem: str, language: str) -> bool:
        """Whether the offerings' own names and summaries use a need's word (its English stem)
        or, in another language, a capability's phrases translated into it. Not the curated
        customer phrasings: a word only they use ("money leaking out", "lease a forklift")
        does not make a "leak" or a "forklift" something the catalogue offers."""
        if self.text.knows(english_stem):
            return True
        if language == "en":
            return False
        return token.stem in self.capabilities.translated_stems(language)
