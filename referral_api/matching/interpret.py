"""Interpret a need the way an advisor reads it: what is asked, what the customer states about
themselves, and what was not understood.

Reading order matters. The language is detected and the words stemmed in it; the ask ("we
need…", "looking for…") is told from the context; offering names are set aside (what the
customer uses today). Then constraints are read and their words set aside: amounts (a budget,
or other money), team sizes, places (the customer's own, not other parties'), platforms,
standards, price models — each a must-have when stated as a fact about the customer, unless
hedged, and negated by a negation reaching across its clause. Capabilities are read from what
remains, on evidence: a phrase that names one (weighed by how specific its words are and
whether it sits in the ask), or, where no phrase does, several specific words of the
catalogue's vocabulary. What the ask holds that nothing explains is not understood; when the
ask as a whole was not, no fit will be claimed.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise

import numpy as np
import numpy.typing as npt
import pycountry

from referral_api.domain import (
    REDACTED_KINDS,
    ConstraintKind,
    Constraints,
    Interpretation,
    Need,
    PriceModel,
    RequestedCapability,
    Span,
    StatedConstraint,
)
from referral_api.domain.constraint_kinds import CONSTRAINT_KINDS
from referral_api.domain.rules import CueKind
from referral_api.errors import InputError
from referral_api.matching.constraints import language_name
from referral_api.matching.index import (
    TEXT_NEIGHBOURS,
    CueTables,
    MatchingIndex,
    Phrase,
    TextSums,
    VocabularyEntry,
    singular,
)
from referral_api.matching.language import detect_language, is_function_word, zipf
from referral_api.matching.places import (
    BARE_CITY_POPULATION,
    WORLD_CITY_POPULATION,
    Mention,
    Place,
    PlaceKind,
    best_candidate,
    country_currencies,
    country_languages,
    language_countries,
    resolve,
)
from referral_api.matching.text import Token, fold, folded_words, phrase_folds, stem, tokenize

_BOUNDARY = re.compile(r"[.;:!?,()\[\]\n]|\s[-–—]\s|\bbut\b|\bhowever\b|\bwhereas\b", re.IGNORECASE)
_NUMBER = (
    r"(?P<amount>\d{1,3}(?:[,.\s\u00a0\u202f']\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?|\d+)"
    r"\s?(?P<k>[kKmM](?![^\W\d_]))?"
)
_TEAM = re.compile(
    r"(?:team|staff|crew|company|office|business|firm)\s+of\s+(?P<a>\d{1,6})"
    r"|(?P<b>\d{1,6})\s*(?:-|\s)?\s*(?:person|people|employees?|staff|members?|workers?|"
    r"users?|seats?|strong|folks|heads?|engineers?|colleagues|agents|"
    # the people a small business employs, by trade ("15 consultants who travel a lot")
    r"ppl|guys|consultants|drivers|nurses|cleaners|chefs|cooks|waiters|waitresses|"
    r"stylists|carers|caregivers|technicians|techs|mechanics|electricians|plumbers|"
    r"developers|devs|designers|teachers|educators|therapists|instructors|coaches|"
    r"baristas|bartenders|cashiers|couriers|labourers|laborers|installers|"
    # the same in the other supported languages
    r"empleados?|trabajadores?|personas|employés|salariés|personnes|mitarbeiter(?:innen|nde)?|"
    r"angestellte|leute|funcionários|empregados|pessoas|dipendenti|persone|medewerkers|"
    r"werknemers|mensen)\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[.!?\n]")
#: the largest amount read as such; larger ones (any number of digits) are read as this
MAX_AMOUNT = 1e9
_GENERIC_DOLLARS = {"$", "dollar", "dollars", "bucks"}
_DEMONYM = re.compile(r"(an|ish|sh|ese|ch|ss|ie|i)$")
_LIST_MARK = re.compile(r"[,;/+&]")
#: "and", "or", "plus", "also" in the supported languages: what follows is another item
_CONJUNCTIONS = frozenset(
    {"and", "or", "plus", "also", "y", "o", "e", "ou", "et", "und", "oder", "en", "ed"}
)
_NEAR = 3  # tokens between a cue and what it qualifies
NEGATION_SCOPE = 6  # a negation reaches this far within its clause
#: another party's word this near before a place makes it theirs ("our supplier in Vietnam");
#: further away it is the customer's own context ("family construction company in the US")
OTHER_PARTY_REACH = 3
#: a capability read only outside what the customer asks for (in the context they describe:
#: "for our accounting firm", "we already bought…") counts this much less
CONTEXT_CONFIDENCE = 0.6
#: a one-word phrase as common as this (wordfreq Zipf) or more is a generic word: alone it
#: requests nothing ("bank", "report", "paid"); see :meth:`NeedInterpreter._specificity`
GENERIC_ZIPF = 4.4
#: … in the other languages, whose word lists are smaller ("gratuito", "sencillo", "günstig")
FOREIGN_GENERIC_ZIPF = 4.0
VERY_GENERIC_ZIPF = 5.4
#: the need's words that count in its text similarity with the offerings' descriptions are
#: rarer than this: "I'd like to look ahead three months" found a CFO firm's "three-statement
#: models" before a cash-flow forecaster
SIMILARITY_MAX_ZIPF = 5.7
#: another word of the need supports a capability when that capability is among the ones the
#: word is most typical of (its BM25 weight there at least this share of its best)
SUPPORT_SHARE = 0.5
SUPPORT_MAX_ZIPF = 5.0
#: vocabulary inference needs at least this many distinct specific words the catalogue knows
INFERENCE_MIN_WORDS = 1
#: …and in a customer's own words, where a stray word is likelier, this many
CUSTOMER_MIN_WORDS = 1
#: …and beside a capability a phrase named, this many, or one rarer than this ("receipts" is a
#: second ask beside "expense reports", "offering" is none beside "merchant cash advance")
EXPLICIT_MIN_WORDS = 2
EXPLICIT_WORD_ZIPF = 4.0
#: an inferred capability (no phrase named any) needs this share of ``min_confidence``; more
#: in a customer's own words than in a product's description
INFERRED_FLOOR = 0.5
CUSTOMER_INFERRED_FLOOR = 1.0
#: … and most of its specific words must be known to the catalogue at all
UNKNOWN_SHARE = 0.5
DESCRIPTION_UNKNOWN_SHARE = 0.67
SPECIFIC_ZIPF = 4.5
DESCRIPTION_ZIPF = 5.5
#: a customer who names nothing the catalogue calls by name but whose words, taken together,
#: match one capability's document this strongly (BM25) and clearly more than any other's is
#: asking for it ("hand us most of that money now and collect it from them later"). Calibrated
#: on the labelled development needs (tests/data/customer_needs.jsonl, the shared dev set):
#: no out-of-domain need there reaches it, most understood-by-nobody needs above it are right.
STRONG_DOCUMENT_SCORE = 12.0
STRONG_DOCUMENT_MARGIN = 1.2
#: … and one whose unexplained words, the context with the ask (at least this many different
#: ones), match one capability's document this strongly and by this margin describes it at length
DESCRIBED_MIN_WORDS = 8
DESCRIBED_SCORE = 14.0
DESCRIBED_MARGIN = 1.0
#: … and beside a capability a phrase named, this strongly, and this many times more than the
#: words match what was named
DESCRIBED_BESIDE_SCORE = 16.0
DESCRIBED_OVER_NAMED = 2.0
SUGGESTIONS = 3
#: a central capability read with less than this share of the best one's confidence is a
#: side word of the ask: it counts in the score, but a fit need not serve it
PRIMARY_SHARE = 0.85
#: at most this many words between a thing asked for and a feature of it ("with a separate")
FEATURE_GAP = 4
#: a word at least this common in the need's language is a real word there: never a typo
REAL_WORD_ZIPF = 2.5
#: a state's code in lower case ("in tx") is read after a place cue unless it is an everyday
#: word ("in me", "in or", "in co")
ABBREVIATION_ZIPF = 5.0
#: words at least this common name nothing in particular as the thing asked for ("a company
#: that…", "someone", "a new website")
OBJECT_ZIPF = 5.0  # (and the verb of "to get", "to buy")
#: …and in another language, where the catalogue's English cannot tell known words, only
#: rarer ones are taken for a thing ("een dakdekker", not "un programa sencillo")
FOREIGN_OBJECT_ZIPF = 4.0
#: in a need written all in lower case, a word rarer than this may be a name ("ontario",
#: "chicago"); a commoner one is an everyday word ("march", "nice", "reading")
LOWER_CASE_NAME_ZIPF = 5.1
#: how far a ``refusal`` cue ("nothing Android") reaches: only the very next word
REFUSAL_REACH = 1
#: how many words before a capability's words a ``received`` cue holding them may start
RECEIVED_REACH = 4
#: at most this many words ("small", "two-partner") between "we're a" and what they are
IDENTITY_GAP = 2
#: a word of no English this long or longer may be another language's term ("pix" is too
#: short to tell from a typo; "boleto", "Kassensystem" are not)
LOANWORD_MIN_LETTERS = 4
#: a word at least this common in the need's language (and more than in English) is that
#: language's own, not an English term written in it
FOREIGN_WORD_ZIPF = 3.0
NEIGHBOURS_VOTING = TEXT_NEIGHBOURS  # (the index keeps floors for this many)
HEDGED_CAPABILITY = 0.6


@dataclass(slots=True)
class _Found:
    """A constraint read in the text, before it is merged into Constraints."""

    name: str
    value: str
    matched: str
    span: Span
    negated: bool = False
    hard: bool = True
    rank: tuple[int, ...] = ()  # among several of one kind, the lowest is the one meant
    generic: bool = False  # a currency written as "$" or "dollars": the customer's own dollar


@dataclass(frozen=True, slots=True)
class _Cue:
    text: str
    start: int
    end: int


@dataclass(slots=True)
class _Reading:
    tokens: list[Token]
    text: str
    folded: list[str] = field(default_factory=list)
    clause: list[int] = field(default_factory=list)  # clause number of each token
    used: set[int] = field(default_factory=set)
    capability_words: set[int] = field(default_factory=set)
    found: list[_Found] = field(default_factory=list)
    negated_capabilities: list[StatedConstraint] = field(default_factory=list)
    text_sums: TextSums | None = None  # BM25 sums of the words inferring capabilities read
    places: list[Mention] = field(default_factory=list)
    language: str = "en"
    cues: CueTables | None = None
    english: list[str] = field(default_factory=list)  # each token's English stem
    #: each token's English stem as written, before a misspelling was corrected (phrases are
    #: matched on these, at the confidence a correction is worth)
    written: list[str] = field(default_factory=list)
    sentence: list[int] = field(default_factory=list)  # sentence number of each token
    ask: set[int] = field(default_factory=set)  # tokens within what the customer asks for
    has_ask: bool = False
    speaks_of_self: bool = False  # the customer speaks of themselves ("we", "my"), not of a product
    mentioned: list[str] = field(default_factory=list)  # offerings named (used today)
    weak: list[RequestedCapability] = field(default_factory=list)  # too little evidence
    lower_case: bool = False  # written all in lower case: capitals tell no names
    means: set[str] = field(default_factory=set)  # capabilities named as a means they have
    #: misspelt stems → the phrase stem each is closest to, and how close (looked up once)
    corrections: dict[str, tuple[str, float] | None] = field(default_factory=dict)
    #: other parties' places: (country, first token, end token)
    elsewhere: list[tuple[str, int, int]] = field(default_factory=list)
    #: word spans of names written in several words ("livres sterling"): a capability phrase
    #: takes all of one or none of it
    names: list[tuple[int, int]] = field(default_factory=list)

    def central(self, index: int) -> bool:
        """Whether token ``index`` is part of what the customer asks for."""
        return not self.has_ask or index in self.ask


class NeedInterpreter:
    """Reads needs against one :class:`MatchingIndex`; safe to share between threads (all
    per-need state lives in a :class:`_Reading`)."""

    def __init__(self, index: MatchingIndex) -> None:
        self.index = index
        self.rules = index.rules
        self.stopwords = index.text.stopwords
        self.places = index.lexicon.places
        # each capability's verbs: the first word of its label or a synonym, or a word after
        # "to" ("budget for next year", "invoice my clients"; "cash book" makes no verb of "book")
        self.own_verbs = {
            cap.id: frozenset(
                word
                for phrase in (cap.label, *cap.synonyms)
                for word in _verbs_of(phrase_folds(phrase))
            )
            for cap in index.catalog.capabilities.values()
        }
        self.common_words = self.stopwords | {
            word
            for phrases in self.rules.cues.values()
            for phrase in phrases
            for word in phrase.split()
        }
        currencies = self.rules.vocabularies.get(ConstraintKind.CURRENCY, {})
        self.currency_words = {
            alias.lower(): code
            for code, aliases in currencies.items()
            for alias in (code, *aliases)
        }
        words = sorted(self.currency_words, key=len, reverse=True)
        alternatives = "|".join(re.escape(w) for w in words)
        every_period = {
            **self.rules.budget_periods,
            **{
                word: months
                for language in self.rules.languages.values()
                for word, months in language.budget_periods.items()
            },
        }
        self.budget_periods = every_period
        periods = "|".join(re.escape(p) for p in sorted(every_period, key=len, reverse=True))
        suffixed = _NUMBER.replace("amount", "amount2").replace("<k>", "<k2>")
        self._money = (
            re.compile(
                rf"(?:(?P<pre>{alternatives})\s?{_NUMBER}"
                rf"|{suffixed}\s?(?P<post>{alternatives})(?![^\W\d_]))"
                rf"(?P<per>\s*(?:(?:/|per|a|an|each|every)\s*)?(?P<period>{periods})\b)?",
                re.IGNORECASE,
            )
            if words
            else None
        )

    # public -----------------------------------------------------------------------------------
    def interpret(self, need: Need) -> Interpretation:
        """Read ``need``; structured constraints override the same fields read in the text."""
        return self.read(need)[0]

    def read(self, need: Need) -> tuple[Interpretation, list[Token], TextSums | None]:
        """:meth:`interpret`, with the need's words (so that explaining need not split the
        text again) and the BM25 sums over offerings made while reading, if any (so that
        retrieval need only add the words those did not include)."""
        language, _ = detect_language(need.text, self.rules.supported_languages)
        tokens = tokenize(need.text, language)
        if language == "en" and (self.rules.shorthand or self.rules.digit_shorthand):
            tokens = self._spelt_out(tokens)
        reading = _Reading(tokens, need.text, [t.folded for t in tokens])
        reading.language = language
        reading.cues = self.index.lexicon.cue_tables(language)
        reading.english = (
            [t.stem for t in tokens] if language == "en" else [stem(t.folded, "en") for t in tokens]
        )
        reading.written = list(reading.english)
        self._boundaries(reading)
        # what redaction put in the place of an e-mail address, a phone or card number says
        # nothing of the need: "call me on [phone]"
        reading.used.update(
            t.index
            for t in tokens
            if reading.text[t.start - 1 : t.start] == "["
            and reading.text[t.end : t.end + 1] == "]"
            and t.folded in REDACTED_KINDS
        )
        # (capitals only in acronyms, "BAS", "GST", count as none)
        reading.lower_case = not any(t.text[:1].isupper() and not t.text.isupper() for t in tokens)
        if language == "en":
            self._correct_misspellings(reading)
        assert reading.cues is not None
        selves = reading.cues[1].get(CueKind.SELF, {})
        # a customer speaks of themselves ("we", "my"), of where they are ("UK plumbing firm,
        # 4 vans"), of their team or their budget; a product's description does none of these
        reading.speaks_of_self = (
            any((word,) in selves.get(word, ()) for word in reading.folded)
            or self._names_a_country(reading)
            or self._in_a_town(reading)  # "Biergarten in Munich needs a till"
            or _TEAM.search(reading.text) is not None  # "for 40 people", "3 staff"
            or (self._money is not None and self._money.search(reading.text) is not None)
            # a product's description asks nothing: a question, or a need that opens with an
            # ask ("Looking for a company that…", "Anyone who fits door seals?"), is a customer's
            or "?" in reading.text
            or self._opens_with_ask(reading)
        )
        self._asks(reading)
        self._names(reading)
        self._budgets(reading)
        self._team_size(reading)
        self._vocabulary(reading)
        capabilities = self._about_something_else(reading, self._capabilities(reading))
        # what is broader than something the customer refused ("not a loan") is not asked by
        # a vaguer word of theirs ("I just want the cash from those invoices": not lending);
        # the refused capability itself may still be asked in another form ("not an app on
        # every phone - just a clock-in screen")
        refused = {s.value for s in reading.negated_capabilities}
        broader = {b for r in refused for b in self.index.capabilities.broader.get(r, ())} - refused
        capabilities = tuple(c for c in capabilities if c.id not in broader or c.must_have)
        constraints, stated = self._merge(reading, need.constraints)
        capabilities = self._primary(reading, self._must_haves(capabilities, constraints))
        capabilities = self._who_they_are(reading, capabilities)
        capabilities = self._cross_border(reading, capabilities, constraints.region)
        capabilities = self._promoted(reading, capabilities)
        capabilities = self._done_for_them(reading, capabilities)
        not_understood, understood, ask_understood = self._not_understood(reading, capabilities)
        if reading.speaks_of_self:
            central = [c for c in capabilities if c.central]
            described = self._described_at_length(reading, capabilities, beside=bool(central))
            if described is not None:
                if central:
                    # as much the ask as what a phrase named; the broader of the two, or the
                    # one with less evidence, is then its context (see _primary)
                    top = max(c.confidence for c in central)
                    capabilities = self._primary(
                        reading, (*capabilities, replace(described, confidence=top))
                    )
                else:
                    capabilities = (*capabilities, described)
                # (a phrase read it only as context, or too weakly: the description says it
                # is the ask)
                capabilities = _first_of_each(capabilities, described)
                not_understood, understood, ask_understood = self._not_understood(
                    reading, capabilities
                )
        english = reading.english
        terms = tuple(
            english[t.index]
            for t in reading.tokens
            if (t.index not in reading.used or t.index in reading.capability_words)
            and t.folded not in self.stopwords
            and not (language != "en" and is_function_word(t.text.lower(), language))
            # (words this common, "see", "three", "first", say nothing of a product unless
            # a capability's phrase holds them)
            and (
                t.index in reading.capability_words
                or zipf(t.text.lower(), language) < SIMILARITY_MAX_ZIPF
            )
        )
        # A capability read in another language brings its English label's words to the text
        # similarity with the offerings' (English) descriptions: "programa de contabilidad"
        # ranks bookkeeping software as "accounting software" would.
        terms += tuple(
            word
            for c in capabilities
            if c.source == "translation" and c.central
            for word in self.index.text.content_stems(self.index.catalog.capabilities[c.id].label)
        )
        interpretation = Interpretation(
            capabilities=capabilities,
            constraints=constraints,
            stated=(*stated, *reading.negated_capabilities),
            not_understood=not_understood,
            terms=terms,
            language=language,
            understood=understood,
            ask_understood=ask_understood,
            suggestions=() if ask_understood else self._suggestions(reading, capabilities),
            mentioned=tuple(dict.fromkeys(reading.mentioned)),
        )
        if need.ignore:
            interpretation = _disregard(interpretation, need)
        return self._where_spoken(interpretation, need), tokens, reading.text_sums

    def _where_spoken(self, interpretation: Interpretation, need: Need) -> Interpretation:
        """A need written in another language than English that names no place of the
        customer's is from where that language is spoken: "Ich verkaufe Seifen an Kunden in
        ganz Europa" is not served by a payroll tool for the United Kingdom only.

        English is left alone (it is written everywhere), as are a place given or read (even
        one the request disregards) and a catalogue that records no regions.
        """
        language, constraints = interpretation.language, interpretation.constraints
        if (
            language == "en"
            or constraints.region is not None
            or constraints.language_area is not None
            or need.ignores("region")
            or need.ignores("language_area")
            or not self.index.facts.records["regions"]
            or language not in language_countries()
        ):
            return interpretation
        read = StatedConstraint(
            "language_area", language, f"written in {language_name(language)}", source="language"
        )
        return replace(
            interpretation,
            constraints=replace(constraints, language_area=language),
            stated=(*interpretation.stated, read),
        )

    @staticmethod
    def _opens_with_ask(reading: _Reading) -> bool:
        """Whether the need's first words are an ask cue ("Looking for …", "Need a …")."""
        return bool(reading.folded) and _cue_at(reading, CueKind.ASK, 0) is not None

    def _spelt_out(self, tokens: list[Token]) -> list[Token]:
        """Txt-speak read as the word it stands for ("sum1" as "someone", "wanna" as "want"),
        where written in lower case ("R&D" is no "are"). Spans still point at what was
        written, so the answer quotes the customer's own words."""
        shorthand = self.rules.shorthand
        spelt = []
        for position, token in enumerate(tokens):
            word = shorthand.get(token.folded) if token.text.islower() else None
            digit = self.rules.digit_shorthand.get(token.folded)
            if digit is not None and position + 1 < len(tokens):
                following = shorthand.get(tokens[position + 1].folded, tokens[position + 1].folded)
                if following in self.rules.digit_shorthand_before:
                    word = digit  # "lookin 4 a biz acct", "sum1 2 do my books"; not "4 staff"
            spelt.append(
                token if word is None else replace(token, text=word, folded=word, stem=stem(word))
            )
        return spelt

    # structure of the text ----------------------------------------------------------------------
    def _boundaries(self, reading: _Reading) -> None:
        """``clause[i]``: which clause token i is in (cues never reach across clauses);
        ``sentence[i]``: which sentence."""
        clause, current, previous_end = [], 0, 0
        sentence, number = [], 0
        for token in reading.tokens:
            between = reading.text[previous_end : token.start]
            if _BOUNDARY.search(between):
                current += 1
            if _SENTENCE.search(between):
                number += 1
            clause.append(current)
            sentence.append(number)
            previous_end = token.end
        reading.clause = clause
        reading.sentence = sentence

    def _in_a_town(self, reading: _Reading) -> bool:
        """Whether the need opens by placing a business in a town, state or province ("Biergarten
        in Munich needs…", "Florist in Edinburgh - …"): what a customer writes of themselves,
        in their first sentence: "in" before a capitalised name the gazetteer knows."""
        for i in range(1, len(reading.tokens)):
            if reading.sentence[i]:
                break
            token = reading.tokens[i]
            if (
                reading.folded[i - 1] == "in"
                and token.text[:1].isupper()
                and not token.text.isupper()  # ("in AJAX style")
                and self.places.at(reading.folded, i)[0]
            ):
                return True
        return False

    def _names_a_country(self, reading: _Reading) -> bool:
        """Whether the need names a country (or a region alias such as "UK")."""
        for i, token in enumerate(reading.tokens):
            entries = self.index.lexicon.vocabulary_by_first.get(token.folded, ())
            named = any(
                e.kind is ConstraintKind.REGION and len(e.words) == 1 for e in entries
            ) and not _DEMONYM.search(token.folded)
            if named and (token.folded not in self.stopwords or token.text.isupper()):
                return True
            if token.text[:1].isupper():
                candidates = self.places.at(reading.folded, i)[1]
                if any(p.kind is PlaceKind.COUNTRY for p in candidates):
                    return True
        return False

    def _asks(self, reading: _Reading) -> None:
        """What the customer asks for: the words after an ask cue ("we need", "looking for",
        "who does", "necesitamos"), to the end of that sentence, and those before a closing one
        in its clause ("Payroll please"). A need without any ask cue is all ask. Capabilities
        read elsewhere describe the context and count for less."""
        assert reading.cues is not None
        if not reading.speaks_of_self:
            return  # a description of what they want, in the third person: all of it is asked
        starting = reading.cues[1].get(CueKind.ASK, {})
        relative = reading.cues[1].get(CueKind.ADDITION, {})  # "which", "who": also relative
        words = reading.folded
        cued: set[int] = set()  # sentences with an ask cue
        for first, word in enumerate(words):
            if first and words[first - 1] == "to":
                continue  # "a CFO to help with the model": a purpose, not the ask
            for cue in starting.get(word, ()):
                stop = first + len(cue)
                if tuple(words[first:stop]) != cue:
                    continue
                if (
                    first
                    and reading.clause[first - 1] == reading.clause[first]
                    and cue in relative.get(word, ())
                ):
                    continue  # "… an accountant, which is daft": a relative clause, no ask
                reading.used.update(range(first, stop))
                if self._cue(reading, CueKind.NEGATION, first + 1, stop, before=3, after=0):
                    break  # "we don't want an EOR", "not looking for a loan": what is refused
                sentence = reading.sentence[first]
                asked = [i for i in range(stop, len(words)) if reading.sentence[i] == sentence]
                if not any(words[i] not in self.stopwords for i in asked):
                    break  # "… what do people use?": the ask is what came before
                reading.has_ask = True
                reading.ask.update(asked)
                cued.add(sentence)
                break
        closing = reading.cues[0].get(CueKind.ASK_AFTER, {})
        refusing = reading.cues[1].get(CueKind.NEGATION, {})
        for last, word in enumerate(words):
            for cue in closing.get(word, ()):
                first = last + 1 - len(cue)
                if first < 0 or tuple(words[first : last + 1]) != cue:
                    continue
                clause = reading.clause[first]
                if len(cue) == 1 and last + 1 < len(words) and reading.clause[last + 1] == clause:
                    continue  # one word closes its clause: "pls help …" opens a request
                asked = [i for i in range(first) if reading.clause[i] == clause]
                if not any(words[i] not in self.stopwords for i in asked):
                    break  # "please help", "Could you please …": nothing named before it
                if any(words[i] in refusing for i in asked):
                    break  # "no payroll please": what is refused
                reading.used.update(range(first, last + 1))
                reading.has_ask = True
                reading.ask.update(asked)
                cued.add(reading.sentence[first])
                break
        if reading.has_ask:
            # a question the customer puts is asked as well: "accept btc on my webshop?" (from
            # its ask cue on, when it has one: "Some buyers asked about USDC - is there a
            # checkout that handles that?" asks for a checkout, not for buyers)
            questions = {
                reading.sentence[t.index]
                for t in reading.tokens
                if reading.text[t.end : t.end + 3].lstrip(" \"'”’)").startswith("?")
            } - cued
            reading.ask.update(i for i in range(len(words)) if reading.sentence[i] in questions)

    def _names(self, reading: _Reading) -> None:
        """Offerings and providers named in the need ("we're on Ledgerly Books"): what the
        customer uses today or wants to replace, never a capability they ask for."""
        words = reading.folded
        i = 0
        while i < len(words):
            known = self.index.lexicon.names_by_first.get(words[i])
            if known is None or not reading.tokens[i].text[:1].isupper():
                i += 1
                continue
            lengths, by_words = known
            for n in lengths:
                offering_id = by_words.get(tuple(words[i : i + n]))
                if offering_id is not None:
                    reading.mentioned.append(offering_id)
                    reading.used.update(range(i, i + n))
                    i += n - 1
                    break
            i += 1

    def _modifies_a_noun(self, reading: _Reading, cue: _Cue) -> bool:
        """Whether a one-word other-party cue only qualifies the business named right after it
        ("Family bakery in Cork", "a hire company in Nelson"): the place is then that
        business's, the customer's own, not a family's."""
        word, after = reading.folded[cue.start], cue.start + 1
        if cue.end != after or after >= len(reading.tokens) or word.endswith("s"):
            return False
        assert reading.cues is not None
        organisations = reading.cues[1].get(CueKind.ORGANISATION, {})
        return (
            reading.clause[after] == reading.clause[cue.start]
            and reading.text[reading.tokens[cue.start].end : reading.tokens[after].start] == " "
            and (reading.folded[after],) in organisations.get(reading.folded[after], ())
        )

    def _describes_self(self, reading: _Reading, cue: _Cue) -> bool:
        """Whether an other-party word says what the customer is: one singular noun opening
        a sentence after the words that describe it ("Machine parts supplier in Germany, …",
        "… Web developer in Raleigh, North Carolina."), or after "I'm a", "we are an" ("I'm a
        web developer in Raleigh"), in the first clause of its sentence, with no article,
        possessive or other cue before it."""
        words = reading.folded
        noun = cue.start
        if any(w not in self.stopwords for w in words[noun + 1 : cue.end]):
            return False  # (only small words may follow the noun in its cue: "developer in")
        word = words[noun]
        if word.endswith("s") or not reading.tokens[noun].text.isalpha():
            return False
        begin = noun
        while begin and reading.sentence[begin - 1] == reading.sentence[noun]:
            begin -= 1
        if reading.clause[begin] != reading.clause[noun]:
            return False
        described = begin
        for opener in _SELF_OPENERS:
            if tuple(words[begin : begin + len(opener)]) == opener:
                described = begin + len(opener)
                break
        # (a word first in its sentence is no noun described: "Importiamo … dalla Cina")
        if described == begin == noun:
            return False
        assert reading.cues is not None
        starting = reading.cues[1]
        for i in range(described, noun):
            earlier = words[i]
            if is_function_word(earlier, reading.language) or any(
                (earlier,) in starting.get(kind, {}).get(earlier, ()) for kind in starting
            ):
                return False
        return True

    def _cue(
        self, reading: _Reading, kind: CueKind, start: int, end: int, *, before: int, after: int
    ) -> _Cue | None:
        """The nearest cue phrase of ``kind`` ending within ``before`` tokens of ``start`` or
        beginning within ``after`` tokens of ``end``, in the same clause (longest first)."""
        words, clause = reading.folded, reading.clause
        if start >= len(words):
            return None
        here = clause[start]
        tables = reading.cues or self.index.lexicon.cue_tables("en")
        ending = tables[0].get(kind, {})
        for last in range(start - 1, max(-1, start - 1 - before), -1):
            if clause[last] != here:
                break
            for cue in ending.get(words[last], ()):
                first = last - len(cue) + 1
                if first >= 0 and clause[first] == here and tuple(words[first : last + 1]) == cue:
                    return _Cue(" ".join(cue), first, last + 1)
        starting = tables[1].get(kind, {})
        for first in range(end, min(len(words), end + after)):
            if clause[first] != here:
                break
            for cue in starting.get(words[first], ()):
                stop = first + len(cue)
                if (
                    stop <= len(words)
                    and clause[stop - 1] == here
                    and tuple(words[first:stop]) == cue
                ):
                    return _Cue(" ".join(cue), first, stop)
        return None

    def _span(self, reading: _Reading, start: int, end: int) -> tuple[Span, str]:
        first, last = reading.tokens[start], reading.tokens[end - 1]
        return Span(first.start, last.end), reading.text[first.start : last.end]

    def _mark(self, reading: _Reading, start: int, end: int) -> None:
        reading.used.update(range(start, end))

    def _mark_chars(self, reading: _Reading, start: int, end: int) -> tuple[int, int] | None:
        inside = [t.index for t in reading.tokens if t.start >= start and t.end <= end]
        if not inside:
            return None
        reading.used.update(inside)
        return inside[0], inside[-1] + 1

    # budgets and team sizes ---------------------------------------------------------------------
    def _budgets(self, reading: _Reading) -> None:
        """Amounts of money, and which of them are a budget for what is asked.

        A budget is an amount with a ceiling cue near it ("under $50", "max 20 euros", "can't
        go over C$50") or a period ("€30/mo"), and nothing that makes it another amount: a
        must-have unless hedged. Amounts next to words for other money
        ("a £45k loan", "$1.2M revenue", "currently paying $25", "her salary") are not
        budgets. A currency code after the amount wins ("50 bucks CAD"); a bare dollar sign is
        the dollar of the customer's country (see :meth:`_merge`). Any size is read: an amount
        beyond :data:`MAX_AMOUNT` is taken as that (no limit in practice), never an error.
        """
        if self._money is None:
            return
        for match in self._money.finditer(reading.text):
            raw = match.group("amount") or match.group("amount2")
            amount = _amount(raw)
            suffix = (match.group("k") or match.group("k2") or "").lower()
            amount *= {"k": 1e3, "m": 1e6}.get(suffix, 1.0)
            word = (match.group("pre") or match.group("post") or "").lower()
            currency = self.currency_words.get(word, "USD")
            generic = word in _GENERIC_DOLLARS
            after = reading.text[match.end() : match.end() + 6].strip().split(" ")[0].lower()
            if after.upper() in self.rules.exchange_rates:
                currency, generic = after.upper(), False  # "50 bucks CAD"
            period = (match.group("period") or "").lower()
            months = self.budget_periods.get(period, 1.0) if period else 1.0
            bounds = self._mark_chars(reading, match.start(), match.end())
            if bounds is None:
                continue
            start, end = bounds
            ceiling = self._cue(reading, CueKind.BUDGET_CEILING, start, end, before=5, after=3)
            other = self._cue(reading, CueKind.OTHER_MONEY, start, end, before=6, after=4)
            hedge = self._cue(reading, CueKind.HEDGE, start, end, before=5, after=4)
            for cue in (ceiling, hedge):  # (words for other money may name what is asked)
                if cue is not None:
                    self._mark(reading, cue.start, cue.end)
            self._mark_budget_words(reading, start)
            if other is not None and (ceiling is None or _nearer(other, ceiling, start, end)):
                continue  # a loan, revenue, a salary, what they pay today: not a budget
            of = self._cue(reading, CueKind.AMOUNT_OF, start, end, before=0, after=1)
            if (
                of is not None
                and not period
                and self._cue(reading, CueKind.BUDGET_CEILING, of.end, of.end, before=0, after=1)
                is None  # ("max $40 of spend" is a budget)
            ):
                continue  # "roughly C$400k of machinery": what a thing is worth, not a budget
            if ceiling is None and not period:
                continue  # an amount without a ceiling or a period says nothing of a budget
            monthly = min(amount / months, MAX_AMOUNT) if math.isfinite(amount) else MAX_AMOUNT
            span = Span(match.start(), match.end())
            hard = hedge is None
            reading.found.append(
                _Found("budget_monthly", f"{monthly:.2f}", match.group(), span, hard=hard)
            )
            reading.found.append(
                _Found("currency", currency, match.group(), span, hard=hard, generic=generic)
            )

    def _mark_budget_words(self, reading: _Reading, start: int) -> None:
        """ "Budget for AP software: $200/month": the word that introduces an amount earlier in
        its sentence (past a colon) is about the amount, not a capability ("budgeting")."""
        assert reading.cues is not None
        ending = reading.cues[0].get(CueKind.BUDGET_CEILING, {})
        sentence = reading.sentence[start] if start < len(reading.sentence) else -1
        for last in range(start - 1, -1, -1):
            if reading.sentence[last] != sentence:
                break
            for cue in ending.get(reading.folded[last], ()):
                first = last - len(cue) + 1
                if first >= 0 and tuple(reading.folded[first : last + 1]) == cue:
                    self._mark(reading, first, last + 1)

    def _team_size(self, reading: _Reading) -> None:
        for match in _TEAM.finditer(reading.text):
            size = int(match.group("a") or match.group("b"))
            segment = next(
                (
                    name
                    for name, (low, high) in self.rules.segment_sizes.items()
                    if low <= size and (high is None or size <= high)
                ),
                None,
            )
            if segment is None or self._mark_chars(reading, match.start(), match.end()) is None:
                continue
            span = Span(match.start(), match.end())
            reading.found.append(_Found("segment", segment, match.group(), span, hard=False))

    # vocabularies: places, platforms, standards, languages, segments, price models -------------
    def _vocabulary(self, reading: _Reading) -> None:
        tokens = reading.tokens
        i = 0
        while i < len(tokens):
            if i in reading.used:
                i += 1
                continue
            entries = self._entries_at(reading, i)
            if not entries:
                i += self._place_at(reading, i) or 1
                continue
            n = len(entries[0].words)
            entry = self._disambiguate(reading, entries, i, n)
            if entry is not None and entry.kind is ConstraintKind.REGION:
                # a country's name or abbreviation ("Spain", "UK"), or a people's adjective
                # ("French menus", "a Canadian firm"), which says less than a place named
                kind = PlaceKind.COUNTRY
                if not any(p.kind is PlaceKind.COUNTRY for p in self.places.at(entry.words, 0)[1]):
                    kind = PlaceKind.DEMONYM if _DEMONYM.search(entry.words[-1]) else kind
                place = Place(entry.words, entry.value, kind, float("inf"))
                reading.places.append(Mention(i, i + n, [place]))
                self._mark(reading, i, i + n)
                i += n
            elif entry is not None and self._record(reading, entry, i, i + n):
                self._mark(reading, i, i + n)
                i += n
            else:
                i += 1
        self._places(reading)

    # places -----------------------------------------------------------------------------------
    def _correct_misspellings(self, reading: _Reading) -> None:
        """Read a misspelt word ("reciepts", "behnd") as the capability word it is closest to,
        wherever the need's vocabulary counts: inferring capabilities, the similarity with
        descriptions, "did you mean". A misspelling is a word of no language that the
        catalogue does not use either and no name (capitalised inside its sentence)."""
        for token in reading.tokens:
            word_stem = reading.english[token.index]
            if (
                not _misspelt(token, reading.language)
                or self.index.knows(word_stem)
                or self._a_name(reading, token)  # ("the Medici bank")
            ):
                continue
            fix = self._correction(reading, word_stem)
            if fix is not None:
                reading.english[token.index] = fix[0]

    def _correction(self, reading: _Reading, word_stem: str) -> tuple[str, float] | None:
        """:meth:`CapabilityIndex.correct`, once per stem and need."""
        if word_stem not in reading.corrections:
            reading.corrections[word_stem] = self.index.capabilities.correct(word_stem)
        return reading.corrections[word_stem]

    def _place_at(self, reading: _Reading, i: int) -> int:
        """A place named at token ``i`` (kept as a mention, resolved later): its length."""
        token = reading.tokens[i]
        previous = reading.places[-1] if reading.places else None
        after_place = previous is not None and previous.end == i
        town_before = previous is not None and any(
            p.kind in (PlaceKind.CITY, PlaceKind.SUBDIVISION) for p in previous.candidates
        )
        if after_place and town_before and token.text.isupper() and len(token.text) == 2:
            # ("Dutch IT consultancy": after a demonym, a code is a word)
            country = pycountry.countries.get(alpha_2=token.text)
            if country is not None and token.text not in self.places.codes:
                # "Queenstown, NZ": a country's code right after a place
                reading.places.append(
                    Mention(
                        i, i + 1, [Place((token.folded,), country.alpha_2, PlaceKind.COUNTRY, 0.0)]
                    )
                )
                self._mark(reading, i, i + 1)
                return 1
        if after_place and token.text.isupper() and token.text in self.places.codes:
            # "Austin, TX", "Perth WA": a state code right after a place
            reading.places.append(Mention(i, i + 1, list(self.places.codes[token.text])))
            self._mark(reading, i, i + 1)
            return 1
        code = token.text.upper()
        if (
            code in self.places.codes
            and token.text.isalpha()
            and (
                token.text.isupper()
                or zipf(token.text.lower(), reading.language) < ABBREVIATION_ZIPF
            )
            and self._cue(reading, CueKind.PLACE, i, i + 1, before=1, after=0)
        ):
            # "a food truck in TX", "based in nsw": a state's code right after a place cue
            reading.places.append(Mention(i, i + 1, list(self.places.codes[code])))
            self._mark(reading, i, i + 1)
            return 1
        n, candidates = self.places.at(reading.folded, i)
        if not n:
            return self._misspelt_place_at(reading, i)
        if any(j in reading.used for j in range(i, i + n)):
            return 0
        if self._longer_name(reading, i + n):
            return 0  # "West Yorkshire", "Victoria Street": part of a longer name
        if self._names_a_currency(reading, i + n):
            return 0  # "Aussie dollars", "Swiss francs"
        if not self._plausible_place(reading, i, n, candidates, after_place=after_place):
            return 0
        reading.places.append(Mention(i, i + n, candidates))
        self._mark(reading, i, i + n)
        return n

    def _misspelt_place_at(self, reading: _Reading, i: int) -> int:
        """A big place's name misspelt right after a place cue ("my cafe in melborne"): a
        word of no language one slip away from only one such name. Its length (1) or 0."""
        token = reading.tokens[i]
        word = token.folded
        if (
            i in reading.used
            or not word.isalpha()
            or zipf(word, reading.language) > 0
            or zipf(word, "en") > 0
            or self._cue(reading, CueKind.PLACE, i, i + 1, before=1, after=0) is None
        ):
            return 0
        candidates = self.places.near(word)
        if not candidates:
            return 0
        reading.places.append(Mention(i, i + 1, candidates))
        self._mark(reading, i, i + 1)
        return 1

    @staticmethod
    def _lives_there(reading: _Reading, cue: _Cue) -> bool:
        """Whether "living in" is said of the customer ("I'm a consultant living in Germany",
        "Living in Galway, I trade coins"), not of someone else ("my mother lives in Spain"):
        it opens its sentence, or "I" or "we" come earlier in its clause, nobody else named
        between."""
        if reading.folded[cue.start] not in _LIVING:
            return False
        sentence = reading.sentence[cue.start]
        if not any(reading.sentence[i] == sentence for i in range(cue.start)):
            return True
        clause = reading.clause[cue.start]
        before = [i for i in range(cue.start) if reading.clause[i] == clause]
        assert reading.cues is not None
        selves = reading.cues[1].get(CueKind.SELF, {})
        return any(
            (reading.folded[i],) in selves.get(reading.folded[i], ())
            and reading.folded[i] not in _POSSESSIVES
            for i in before
        )

    def _longer_name(self, reading: _Reading, after: int) -> bool:
        """Whether the word after a place's words carries its name on: a capitalised word in
        the same clause that names no place itself ("West Yorkshire": not Cameroon's West)."""
        if after >= len(reading.tokens) or reading.language in _CAPITALISED_NOUNS:
            return False
        token = reading.tokens[after]
        if not token.text[:1].isupper() or token.text.isupper() or not token.text.isalpha():
            return False
        if reading.clause[after] != reading.clause[after - 1]:
            return False
        return not self.places.at(reading.folded, after)[0]

    def _plausible_place(
        self, reading: _Reading, i: int, n: int, candidates: list[Place], *, after_place: bool
    ) -> bool:
        """Whether words that name a place are meant as one here.

        A country's name is (unless it is an everyday word written in lower case: "turkey");
        a city's or a state's needs a sign: written as a name mid-sentence, a cue before it
        ("in", "near", "based in"), "-based" after it, or another place beside it. Everyday
        words and the catalogue's own words ("Mobile", "Reading", "Aurora") need a name's
        capital *and* a cue.
        """
        token = reading.tokens[i]
        words = reading.folded[i : i + n]
        # (a customer who writes everything in lower case gives no sign by capitals, but an
        # everyday word of theirs is still no name: "since like march")
        capitalised = token.text[:1].isupper() or (
            reading.lower_case
            and (
                zipf(token.text.lower(), reading.language) < LOWER_CASE_NAME_ZIPF
                or any(
                    p.kind is PlaceKind.CITY and p.weight >= WORLD_CITY_POPULATION
                    for p in candidates
                )
            )
        )
        common = (
            n == 1
            and (
                words[0] in self.common_words
                or self.index.knows(token.stem)
                or token.stem in self.index.capabilities.phrases_by_first
                or len(words[0]) <= 3
                # an everyday word of the need's own language, written as one ("na minha loja": my
                # shop); "Napoli" written as a name is the town
                or (
                    reading.language != "en"
                    and not token.text[:1].isupper()
                    and zipf(token.text.lower(), reading.language) >= 3.5
                )
            )
        )
        if any(p.kind is PlaceKind.COUNTRY for p in candidates):
            return capitalised or not common
        cue = self._cue(reading, CueKind.PLACE, i, i + n, before=2, after=0) is not None
        based = i + n < len(reading.tokens) and reading.folded[i + n] == "based"
        if common:
            return capitalised and (cue or based or after_place)
        if cue or based or after_place:
            return True
        if not capitalised:
            return False
        if not token.text[:1].isupper():
            # all in lower case and no cue: only a big city is named so ("need payroll, portland
            # shop"), not a small place that is an everyday word ("a wedding speech")
            return max(p.weight for p in candidates) >= BARE_CITY_POPULATION
        previous_end = reading.tokens[i - 1].end if i else 0
        starts_sentence = i == 0 or bool(_SENTENCE.search(reading.text[previous_end : token.start]))
        return not starts_sentence or max(p.weight for p in candidates) >= BARE_CITY_POPULATION

    def _places(self, reading: _Reading) -> None:
        """Resolve the places named and read where the customer is from their own ones.

        A place is not the customer's when it is negated ("not in the US"), someone else's
        ("our supplier in Vietnam", "our US parent company") or a product's ("Ledgerly Books
        is only for the US"); such places neither become the region nor decide between the
        meanings of the customer's own places.
        """
        mentions = reading.places
        if not mentions:
            return
        pairs = [
            (a, a + 1)
            for a in range(len(mentions) - 1)
            if mentions[a].end == mentions[a + 1].start
            and self._touching(reading, mentions[a + 1].start)
        ]
        extent: dict[int, tuple[int, int]] = {n: (m.start, m.end) for n, m in enumerate(mentions)}
        for a, b in pairs:  # "Portland, Maine": one place, read as one
            extent[a] = extent[b] = (mentions[a].start, mentions[b].end)
        own: list[int] = []
        others: set[int] = set()
        for number in range(len(mentions)):
            start, end = extent[number]
            previous = number - 1
            joined = end < len(reading.folded) and reading.folded[end] in _CONJUNCTIONS
            if (
                previous in others
                and start - mentions[previous].end <= 2
                # (within its clause, or right after a comma: "India every month, US company"
                # starts anew, but "from Germany, the UK and the States" goes on listing)
                and (
                    (start == mentions[previous].end and self._touching(reading, start))
                    or reading.clause[start] == reading.clause[mentions[previous].end - 1]
                    or (
                        joined
                        and all(
                            w in self.index.text.function_words
                            for w in reading.folded[mentions[previous].end : start]
                        )
                    )
                )
            ):
                others.add(number)  # "from China and Portugal": a list of someone else's places
                continue
            negation = self._cue(
                reading, CueKind.NEGATION, start, end, before=NEGATION_SCOPE, after=0
            )
            if negation is not None and _in_compound(reading, negation.end):
                negation = None  # "a non-profit daycare in Canada" is in Canada
            other = self._cue(
                reading, CueKind.OTHER_PARTY, start, end, before=OTHER_PARTY_REACH, after=0
            )
            if other is not None and self._lives_there(reading, other):
                self._mark(reading, other.start, other.end)  # "living in": where they are
                other = None
            if other is not None and (
                _in_compound(reading, other.start)
                or self._describes_self(reading, other)
                or self._modifies_a_noun(reading, other)
            ):
                other = None  # "a ski-hire shop in Nelson" hires nobody out of Nelson
            if not joined:  # "in Australia and customers keep asking": a new subject
                after = self._cue(reading, CueKind.OTHER_PARTY_AFTER, start, end, before=0, after=2)
                if after is not None and not self._describes_self(reading, after):
                    other = other or after
            if negation is None and other is None:
                own.append(number)
            elif other is not None:
                others.add(number)
        for number in sorted(others):
            place = best_candidate(mentions[number].candidates)
            if place is not None:
                reading.elsewhere.append((place.country, *extent[number]))
        mine = [mentions[n] for n in own]
        position = {n: k for k, n in enumerate(own)}
        adjacent = [(position[a], position[b]) for a, b in pairs if a in position and b in position]
        resolve(mine, adjacent, self.index.facts.markets, reading.language)
        for number in own:
            mention = mentions[number]
            place = mention.chosen
            if place is None:
                continue
            start, end = extent[number]
            hedge = self._cue(
                reading, CueKind.HEDGE, start, end, before=5, after=1
            )  # ("in Canada with maybe 10 clients")
            span, matched = self._span(reading, mention.start, mention.end)
            reading.found.append(
                _Found(
                    "region",
                    place.country,
                    matched,
                    span,
                    hard=hedge is None,
                    rank=(int(place.kind), mention.start),
                )
            )

    @staticmethod
    def _touching(reading: _Reading, i: int) -> bool:
        """Whether token ``i`` goes on the sentence of the one before ("Portland, Maine"),
        rather than starting the next ("… from China. US company here")."""
        return i > 0 and reading.sentence[i - 1] == reading.sentence[i]

    def _names_a_currency(self, reading: _Reading, i: int) -> bool:
        """Whether word ``i`` is a currency's name, so the country before it names the
        currency ("US dollars", "Australian dollars"), not a place."""
        if i >= len(reading.folded):
            return False
        word = reading.folded[i]  # a name ("dollars"), not a sign ("the UK, £200")
        return word.isalpha() and len(word) >= 3 and word in self.currency_words

    def _entries_at(self, reading: _Reading, i: int) -> list[VocabularyEntry]:
        tokens, words = reading.tokens, reading.folded
        for entry in self.index.lexicon.vocabulary_by_first.get(tokens[i].folded, ()):
            n = len(entry.words)
            if tuple(words[i : i + n]) != entry.words or any(
                j in reading.used for j in range(i, i + n)
            ):
                continue
            if entry.kind is ConstraintKind.CURRENCY:
                if n > 1 and (i, i + n) not in reading.names:
                    reading.names.append((i, i + n))  # "livres sterling" are no books
                continue
            if entry.kind is ConstraintKind.REGION and self._names_a_currency(reading, i + n):
                continue  # "bills us in US dollars": a currency, not where anyone is
            if n == 1 and not self._plausible_word(reading, i, entry):
                continue
            return [
                e
                for e in self.index.lexicon.vocabulary_by_first[tokens[i].folded]
                if e.words == entry.words and e.kind is not ConstraintKind.CURRENCY
            ]
        return self._iso_code(reading, i)

    def _plausible_word(self, reading: _Reading, i: int, entry: VocabularyEntry) -> bool:
        """Common words ("us", "go", "it") count only when written as names ("US", "Go"), or,
        for a country, right before what the customer's business is ("us llc", "uk ltd"); in
        another language, a small word of it is never an English name ("aus" in German is
        "from", not Australia)."""
        token = reading.tokens[i]
        if (
            reading.language != "en"
            and len(entry.words) == 1
            and is_function_word(token.folded, reading.language)
            and not is_function_word(token.folded, "en")
        ):
            return False  # an English name that is a small word of the need's language: "aus"
        ambiguous_kinds = (ConstraintKind.REGION, ConstraintKind.PLATFORM, ConstraintKind.LANGUAGE)
        if (token.folded in self.stopwords and entry.kind in ambiguous_kinds) or (
            len(token.folded) <= 2 and entry.kind is not ConstraintKind.REGION
        ):
            if (
                entry.kind is ConstraintKind.REGION
                and self._cue(reading, CueKind.ORGANISATION, i, i + 1, before=0, after=1)
                # (first in its clause or after an article: "give us business banking" is no
                # country)
                and (
                    i == 0
                    or reading.clause[i - 1] != reading.clause[i]
                    or self._cue(reading, CueKind.ARTICLE, i, i + 1, before=1, after=0)
                )
            ):
                return True
            return token.text[:1].isupper() and (
                len(token.text) > 2
                or token.text.isupper()
                or entry.kind is not ConstraintKind.REGION
            )
        return True

    def _iso_code(self, reading: _Reading, i: int) -> list[VocabularyEntry]:
        token = reading.tokens[i]
        if len(token.text) != 2 or not token.text.isupper():
            return []
        country = pycountry.countries.get(alpha_2=token.text)
        if country is None or self._names_a_currency(reading, i + 1):
            return []
        if token.text in self.places.codes and country.alpha_2 not in self.index.facts.markets:
            return []  # "based in LA", "in PA": a state where we serve, not Laos or Panama
        if reading.language != "en" and reading.language not in country_languages().get(
            country.alpha_2, frozenset()
        ):
            return []  # "em BH" in Portuguese is Belo Horizonte, not Bahrain
        # A bare capitalised pair ("AI gateway", "IT team") is rarely a country: only with a cue.
        if not self._cue(reading, CueKind.REGION, i, i + 1, before=2, after=0):
            return []
        words = reading.folded
        if (
            i
            and words[i - 1] in ("a", "an")
            and (i + 1 == len(words) or words[i + 1] in self.stopwords)
        ):
            return []  # "looking for a DJ for…" names a thing ("a US company" a country)
        return [VocabularyEntry((token.folded,), ConstraintKind.REGION, country.alpha_2)]

    def _disambiguate(
        self, reading: _Reading, entries: Sequence[VocabularyEntry], i: int, n: int
    ) -> VocabularyEntry | None:
        """One meaning for words that name several things ("French": a language or France)."""
        if len(entries) == 1:
            return entries[0]
        kinds = {e.kind: e for e in entries}
        tokens = reading.tokens
        after = tokens[i + n].folded if i + n < len(tokens) else ""
        before = tokens[i - 1].folded if i > 0 else ""
        language = kinds.get(ConstraintKind.LANGUAGE)
        if language is not None and (
            # ("from Japanese into English": translated, from one language into another)
            before in {"in", "speaking", "speak", "into"}
            or after
            in {
                "into",
                "language",
                "interface",
                "ui",
                "version",
                "speaking",
                "speakers",
                "text",
                "menus",
                "menu",
                "documentation",
                "docs",
                "support",
                "translation",
            }
        ):
            return language
        for kind in (
            ConstraintKind.REGION,
            ConstraintKind.PLATFORM,
            ConstraintKind.COMPLIANCE,
            ConstraintKind.PRICE_MODEL,
            ConstraintKind.SEGMENT,
            ConstraintKind.LANGUAGE,
        ):
            if kind in kinds:
                return kinds[kind]
        return entries[0]

    def _record(self, reading: _Reading, entry: VocabularyEntry, start: int, end: int) -> bool:
        span, matched = self._span(reading, start, end)
        negation = (
            self._cue(reading, CueKind.NEGATION, start, end, before=NEGATION_SCOPE, after=0)
            or self._cue(reading, CueKind.NEGATION_AFTER, start, end, before=0, after=3)
            or self._cue(reading, CueKind.REFUSAL, start, end, before=REFUSAL_REACH, after=0)
            # "sick of Windows", "no more subscriptions"
            or self._cue(reading, CueKind.COMPLAINT, start, end, before=NEGATION_SCOPE, after=0)
        )
        hedge = self._cue(reading, CueKind.HEDGE, start, end, before=5, after=4)
        requirement = self._cue(
            reading, CueKind.REQUIREMENT, start, end, before=4, after=0
        ) or self._cue(reading, CueKind.REQUIREMENT_AFTER, start, end, before=0, after=3)
        kind, value = entry.kind, entry.value
        platform_cue: _Cue | None = None
        if kind is ConstraintKind.PLATFORM:
            platform_cue = self._cue(reading, CueKind.PLATFORM, start, end, before=_NEAR, after=0)
            if platform_cue is None and reading.speaks_of_self:
                platform_cue = self._cue(
                    reading, CueKind.PLATFORM_MENTION, start, end, before=_NEAR, after=0
                )
            name = "excluded_platforms" if negation else "platforms"
            # the devices a customer says they have are facts about them: must-haves unless
            # hedged; in a description of a product, only a cue makes a platform required
            hard = negation is not None or (
                (reading.speaks_of_self or platform_cue is not None or requirement is not None)
                and hedge is None
            )
            found = _Found(name, value, matched, span, negated=negation is not None, hard=hard)
        elif kind is ConstraintKind.PRICE_MODEL:
            if negation is not None and matched.lower() in self.rules.recurring_charges:
                # "no monthly fee": nothing is to be paid each month (a free plan, paying per
                # use); "no subscription" refuses the price model
                found = _Found("budget_monthly", "0.00", matched, span, hard=hedge is None)
            else:
                name = "excluded_price_models" if negation else "price_models"
                hard = negation is not None or (requirement is not None and hedge is None)
                found = _Found(name, value, matched, span, negated=negation is not None, hard=hard)
        elif kind is ConstraintKind.COMPLIANCE:
            if negation:
                return False
            found = _Found("compliance", value, matched, span, hard=hedge is None)
        elif kind is ConstraintKind.LANGUAGE:
            if negation:
                return False
            found = _Found("languages", value, matched, span, hard=False)
        elif kind is ConstraintKind.SEGMENT:
            words = reading.folded
            if (
                start
                and words[start - 1] in _POSSESSIVES
                and end < len(words)
                and reading.clause[end] == reading.clause[start]
                and words[end] not in self.stopwords
            ):
                return False  # "my freelance devs": who they pay, not who the customer is
            found = _Found("segment", value, matched, span, hard=False)
        else:
            return False
        reading.found.append(found)
        for near in (negation, hedge, requirement, platform_cue):
            if near is not None:
                self._mark(reading, near.start, near.end)
        return True

    # capabilities -------------------------------------------------------------------------------
    def _capabilities(self, reading: _Reading) -> tuple[RequestedCapability, ...]:
        """Capabilities asked for, each on evidence: a phrase that names it (label, synonym,
        example, trigger, or a translation in the need's language), weighed by how specific
        its words are and whether it sits in what the customer asks for; then, where no
        phrase names one, the catalogue's vocabulary (:meth:`_infer`)."""
        language = reading.language
        kept = self.index.capabilities.kept_words.get(language, frozenset())
        content = [
            t
            for t in reading.tokens
            if t.index not in reading.used
            and (
                t.folded in kept
                or (
                    t.folded not in self.index.text.function_words
                    and not (language != "en" and is_function_word(t.text.lower(), language))
                )
            )
        ]
        candidates: list[tuple[Phrase, int, int, float]] = []
        tables = [("en", [reading.written[t.index] for t in content])]
        if language != "en":
            tables.append((language, [t.stem for t in content]))
        for table_language, stems in tables:
            phrases = self.index.capabilities.phrase_table(table_language)
            corrected: dict[int, tuple[str, float]] = {}
            if table_language == "en":
                for position, word_stem in enumerate(stems):
                    word = content[position].text.lower()
                    if (
                        word_stem not in phrases
                        and not self.index.knows(word_stem)
                        and zipf(word, language) < REAL_WORD_ZIPF
                    ):
                        # a typo is a word of no language ("invocing"), never a real one
                        # ("booking" is not "bookkeeping")
                        fix = self._correction(reading, word_stem)
                        if fix is not None:
                            corrected[position] = fix
            for position in range(len(content)):
                if table_language != language and self._foreign_word(content[position], language):
                    continue  # "rota" in Spanish is "broken", not a shift rota
                for candidate_stem, quality in self._stem_options(stems, corrected, position):
                    for phrase in phrases.get(candidate_stem, ()):
                        match = self._match_phrase(phrase, stems, corrected, position, quality)
                        if match is not None:
                            first, last = content[match[0]], content[match[1] - 1]
                            if reading.clause[first.index] != reading.clause[last.index]:
                                # a phrase is read within one clause: "payroll, and I also
                                # need recruiting software" is no "payroll software"
                                continue
                            candidates.append((phrase, *match))
        if language == "en":
            candidates += self._loanwords(reading, content)
        # Most specific phrase first: "card payments" is one capability, not also "payments".
        # …and of two phrases as long, the narrower capability ("payments by card": card
        # payments, not payments)
        depth = self.index.capabilities.depth

        # …and of two as long, one whose words stand together as written before one gathered
        # from around ("trust accounting that reconciles": trust accounting, not "reconcile
        # accounts")
        def scattered(candidate: tuple[Phrase, int, int, float]) -> bool:
            phrase, start, end = candidate[:3]
            words = content[start:end]
            return phrase.stems not in (
                tuple(reading.english[t.index] for t in words),
                tuple(t.stem for t in words),
            )

        def reordered(candidate: tuple[Phrase, int, int, float]) -> bool:
            phrase, start, end = candidate[:3]
            met = [s for t in content[start:end] for s in (reading.english[t.index], t.stem)]
            return _in_another_order(phrase.stems, met)

        # a phrase gathered in another order loses to one of two words or more standing
        # together as written within its span, unless that one is broader: "loja online para
        # vender" is an online shop ("loja online"), not "vender na loja e online"; "taking
        # payments by card" is still "take card payments", not "take payments"
        broader = self.index.capabilities.broader
        together = [
            (start, end, phrase.capability)
            for phrase, start, end, _ in candidates
            if len(phrase.stems) >= 2 and not scattered((phrase, start, end, 0.0))
        ]
        candidates = [
            c
            for c in candidates
            if not (
                reordered(c)
                and any(
                    c[1] <= start
                    and end <= c[2]
                    and capability != c[0].capability
                    and capability not in broader[c[0].capability]
                    for start, end, capability in together
                )
            )
        ]

        candidates.sort(
            key=lambda c: (
                -len(c[0].stems),
                scattered(c),
                -depth[c[0].capability],
                -c[3],
                c[0].capability,
                c[1],
            )
        )
        taken: dict[int, str] = {}
        found: dict[str, RequestedCapability] = {}

        def own(phrase: Phrase, start: int, end: int) -> list[int]:
            # a phrase gathered from around ("accept … cards") takes its own words only: what
            # stands between them ("contactless") may be another phrase's
            stems = set(phrase.stems)
            mine = [
                i
                for i in range(start, end)
                if content[i].stem in stems or reading.english[content[i].index] in stems
            ]
            return mine if len(mine) >= len(stems) else list(range(start, end))

        for phrase, start, end, confidence in candidates:
            words = own(phrase, start, end)
            if any(taken.get(i, phrase.capability) != phrase.capability for i in words):
                continue
            evidence = self._evidence(reading, phrase, content, start, end)
            # (read only in the context, a phrase still counts, for less: see _promoted)
            context = not any(reading.central(t.index) for t in content[start:end])
            unweighted = evidence / CONTEXT_CONFIDENCE if context else evidence
            if unweighted * confidence < self.rules.thresholds.min_confidence:
                first, last = content[start], content[end - 1]
                weak = self.index.catalog.capabilities[phrase.capability]
                reading.weak.append(
                    RequestedCapability(
                        weak.id,
                        weak.label,
                        reading.text[first.start : last.end],
                        round(evidence * confidence, 3),
                        phrase.source,
                        Span(first.start, last.end),
                    )
                )
                continue
            taken.update(dict.fromkeys(words, phrase.capability))
            self._accept(reading, found, phrase, content, start, end, confidence * evidence)
        for inferred in self._infer(reading, content, found):
            found.setdefault(inferred.id, inferred)
        ordered = sorted(found.values(), key=lambda c: (-c.confidence, c.id))
        return tuple(ordered)

    def _loanwords(
        self, reading: _Reading, content: list[Token]
    ) -> list[tuple[Phrase, int, int, float]]:
        """One-word translations named in an English need: a word of no English that a
        supported language's synonyms hold as a phrase of its own ("a Kassensystem for our
        café", "Lohnabrechnung for 6 staff"), the local term a customer keeps in their own
        words."""
        found: list[tuple[Phrase, int, int, float]] = []
        for position, token in enumerate(content):
            word = token.folded
            if len(word) < LOANWORD_MIN_LETTERS or not word.isalpha():
                continue
            if zipf(token.text.lower(), "en") >= REAL_WORD_ZIPF:
                continue
            for other in self.rules.supported_languages:
                if other == "en":
                    continue
                for phrase in self.index.capabilities.phrase_table(other).get(
                    stem(word, other), ()
                ):
                    if len(phrase.stems) == 1 and phrase.source == "translation":
                        found.append((phrase, position, position + 1, phrase.confidence))
        return found

    @staticmethod
    def _foreign_word(token: Token, language: str) -> bool:
        """Whether a word of a need in ``language`` is that language's own, not English
        written in it (a word more common there than in English)."""
        if language == "en":
            return False
        word = token.text.lower()
        return zipf(word, language) >= FOREIGN_WORD_ZIPF and zipf(word, language) > zipf(word, "en")

    def _evidence(
        self, reading: _Reading, phrase: Phrase, content: list[Token], start: int, end: int
    ) -> float:
        """How much a phrase match says the customer asks for its capability (0–1).

        Several words are evidence of their own. A single word counts by how specific it is
        in its language: a rare trade word ("payroll", "nóminas") fully, an everyday one
        ("bank", "report", "paid", "automatically") only when another word of the need is
        typical of the same capability ("bank feeds into my books"). Found only in the
        context the customer describes, not in what they ask for, it counts less again.
        """
        words = content[start:end]
        specificity = 1.0
        language = reading.language
        taken = {t.index for t in words}
        for first, stop in reading.names:
            inside = sum(1 for j in range(first, stop) if j in taken)
            if 0 < inside < stop - first:
                return 0.0  # "un compte où garder des livres sterling": pounds, not books
        if phrase.exact:
            written = set(singular(phrase.words))
            if any(singular((t.folded,))[0] not in written for t in words if _of(t, phrase)):
                return 0.0  # "multi-currency account" is not "multi-currency accounting"
        if (
            len(phrase.stems) == 1
            and len(words) == 1
            and not _same_word(words[0], phrase)
            and not _misspelt(words[0], language)
        ):
            return 0.0  # "booking" shares the stem of "books", not its meaning
        if (
            len(phrase.stems) == 1
            and len(words) == 1
            and _verb_of_plural(reading, words[0], phrase)
            and words[0].folded not in self.own_verbs[phrase.capability]
        ):
            return 0.0  # "people can't book slots": to book, not the books
        # "accountant" shares the stem of "account", not its meaning ("payrol", a word of no
        # language, is payroll misspelt)
        if phrase.source != "translation" and not all(
            _same_root(t, phrase) or _misspelt(t, language) for t in words
        ):
            return 0.0
        if len(phrase.stems) == 1 and not (
            _particles_follow(reading, words[-1], phrase)
            and _particles_precede(reading, words[0], phrase)
        ):
            return 0.0  # "sign-off" is not "sign (a BAA)", "tip out" not "tip", "get paid" "paid"
        if (
            len(phrase.stems) == 1
            and len(words) == 1
            and not _written_out(reading, phrase, words[0])
        ):
            specificity = self._specificity(words[0], reading.language)
            if specificity < 1.0 and self._supported(reading, phrase.capability, content, words):
                specificity = max(specificity, 0.95)
        if not any(reading.central(t.index) for t in words):
            specificity *= CONTEXT_CONFIDENCE
        return specificity

    @staticmethod
    def _specificity(token: Token, language: str) -> float:
        """1 for a rare word; down to 0.3 for the most common ones (wordfreq's Zipf)."""
        word = token.text.lower()
        frequency = max(zipf(word, language), zipf(word, "en") if language != "en" else 0.0)
        if frequency <= GENERIC_ZIPF:
            return 1.0
        if frequency >= VERY_GENERIC_ZIPF:
            return 0.3
        return 1.0 - 0.7 * (frequency - GENERIC_ZIPF) / (VERY_GENERIC_ZIPF - GENERIC_ZIPF)

    def _supported(
        self, reading: _Reading, capability: str, content: list[Token], words: list[Token]
    ) -> bool:
        """Whether another specific word of the need is typical of ``capability``."""
        position = self.index.capabilities.position[capability]
        own = {t.index for t in words}
        for token in content:
            if token.index in own or len(token.folded) < 3:
                continue
            if zipf(token.text.lower(), reading.language) > SUPPORT_MAX_ZIPF:
                continue
            if self._typical(reading.english[token.index], position):
                return True
        return False

    @staticmethod
    def _stem_options(
        stems: list[str], corrected: dict[int, tuple[str, float]], position: int
    ) -> Iterable[tuple[str, float]]:
        yield stems[position], 1.0
        if position in corrected:
            yield corrected[position]

    def _match_phrase(
        self,
        phrase: Phrase,
        stems: list[str],
        corrected: dict[int, tuple[str, float]],
        position: int,
        quality: float,
    ) -> tuple[int, int, float] | None:
        """Match ``phrase`` at ``position`` (where its first word is), in order or (less
        surely) in any order nearby: its start, end and confidence."""
        n = len(phrase.stems)
        window = stems[position : position + n]

        def same(i: int, want: str) -> float:
            if stems[i] == want:
                return 1.0
            fix = corrected.get(i)
            return fix[1] if fix and fix[0] == want else 0.0

        if len(window) == n:
            scores = [same(position + k, want) for k, want in enumerate(phrase.stems)]
            if all(scores):
                return position, position + n, phrase.confidence * min(scores) * quality
        # any order, within a slightly wider window on either side: "payments by card" ~
        # "card payments" (the match then starts at the first of its words)
        if n > 1:
            # (a number is no word apart: "books are 3 years behind" is "behind on books")
            def reach(step: int) -> int:
                at, words = position, 0
                while 0 <= at + step < len(stems) and words < n:
                    at += step
                    words += not stems[at].isdigit()
                return at

            wide = range(reach(-1), reach(1) + 1)
            wanted = Counter(phrase.stems)  # "money in and money out" wants "money" twice
            where: dict[str, list[int]] = defaultdict(list)
            for i in wide:
                for word in (stems[i], corrected[i][0] if i in corrected else None):
                    if (
                        word is not None
                        and word in wanted
                        and len(where[word]) < wanted[word]
                        and i not in where[word]
                    ):
                        where[word].append(i)
            if all(len(where[w]) == count for w, count in wanted.items()):
                found = [i for positions in where.values() for i in positions]
                return min(found), max(found) + 1, phrase.confidence * 0.9 * quality
        return None

    def _accept(
        self,
        reading: _Reading,
        found: dict[str, RequestedCapability],
        phrase: Phrase,
        content: list[Token],
        start: int,
        end: int,
        confidence: float,
    ) -> None:
        first, last = content[start], content[end - 1]
        # a negation reaches what its clause goes on to list: "no accountant or bookkeeper"
        negation = self._cue(
            reading, CueKind.NEGATION, first.index, last.index + 1, before=NEGATION_SCOPE, after=0
        ) or self._cue(
            reading, CueKind.NEGATION_AFTER, first.index, last.index + 1, before=0, after=3
        )
        span = Span(first.start, last.end)
        matched = reading.text[span.start : span.end]
        cap = self.index.catalog.capabilities[phrase.capability]
        if negation is not None and (
            self._refuses_price(reading, negation, first)
            # a negation a phrase was read with is that phrase's ("el banco no cuadra")
            or any(j in reading.capability_words for j in range(negation.start, negation.end))
        ):
            negation = None  # "no monthly fee for bookkeeping software": paying is refused
        if negation is not None:
            self._mark(reading, negation.start, negation.end)
            reading.negated_capabilities.append(
                StatedConstraint("capability", cap.id, matched, negated=True, span=span)
            )
            reading.used.update(t.index for t in content[start:end])
            return
        received = self._received(reading, first.index, last.index + 1)
        if received is not None:
            # "who can give us a quote for the roof?": a quote they receive, no quoting tool
            reading.used.update(t.index for t in content[start:end])
            self._mark(reading, *received)
            return
        if self._cue(reading, CueKind.HEDGE, first.index, last.index + 1, before=4, after=3):
            confidence *= HEDGED_CAPABILITY
        reading.used.update(t.index for t in content[start:end])
        reading.capability_words.update(t.index for t in content[start:end])
        current = found.get(cap.id)
        # asked for: in what the customer asks, or required in so many words outside it
        # ("the VAT return must come out of it", "members should pay by direct debit")
        asked = any(reading.central(t.index) for t in content[start:end])
        if asked and self._cue(
            reading, CueKind.INSTRUMENT, first.index, last.index + 1, before=1, after=0
        ):
            asked = False  # "off my bank account": a means the customer has
            reading.means.add(cap.id)
        elif (
            cap.id in self.index.capabilities.services
            and first is last
            and 0 < first.index < len(reading.folded) - 1
            and reading.folded[first.index - 1] in _POSSESSIVES
            and reading.folded[first.index + 1] in _REPORTING
        ):
            # "Our accountant says every invoice must go through Peppol. What can we use?":
            # a service they have (one word: who does it) tells them what they need; it is
            # not what they ask for
            asked = False
            reading.means.add(cap.id)
        central = asked or bool(
            reading.speaks_of_self
            and (
                self._cue(
                    reading, CueKind.REQUIREMENT, first.index, last.index + 1, before=4, after=0
                )
                or self._cue(
                    reading,
                    CueKind.REQUIREMENT_AFTER,
                    first.index,
                    last.index + 1,
                    before=0,
                    after=3,
                )
            )
        )
        if central and not any(reading.central(t.index) for t in content[start:end]):
            confidence /= CONTEXT_CONFIDENCE  # (it was counted as context)
        if current is None or confidence > current.confidence:
            found[cap.id] = RequestedCapability(
                cap.id,
                cap.label,
                matched,
                round(confidence, 3),
                phrase.source,
                span,
                central=central or (current is not None and current.central),
            )

    def _infer(
        self,
        reading: _Reading,
        content: list[Token],
        found: dict[str, RequestedCapability],
    ) -> list[RequestedCapability]:
        """Capabilities the need's own vocabulary points to, when no phrase names them.

        Two votes, both ownership-blind: BM25 of the need against each capability's document
        (its words and its providers' words), and the capabilities of the offerings most similar
        to the need. A capability is inferred when both agree strongly enough.
        """
        negated = {s.value for s in reading.negated_capabilities}
        english = reading.english
        words = [
            t
            for t in content
            if t.index not in reading.used
            and t.folded not in self.stopwords
            and reading.central(t.index)
        ]
        stems = [english[t.index] for t in words]
        if not stems:
            return []
        index = self.index
        if not found and reading.speaks_of_self:
            strong = self._strongly_documented(reading, words, stems, negated)
            if strong is not None:
                return [strong]
        # only on strong, specific evidence: several words the catalogue knows that are not
        # everyday words ("help me write a wedding speech" names nothing it sells)
        # (a product described in the third person names its kind in common words: "file
        # manager", "project management"; only a customer's everyday words are set aside)
        limit = SPECIFIC_ZIPF if reading.speaks_of_self else DESCRIPTION_ZIPF
        specific = {
            english[t.index]
            for t in words
            if index.capabilities.documents.idf_known(english[t.index])
            and zipf(t.text.lower(), reading.language) < limit
            and not _ambiguous_stem(t, english[t.index])
        }
        if not specific:
            return []
        # a need whose specific words are mostly unknown to the catalogue is about something
        # it does not sell, whatever few words it shares with it
        rare = {
            english[t.index]
            for t in words
            if zipf(t.text.lower(), reading.language) < limit and t.folded.isalpha()
        }
        # (a product's description also names itself in words nobody else uses: more leeway)
        unknown_share = UNKNOWN_SHARE if reading.speaks_of_self else DESCRIPTION_UNKNOWN_SHARE
        if len(rare - specific) >= unknown_share * len(rare):
            return []
        by_document = index.capabilities.documents.scores(stems)
        by_neighbours = np.zeros(len(index.capabilities.ids), dtype=np.float32)
        reading.text_sums = sums = index.text.postings.sums(stems)
        similarity = sums.sums.astype(np.float32)
        # (a fresh array) retired offerings don't vote
        similarity[index.facts.inactive_positions] = 0
        # only offerings sharing a word can vote, and the best of them score at least the floor
        # one of the words alone guarantees: rank those, not all N
        floor = index.text.postings.floor(stems)
        sharing = np.flatnonzero(similarity >= floor if floor > 0 else similarity > 0)
        top = index.facts.best_first(similarity, sharing, count=NEIGHBOURS_VOTING)[
            :NEIGHBOURS_VOTING
        ]
        for rank, position in enumerate(top):
            weight = float(similarity[position])
            if weight <= 0:
                break
            for cap_position, level in index.capabilities.offering_capabilities[position]:
                by_neighbours[cap_position] += weight * level / (1 + rank * 0.1)
        if by_document.max() <= 0 and by_neighbours.max() <= 0:
            return []
        combined = 0.5 * _unit(by_document) + 0.5 * _unit(by_neighbours)
        order = np.lexsort((index.capabilities.id_rank, -combined))  # ties by capability id
        best = float(combined[order[0]])
        # how much of the need the catalogue's vocabulary explains at all
        known = sum(1 for s in stems if index.knows(s)) / len(stems)
        strength = best * (0.5 + 0.5 * known)
        explicit = bool(found)
        central = not explicit or not reading.speaks_of_self
        inferred = []
        evidence_words: set[str] = set()
        for position in order[:5]:
            score = float(combined[position])
            if score < 0.6 * best:
                break
            confidence = round(strength * score / best * (0.6 if explicit else 0.85), 3)
            floor = INFERRED_FLOOR if not reading.speaks_of_self else CUSTOMER_INFERRED_FLOOR
            if confidence < self.rules.thresholds.min_confidence * (floor if not explicit else 1):
                continue
            cap_id = index.capabilities.ids[int(position)]
            if cap_id in negated:
                continue
            # several specific words of the need must be typical of it, not one stray word
            typical = {w for w in specific if self._typical(w, int(position))}
            wanted = INFERENCE_MIN_WORDS if not reading.speaks_of_self else CUSTOMER_MIN_WORDS
            if len(typical) < wanted:
                continue
            if (
                explicit
                and len(typical) < EXPLICIT_MIN_WORDS
                and all(zipf(w, "en") >= EXPLICIT_WORD_ZIPF for w in typical)
            ):
                continue  # beside what a phrase named, one everyday word ("offering") is no ask
            evidence_words |= typical
            evidence = _evidence_words(english, words, index, cap_id)
            cap = index.catalog.capabilities[cap_id]
            # beside capabilities a phrase names in a customer's own words, an inferred one only
            # supports the ranking: it neither defines what a fit must serve nor counts its
            # words as understood (a product described in the third person is all vocabulary)
            inferred.append(
                RequestedCapability(
                    cap_id, cap.label, evidence, confidence, "vocabulary", central=central
                )
            )
        if central:
            reading.capability_words.update(
                t.index for t in words if english[t.index] in evidence_words
            )
        return inferred

    def _strongly_documented(
        self, reading: _Reading, words: list[Token], stems: list[str], negated: set[str]
    ) -> RequestedCapability | None:
        """The one capability whose document the need's asked words match strongly and clearly
        better than any other's, when no phrase named anything: the customer describes it
        in many words of its vocabulary rather than naming it."""
        index = self.index
        scores = index.capabilities.documents.scores(stems)
        if len(scores) < 2:
            return None
        first, second = np.argsort(-scores, kind="stable")[:2]
        best, runner_up = float(scores[first]), float(scores[second])
        if best < STRONG_DOCUMENT_SCORE or best < STRONG_DOCUMENT_MARGIN * runner_up:
            return None
        cap_id = index.capabilities.ids[int(first)]
        if cap_id in negated:
            return None
        # …and not in everyday words alone: "find cheap stock photos" matches "find an
        # accountant" and "cheap accountant" strongly, yet names nothing of theirs
        position = int(first)
        if not any(
            zipf(t.text.lower(), reading.language) < SPECIFIC_ZIPF
            and bool((hit[0] == position).any())
            for t in words
            if (hit := index.capabilities.documents.terms.get(reading.english[t.index])) is not None
        ):
            return None
        return self._documented(reading, words, position)

    def _described_at_length(
        self,
        reading: _Reading,
        capabilities: tuple[RequestedCapability, ...],
        *,
        beside: bool = False,
    ) -> RequestedCapability | None:
        """The capability a customer describes at length without naming it, in the ask and
        around it ("half my clients settle up 60 days late and I hate being the one who has to
        ring them"): all of the need's unexplained words match its document very strongly and
        better than any other's.

        ``beside``: a phrase named what is asked; the description must then match its own
        capability more strongly still, and far more than the words match what was named ("a
        way to get that money sooner" beside "invoices outstanding": invoice finance)."""
        index = self.index
        words = [
            t
            for t in reading.tokens
            if t.folded not in self.stopwords
            and t.index not in reading.used
            and not self._a_name(reading, t)
        ]
        stems = [reading.english[t.index] for t in words]
        if len(set(stems)) < DESCRIBED_MIN_WORDS:
            return None  # (no description at length)
        scores = index.capabilities.documents.scores(stems)
        if len(scores) < 2:
            return None
        first, second = np.argsort(-scores, kind="stable")[:2]
        best, runner_up = float(scores[first]), float(scores[second])
        least = DESCRIBED_BESIDE_SCORE if beside else DESCRIBED_SCORE
        if best < least or best < DESCRIBED_MARGIN * runner_up:
            return None
        if beside:
            at = index.capabilities.position
            named = max(float(scores[at[c.id]]) for c in capabilities if c.central)
            if best < DESCRIBED_OVER_NAMED * named:
                return None
        cap_id = index.capabilities.ids[int(first)]
        refused = {s.value for s in reading.negated_capabilities}
        if cap_id in refused or any(c.id == cap_id and c.central for c in capabilities):
            return None
        return self._documented(reading, words, int(first))

    def _documented(
        self, reading: _Reading, words: list[Token], position: int
    ) -> RequestedCapability:
        """The capability at ``position`` read from the vocabulary of its document, at the
        least confidence that requests it; the words its document holds are understood (they
        say what is asked)."""
        index = self.index
        cap_id = index.capabilities.ids[position]
        for token in words:
            hit = index.capabilities.documents.terms.get(reading.english[token.index])
            if hit is not None and bool((hit[0] == position).any()):
                reading.capability_words.add(token.index)
        return RequestedCapability(
            cap_id,
            index.catalog.capabilities[cap_id].label,
            _evidence_words(reading.english, words, index, cap_id),
            round(self.rules.thresholds.min_confidence, 3),
            "vocabulary",
        )

    @staticmethod
    def _a_name(reading: _Reading, token: Token) -> bool:
        """Whether a word is capitalised inside its sentence ("Apple stuff", "Samsungs"): a
        name, which says who or what, not what is needed (every German noun has a capital)."""
        i = token.index
        return (
            token.text[:1].isupper()
            and token.text[1:].islower()  # ("NFTs", "ETH" are acronyms)
            and not reading.lower_case
            and reading.language not in _CAPITALISED_NOUNS
            and i > 0
            and reading.sentence[i - 1] == reading.sentence[i]
        )

    def _refuses_price(self, reading: _Reading, negation: _Cue, first: Token) -> bool:
        """Whether what ``negation`` refuses before ``first`` is a price ("I refuse to pay a
        monthly subscription for accounting software"): then it refuses paying, not what
        is paid for."""
        begin, stop = reading.tokens[negation.end - 1].end, first.start
        return any(
            found.name in ("excluded_price_models", "budget_monthly")
            and begin <= found.span.start
            and found.span.end <= stop
            for found in reading.found
        )

    def _typical(self, word_stem: str, position: int) -> bool:
        """Whether the capability at ``position`` is among those a word is most typical of."""
        hit = self.index.capabilities.documents.terms.get(word_stem)
        if hit is None:
            return False
        docs, weights = hit
        where = np.flatnonzero(docs == position)
        return bool(where.size) and float(weights[where[0]]) >= SUPPORT_SHARE * float(weights.max())

    # merging and checking ---------------------------------------------------------------------
    def _merge(
        self, reading: _Reading, given: Constraints
    ) -> tuple[Constraints, list[StatedConstraint]]:
        from_text: dict[str, list[_Found]] = {}
        for item in reading.found:
            from_text.setdefault(item.name, []).append(item)
        structured = self._structured(given)
        stated: list[StatedConstraint] = []
        values: dict[str, object] = {}
        soft: list[str] = list(given.soft)
        for name, items in from_text.items():
            overridden = name in structured or (
                name == "currency" and "budget_monthly" in structured
            )
            for item in items:
                stated.append(
                    StatedConstraint(
                        name, item.value, item.matched, item.negated, "text", item.span, overridden
                    )
                )
            if overridden:
                continue
            values[name] = _combine(name, items)
            soft += _soft_keys(name, items)
        if "currency" in values and "region" in values and "currency" not in structured:
            # "$40" from a customer in Canada is forty Canadian dollars
            firm = [i for i in from_text["currency"] if i.hard] or from_text["currency"]
            local = country_currencies().get(str(values["region"]), "")
            if firm[0].generic and local.endswith("D") and local in self.rules.exchange_rates:
                values["currency"] = local
        for name, value in structured.items():
            values[name] = value
            stated.append(StatedConstraint(name, _show(value), _show(value), source="request"))
        constraints = Constraints(**values)  # type: ignore[arg-type]  # keys are its fields
        constraints = replace(constraints, soft=tuple(dict.fromkeys(soft)))
        return self._unknown_dimensions(constraints, set(structured)), stated

    def _structured(self, given: Constraints) -> dict[str, object]:
        """The request's own constraints, canonicalised and checked against the catalogue."""
        rules, catalog = self.rules, self.index.catalog
        out: dict[str, object] = {}
        problems: list[dict[str, str]] = []
        if given.budget_monthly is not None:
            out["budget_monthly"] = given.budget_monthly
        if given.currency:
            code = rules.canonical(ConstraintKind.CURRENCY, given.currency).upper()
            if pycountry.currencies.get(alpha_3=code) is None:
                problems.append(_problem("currency", f"{given.currency!r} is not an ISO 4217 code"))
            out["currency"] = code
        if given.region:
            code = rules.canonical(ConstraintKind.REGION, given.region)
            code = code.upper() if len(code) == 2 else code
            if pycountry.countries.get(alpha_2=code) is None and code not in rules.region_groups:
                problems.append(
                    _problem("region", f"{given.region!r} is not an ISO 3166 alpha-2 country code")
                )
            out["region"] = code
        for kind in CONSTRAINT_KINDS:
            value = getattr(given, kind.field)
            if kind.field == "region" or kind.vocabulary is None or not value:
                continue  # (regions and must-haves are checked against the catalogue below)
            if kind.vocabulary is ConstraintKind.PRICE_MODEL:
                out[kind.field] = tuple(value)  # already PriceModel values
            elif kind.many:
                out[kind.field] = tuple(
                    dict.fromkeys(rules.canonical(kind.vocabulary, v) for v in value)
                )
            else:
                out[kind.field] = rules.canonical(kind.vocabulary, value)
        area = out.get("language_area")
        if area is not None:
            out["language_area"] = area = str(area).lower()
            if pycountry.languages.get(alpha_2=area) is None:
                problems.append(
                    _problem("language_area", f"{given.language_area!r} is not an ISO 639-1 code")
                )
        for position, cap_id in enumerate(given.must_have):
            if cap_id not in catalog.capabilities:
                from referral_api.curation.fields import did_you_mean

                hint = did_you_mean(cap_id, catalog.capabilities)
                problems.append(
                    _problem(f"must_have[{position}]", f"unknown capability {cap_id!r}{hint}")
                )
        if given.must_have:
            out["must_have"] = tuple(dict.fromkeys(given.must_have))
        if problems:
            raise InputError("; ".join(p["message"] for p in problems), fields=problems)
        return out

    def _unknown_dimensions(self, constraints: Constraints, structured: set[str]) -> Constraints:
        """Words about something this catalogue records nothing about can only be preferences.

        ("GDPR compliant" against a catalogue without compliance data.) A structured constraint
        stays hard: the caller asked for it explicitly, and then nothing fits.
        """
        records = self.index.facts.records
        soft = list(constraints.soft)
        for kind in CONSTRAINT_KINDS:
            if kind.fact is None or not kind.hard or kind.field in structured:
                continue
            if getattr(constraints, kind.field) not in (None, ()) and not records[kind.fact]:
                soft.append(kind.field)
        return replace(constraints, soft=tuple(dict.fromkeys(soft)))

    def _must_haves(
        self, capabilities: tuple[RequestedCapability, ...], constraints: Constraints
    ) -> tuple[RequestedCapability, ...]:
        """Structured must-haves are requested capabilities too, at full confidence."""
        out = {c.id: c for c in capabilities}
        for cap_id in constraints.must_have:
            cap = self.index.catalog.capabilities[cap_id]
            current = out.get(cap_id)
            out[cap_id] = RequestedCapability(
                cap_id,
                cap.label,
                current.matched if current else cap.label,
                1.0,
                current.source if current else "request",
                current.span if current else None,
                must_have=True,
            )
        return tuple(sorted(out.values(), key=lambda c: (-c.confidence, c.id)))

    def _primary(
        self, reading: _Reading, capabilities: tuple[RequestedCapability, ...]
    ) -> tuple[RequestedCapability, ...]:
        """What a fit must serve: the best-evidenced capabilities of the ask, not the side ones.

        Of the central capabilities, one broader than another asked for is the context of
        the narrower ("accounting" beside "280E cannabis accounting"), and one read with much
        less confidence than the best is a side word ("funds" beside "trust accounting") — in
        a customer's own words; a product described in the third person may belong to several
        kinds at once. Both stay requested (they still count in the score) but stop being central.
        Structured must-haves always stay central.
        """
        central = [c for c in capabilities if c.central]
        if len(central) < 2:
            return capabilities
        ids = {c.id for c in central}
        best = max(c.confidence for c in central)
        demoted = set()
        head = self._head(reading, central)
        broader_than_asked = {
            cap.id
            for cap in central
            if any(cap.id in self.index.capabilities.broader[other] for other in ids - {cap.id})
        }
        if head is not None and head.id in broader_than_asked:
            # "factura electronica CFDI": the head is the context of the narrower ask, which
            # then qualifies nothing
            head = None
        for cap in central:
            if cap.must_have:
                continue
            narrower = cap.id in broader_than_asked
            side = (
                (reading.speaks_of_self and cap.confidence < PRIMARY_SHARE * best)
                or self._qualifies(reading, head, cap)
            ) and not self._listed(reading, cap)
            if (
                narrower
                or side
                or self._purpose_of(reading, head, cap)
                or self._feature_of(reading, head, cap)
                or self._named_within(cap, central)
            ):
                demoted.add(cap.id)
        return tuple(replace(c, central=False) if c.id in demoted else c for c in capabilities)

    def _named_within(self, cap: RequestedCapability, central: list[RequestedCapability]) -> bool:
        """Whether ``cap`` was read from one word that another capability asked for is named
        by ("the invoices" beside "invoice financing", "cards" beside "card payments"): that
        capability is about the word's thing; the word alone asks for nothing more."""
        words = cap.matched.split()
        if len(words) != 1 or cap.source == "vocabulary":
            return False
        word = stem(words[0].lower())
        capabilities = self.index.catalog.capabilities
        return any(
            other.id != cap.id
            and other.source != "vocabulary"
            and len(other.matched.split()) > 1
            and word in {stem(w) for w in folded_words(fold(capabilities[other.id].label))}
            for other in central
        )

    def _about_something_else(
        self, reading: _Reading, capabilities: tuple[RequestedCapability, ...]
    ) -> tuple[RequestedCapability, ...]:
        """What is asked for is the first thing the ask names; when the catalogue does not
        know it ("looking for a DJ for our accounting firm's party", "we need a forklift
        repaired at our warehouse"), capabilities named after it, in the same sentence and not
        as another item of a list, describe that thing's context, and vocabulary inferred from
        the ask is no ask: none of them is central."""
        thing = self._unknown_object(reading)
        if thing is None:
            return capabilities
        token = reading.tokens[thing]
        sentence = reading.sentence[thing]

        def context(cap: RequestedCapability) -> bool:
            if cap.source == "vocabulary":
                return True
            if cap.span is None or cap.span.start <= token.start:
                return False
            first = next(t for t in reading.tokens if t.end > cap.span.start)
            return reading.sentence[first.index] == sentence and not self._listed(reading, cap)

        return tuple(
            replace(c, central=False) if c.central and not c.must_have and context(c) else c
            for c in capabilities
        )

    def _unknown_object(self, reading: _Reading) -> int | None:
        """The first thing the ask names, after an article (see ``article`` cues), or what it
        wants done, after "to", when it is a specific word the catalogue does not know: its
        token index, else ``None``.

        Everyday words ("a company that…", "a new website") name nothing in particular, a
        capitalised name mid-sentence is a product or a place, a misspelling is looked up as
        what it misspells, and a word just before a capability's words qualifies them ("a
        simple payroll")."""
        if reading.cues is None:
            return None
        articles = reading.cues[1].get(CueKind.ARTICLE, {})
        asked: Sequence[int] = sorted(reading.ask)
        if not reading.has_ask:
            # a need that does not speak of the customer has its ask after an ask cue too
            # ("Need a locksmith - locked out of the shop"); a description has none
            starting = reading.cues[1].get(CueKind.ASK, {})
            cue = next(
                (i for i, word in enumerate(reading.folded) if (word,) in starting.get(word, ())),
                None,
            )
            if cue is None:
                return None
            asked = range(cue + 1, len(reading.tokens))
        language = reading.language
        tokens, words = reading.tokens, reading.folded
        # (the catalogue is written in English: in another language, whether it knows a word
        # is told by its English stem only, so only a rarer word is taken for a thing)
        english = language == "en"
        previous = -2
        after_article: bool | None = False  # None: this run of the ask named something known
        for i in asked:
            fresh = i != previous + 1  # the start of a run of asked words
            previous = i
            if fresh:
                after_article = False
            token = tokens[i]
            if i in reading.capability_words:
                after_article = None  # the ask names a capability first
            if words[i] in _PRODUCT_WORDS:
                # "software to record the rent": what follows the product asked for is what
                # it works on, not a thing asked for instead
                after_article = None
            if after_article is None:
                continue
            if english and i and words[i - 1] == "to" and self._unknown_action(reading, i):
                return i  # "we'd like to repaint the outside of our accountancy practice"
            if (words[i],) in articles.get(words[i], ()):
                after_article = True
                continue
            if (
                not after_article
                or i in reading.used
                or words[i] in self.stopwords
                or not token.folded.isalpha()
                or zipf(token.text.lower(), language)
                >= (OBJECT_ZIPF if english else FOREIGN_OBJECT_ZIPF)
                # (a capital mid-sentence is a name's, but every German noun has one)
                or (
                    token.text[:1].isupper()
                    and not token.text.isupper()
                    and i > 0
                    and language not in _CAPITALISED_NOUNS
                )
            ):
                continue
            word_stem = reading.english[i]
            corrected = self._correction(reading, word_stem)
            if self.index.offers_word(token, word_stem, language) or (
                _misspelt(token, language)
                and corrected is not None
                and corrected[0] != word_stem  # (a rare word, not a misspelling)
            ):
                after_article = None
                continue
            if i + 1 < len(tokens) and i + 1 in reading.capability_words:
                continue  # "a simple payroll": it qualifies what follows
            return i
        return None

    def _unknown_action(self, reading: _Reading, i: int) -> bool:
        """Whether the verb at ``i`` (after "to") is a specific one the offerings never use,
        so that what the customer wants done is something we do not do ("to repaint our
        office", "to carry leather notebooks"); "to spend", "to track" or "to reconcile" are
        everyday words or the offerings' own."""
        token = reading.tokens[i]
        if (
            i in reading.used
            or token.folded in self.stopwords
            or not token.folded.isalpha()
            or not token.text.islower()
            or zipf(token.text, reading.language) >= OBJECT_ZIPF
        ):
            return False
        word_stem = reading.english[i]
        if self.index.offers_word(token, word_stem, reading.language):
            return False
        corrected = self._correction(reading, word_stem)
        return not (_misspelt(token, reading.language) and corrected is not None)

    def _promoted(
        self, reading: _Reading, capabilities: tuple[RequestedCapability, ...]
    ) -> tuple[RequestedCapability, ...]:
        """When nothing was read in what the customer asks for and the ask itself is vague
        ("one app for all three", "something that calculates and files it", "the software"),
        the capabilities named in the context around it are what they ask for.

        An ask that names something the catalogue does not know ("a DJ for our accounting
        firm's party") stays not understood: the context is then only the customer's own.
        """
        if not reading.has_ask or any(c.central or c.must_have for c in capabilities):
            return capabilities
        named = [c for c in capabilities if c.source != "vocabulary"]
        if not named:
            return capabilities
        # who the customer is ("I'm a partner at a small accounting firm") asks for nothing
        named = [c for c in named if not self._identity(reading, c)]
        if not named:
            return capabilities
        # a means named in the ask ("off my bank account") is promoted only if nothing else is
        promoting = {c.id for c in named if c.id not in reading.means} or {c.id for c in named}
        language = reading.language
        assert reading.cues is not None
        cue_words = reading.cues[1].values()
        pointing = self._pointing_back(reading)
        for token in reading.tokens:
            if (
                token.index not in reading.ask
                or token.index in pointing
                or token.index in reading.used
                or token.folded in self.stopwords
                or not token.folded.isalpha()
                or (language != "en" and is_function_word(token.text.lower(), language))
                # what the ask refuses is not what it asks ("rather than typing them in
                # from PDFs")
                or self._cue(
                    reading,
                    CueKind.NEGATION,
                    token.index,
                    token.index + 1,
                    before=NEGATION_SCOPE,
                    after=0,
                )
                is not None
            ):
                continue
            everyday = zipf(token.text.lower(), language) >= (
                GENERIC_ZIPF if language == "en" else FOREIGN_GENERIC_ZIPF
            ) or any(  # a cue word of the language says how, not what ("possibilmente")
                (token.folded,) in table.get(token.folded, ()) for table in cue_words
            )
            known = self.index.offers_word(token, reading.english[token.index], language)
            if not everyday and not known:
                return capabilities  # the ask names something else
        return tuple(
            replace(
                c, central=True, confidence=round(min(1.0, c.confidence / CONTEXT_CONFIDENCE), 3)
            )
            if c.id in promoting
            else c
            for c in capabilities
        )

    @staticmethod
    def _pointing_back(reading: _Reading) -> set[int]:
        """The tokens of each stretch of the ask that opens on a word pointing back at what
        was named before ("Who does that for a small outfit?", "I need it calculated at
        checkout and filed"): what they add says how, not what else, is asked."""
        assert reading.cues is not None
        ask = reading.ask
        pointing: set[int] = set()
        for first in sorted(ask):
            if first - 1 in ask:
                continue  # not the start of a stretch
            if _cue_at(reading, CueKind.REFERENCE, first) is None:
                continue
            stop = first
            while stop in ask and reading.sentence[stop] == reading.sentence[first]:
                stop += 1
            pointing.update(range(first, stop))
        return pointing

    def _done_for_them(
        self, reading: _Reading, capabilities: tuple[RequestedCapability, ...]
    ) -> tuple[RequestedCapability, ...]:
        """When the words ask for a person to do it ("need sum1 2 do my taxes", "a real human
        to sort every purchase", see ``service`` cues) and no service was named, the service
        that does each central capability for them is what is asked; the capability itself
        stays requested, as context. A refused person ("without paying someone to") asks
        for nothing of the kind."""
        index = self.index.capabilities
        if not index.services_for or any(
            c.central and c.id in index.services for c in capabilities
        ):
            return capabilities
        if not self._asks_for_a_person(reading):
            return capabilities
        named = {c.id for c in capabilities if c.id in index.services}
        if named:  # a service named in passing ("haven't done my books") is the one asked
            return tuple(replace(c, central=True) if c.id in named else c for c in capabilities)
        added: dict[str, RequestedCapability] = {}
        demoted: set[str] = set()
        for cap in capabilities:
            if not cap.central or cap.must_have:
                continue
            for service in index.services_for.get(cap.id, ()):
                demoted.add(cap.id)
                label = index.capabilities[service].label
                added.setdefault(
                    service, replace(cap, id=service, label=label, source=cap.source, central=True)
                )
        if not added:
            return capabilities
        kept = tuple(
            replace(c, central=False) if c.id in demoted else c
            for c in capabilities
            if c.id not in added
        )
        return (*added.values(), *kept)

    def _asks_for_a_person(self, reading: _Reading) -> bool:
        """Whether a ``service`` cue stands in the need, not refused."""
        for first in range(len(reading.folded)):
            cue = _cue_at(reading, CueKind.SERVICE, first)
            if cue is not None and not any(
                self._cue(reading, kind, first, first + len(cue), before=NEGATION_SCOPE, after=0)
                for kind in (CueKind.NEGATION, CueKind.COMPLAINT)  # ("fed up paying someone")
            ):
                return True
        return False

    @staticmethod
    def _head(reading: _Reading, central: list[RequestedCapability]) -> RequestedCapability | None:
        """The first capability named in what the customer asks for (by position)."""
        named = [c for c in central if c.span is not None and c.source != "vocabulary"]
        asked = [c for c in named if any(reading.central(t.index) for t in _within(reading, c))]
        return min(asked or named, key=lambda c: c.span.start if c.span else 0, default=None)

    def _qualifies(
        self, reading: _Reading, head: RequestedCapability | None, cap: RequestedCapability
    ) -> bool:
        """Whether ``cap`` is named after the ask's first capability in the same clause, with
        no word that adds it to the ask between them (see ``addition`` cues): it qualifies
        the first rather than being asked beside it ("a merchant cash advance repaid from
        card takings", "a credit line to cover fuel between customer payments"; but
        "bookkeeping with bank feeds" asks for both)."""
        pair = _named_after(reading, head, cap, past=lambda span: span.start, within=reading.clause)
        if pair is None:
            return False
        first, after = pair
        if re.search(r"[+&]", reading.text[first[-1].end : after[0].start]):
            return False
        assert reading.cues is not None
        adding = reading.cues[1].get(CueKind.ADDITION, {})
        words = reading.folded
        gap = range(first[-1].index + 1, after[0].index)
        return not any(
            i + len(cue) <= gap.stop and tuple(words[i : i + len(cue)]) == cue
            for i in gap
            for cue in adding.get(words[i], ())
        )

    def _feature_of(
        self, reading: _Reading, head: RequestedCapability | None, cap: RequestedCapability
    ) -> bool:
        """Whether ``cap`` is named right after the ask's first capability, in its clause, as
        one of its features ("a business current account with cards", "trust accounting that
        reconciles", "payroll with pension auto-enrolment"): a fit must then be the first
        one; the feature still counts in the score and is named when nothing covers it."""
        pair = _named_after(reading, head, cap, past=lambda span: span.start, within=reading.clause)
        if pair is None:
            return False
        first, after = pair
        begin = first[-1].index + 1
        gap = reading.folded[begin : after[0].index]
        if not gap:
            return False
        assert reading.cues is not None
        features = reading.cues[1].get(CueKind.FEATURE, {})
        function_words = self.index.text.function_words
        for at, word in enumerate(gap):
            # the cue may follow where the thing runs ("a till on our iPads with …") and open
            # a list of features ("… with stock and card payments")
            if any(tuple(gap[at : at + len(cue)]) == cue for cue in features.get(word, ())):
                return len(gap) - at <= FEATURE_GAP
            if word not in function_words and begin + at not in reading.used:
                return False
        return False

    def _cross_border(
        self,
        reading: _Reading,
        capabilities: tuple[RequestedCapability, ...],
        home: str | None,
    ) -> tuple[RequestedCapability, ...]:
        """Paying someone abroad asks for an international payment too: a need asking for a
        capability of ``rules.cross_border_paying`` that names another party's place in
        another country than the customer's ("our supplier in Istanbul", from the US) or pays
        "in" a currency not theirs ("in USD", from France) asks for
        ``rules.cross_border_international`` as surely as for the paying."""
        target = self.rules.cross_border_international
        if (
            home is None
            or target is None
            or target not in self.index.catalog.capabilities
            or any(c.id == target for c in capabilities)
        ):
            return capabilities
        paying = [c for c in capabilities if c.central and c.id in self.rules.cross_border_paying]
        if not paying:
            return capabilities
        abroad = [(start, end) for country, start, end in reading.elsewhere if country != home]
        own_currency = country_currencies().get(home)
        words = reading.folded
        for i in range(1, len(words)):
            if words[i - 1] != "in" or not words[i].isalpha():
                continue
            for entry in self.index.lexicon.vocabulary_by_first.get(words[i], ()):
                if (
                    entry.kind is ConstraintKind.CURRENCY
                    and entry.value != own_currency
                    and tuple(words[i : i + len(entry.words)]) == entry.words
                ):
                    abroad.append((i - 1, i + len(entry.words)))
        if not abroad:
            return capabilities
        start, end = min(abroad)
        span, matched = self._span(reading, start, end)
        cap = self.index.catalog.capabilities[target]
        confidence = max(c.confidence for c in paying)
        international = RequestedCapability(target, cap.label, matched, confidence, "trigger", span)
        return (*capabilities, international)

    @staticmethod
    def _received(reading: _Reading, start: int, end: int) -> tuple[int, int] | None:
        """The ``received`` cue that tokens ``start:end`` lie inside ("give us a quote", "send
        me an invoice": a document someone gives the customer), as a token span, if any."""
        for at in range(max(0, start - RECEIVED_REACH), start + 1):
            cue = _cue_at(reading, CueKind.RECEIVED, at)
            if cue is not None and at + len(cue) >= end:
                return at, at + len(cue)
        return None

    def _who_they_are(
        self, reading: _Reading, capabilities: tuple[RequestedCapability, ...]
    ) -> tuple[RequestedCapability, ...]:
        """A capability whose words say what the customer is ("we're a small accountancy
        practice", "I'm a bookkeeper"), right after "we're a" or "I'm a" in its clause, is
        who is asking, not what they ask for: their context."""
        return tuple(
            replace(c, central=False)
            if c.central and not c.must_have and self._is_what_they_are(reading, c)
            else c
            for c in capabilities
        )

    def _is_what_they_are(self, reading: _Reading, cap: RequestedCapability) -> bool:
        words = _within(reading, cap)
        if not words:
            return False
        first, end = words[0].index, words[-1].index + 1
        # (the cue ends at most IDENTITY_GAP words before, in the same clause)
        return (
            self._cue(reading, CueKind.IDENTITY, first, end, before=IDENTITY_GAP + 1, after=0)
            is not None
        )

    def _identity(self, reading: _Reading, cap: RequestedCapability) -> bool:
        """Whether a capability's words say who the customer is ("I'm a partner at a small
        accounting firm", "we're an accountancy practice")."""
        words = _within(reading, cap)
        if not words:
            return False
        first = words[0].index
        return (
            self._cue(reading, CueKind.IDENTITY, first, words[-1].index + 1, before=5, after=0)
            is not None
        )

    @staticmethod
    def _purpose_of(
        reading: _Reading, head: RequestedCapability | None, cap: RequestedCapability
    ) -> bool:
        """Whether ``cap`` is named in what the ask's first capability is wanted for, in its
        sentence: "a fractional CFO to build our model and board reporting" asks for a CFO;
        the reporting is their job, so a fit need not be a reporting tool."""
        if cap.source == "vocabulary":
            return False
        pair = _named_after(reading, head, cap, past=lambda span: span.end, within=reading.sentence)
        if pair is None:
            return False
        first, after = pair
        gap = reading.folded[first[-1].index + 1 : after[0].index]
        return len(gap) >= 2 and gap[0] == "to" and gap[1] not in ("and", "or")

    def _listed(self, reading: _Reading, cap: RequestedCapability) -> bool:
        """Whether a capability's words are one item of a list of asks ("payroll, a bank
        account and a loan"), not words that qualify another ask ("trust accounting for
        client funds"): what comes just before them is a comma or a conjunction."""
        if cap.span is None:
            return False
        before = [t for t in reading.tokens if t.end <= cap.span.start][-3:]
        gap = reading.text[before[-1].end : cap.span.start] if before else ""
        words = {t.folded for t in before[-2:]}
        return bool(_LIST_MARK.search(gap)) or bool(words & _CONJUNCTIONS)

    def _not_understood(
        self, reading: _Reading, capabilities: tuple[RequestedCapability, ...]
    ) -> tuple[tuple[str, ...], float, bool]:
        """What was not understood, how much was, and whether the central ask was.

        Meaningful words are those that are neither stopwords nor function words of the
        need's language, nor numbers. Those nothing explains (no phrase, constraint, place,
        amount, name or capability used them) *within what the customer asks for* are
        returned as runs of words; context the customer describes around the ask is not
        listed. The ask is understood when some capability was read in it (or a structured
        must-have was given), or when it holds no meaningful word at all.
        """
        language = reading.language

        def meaningful(token: Token) -> bool:
            return (
                token.folded not in self.stopwords
                and not (language != "en" and is_function_word(token.text.lower(), language))
                and any(ch.isalpha() for ch in token.folded)
                and len(token.folded) > 1
            )

        content = [t for t in reading.tokens if meaningful(t)]
        explained = reading.used | reading.capability_words
        understood = (
            sum(1 for t in content if t.index in explained) / len(content) if content else 1.0
        )
        asked = [t for t in content if reading.central(t.index)]
        unexplained = [t for t in asked if t.index not in explained]
        runs: list[list[Token]] = []
        for token in unexplained:
            if (
                runs
                and token.index - runs[-1][-1].index <= 2
                and reading.clause[token.index] == reading.clause[runs[-1][-1].index]
            ):
                runs[-1].append(token)
            else:
                runs.append([token])
        central = [c for c in capabilities if c.central or c.must_have]
        ask_understood = bool(central) or not unexplained
        if not capabilities and not unexplained and content:
            # nothing asked was left unexplained, yet nothing was asked for: constraints only
            ask_understood = not reading.has_ask
        texts = tuple(reading.text[run[0].start : run[-1].end] for run in runs)
        return texts, round(understood, 3), ask_understood

    def _suggestions(
        self, reading: _Reading, capabilities: tuple[RequestedCapability, ...]
    ) -> tuple[tuple[str, str], ...]:
        """The capabilities nearest to a need whose ask was not understood: those read with
        too little evidence, those read only in the context, then those whose documents
        share the most words with the need."""
        found: list[str] = [c.id for c in sorted(reading.weak, key=lambda c: -c.confidence)]
        found += [c.id for c in capabilities]
        stems = [
            reading.english[t.index]
            for t in reading.tokens
            if t.folded not in self.stopwords and t.index not in reading.used
        ]
        if stems:
            scores = self.index.capabilities.documents.scores(stems)
            for position in np.argsort(-scores, kind="stable")[:SUGGESTIONS]:
                if scores[position] > 0:
                    found.append(self.index.capabilities.ids[int(position)])
        labels = self.index.catalog.capabilities
        return tuple((cap_id, labels[cap_id].label) for cap_id in dict.fromkeys(found))[
            :SUGGESTIONS
        ]


def _disregard(interpretation: Interpretation, need: Need) -> Interpretation:
    """``interpretation`` without the constraints the words state that ``need.ignore`` names.

    A field given in the request's structured constraints keeps its value (only what was read
    in the words is disregarded); the stated constraints dropped are marked ``overridden``.
    Dropping the budget drops the currency read with it; dropping the region restores the
    currency the words stated, had it been taken from that region ("$40" from Canada).
    """
    given, current = need.constraints, interpretation.constraints

    def structured(name: str) -> bool:
        return getattr(given, name, None) not in (None, ())

    values: dict[str, object] = {}
    for kind in CONSTRAINT_KINDS:
        name, value = kind.field, getattr(current, kind.field)
        if structured(name):
            continue
        if kind.many:
            values[name] = tuple(v for v in value if not need.ignores(name, v))
        elif value is not None and need.ignores(name, value):
            values[name] = None
    if not structured("currency"):
        read = [
            s.value for s in interpretation.stated if s.name == "currency" and s.source == "text"
        ]
        budget_dropped = "budget_monthly" in values and values["budget_monthly"] is None
        region_dropped = "region" in values and values["region"] is None
        if need.ignores("currency") or budget_dropped:
            values["currency"] = None
        elif region_dropped and read:
            values["currency"] = read[0]
    stated = tuple(
        replace(s, overridden=True)
        if s.source == "text" and need.ignores(s.name, s.value) and not structured(s.name)
        else s
        for s in interpretation.stated
    )
    soft = tuple(key for key in current.soft if not need.ignores(*key.split("=", 1)))
    constraints = replace(current, **values, soft=soft)  # type: ignore[arg-type]  # its fields
    return replace(interpretation, constraints=constraints, stated=stated)


def _in_compound(reading: _Reading, index: int) -> bool:
    """Whether the token at ``index`` is the second half of a hyphenated word ("ski-hire")."""
    if index <= 0:
        return False
    before, token = reading.tokens[index - 1], reading.tokens[index]
    return reading.text[before.end : token.start] == "-"


def _amount(raw: str) -> float:
    """A written amount as a number: "1,200.50", "1.200,50", "300 000", "45" (any size; a
    number too large for a float is infinite)."""
    digits = re.sub(r"[\s\u00a0\u202f']", "", raw)
    decimal = re.search(r"[.,](\d{1,2})$", digits)
    whole = digits[: decimal.start()] if decimal else digits
    whole = re.sub(r"[.,]", "", whole)
    text = f"{whole}.{decimal.group(1)}" if decimal else whole
    try:
        return float(text)
    except (ValueError, OverflowError):
        return math.inf


def _ambiguous_stem(token: Token, word_stem: str) -> bool:
    """Whether a word's stem is short and joins other words than its plural ("booking" →
    "book", the stem of "books"): no evidence by itself."""
    word = token.folded
    return len(word_stem) <= 4 and word not in (word_stem, word_stem + "s", word_stem + "es")


#: endings that make another form of the same word; any other ending after a shared stem
#: makes another word ("account" + "ant", "bookkeep" + "er")
_INFLECTIONS = ("", "s", "es", "e", "ed", "d", "ing", "ings")


def _same_root(token: Token, phrase: Phrase) -> bool:
    """Whether a need's word that shares its (English) stem with a word of the phrase is a form
    of that word, not a derived word of another meaning."""
    word = token.folded
    for want in phrase.words:
        if want == word or stem(want) != token.stem:
            continue
        root = token.stem
        if not (word.startswith(root) and want.startswith(root)):
            return True  # (the stem is no prefix of both: nothing to judge)
        return _inflected(word, root) and _inflected(want, root)
    return True


def _of(token: Token, phrase: Phrase) -> bool:
    """Whether a need's word is one of the phrase's (by stem)."""
    return token.stem in phrase.stems


def _inflected(word: str, root: str) -> bool:
    """Whether ``word`` is ``root`` inflected ("invoices", "scanning": a doubled consonant)."""
    rest = word[len(root) :]
    if rest[:1] == root[-1:] and rest[:1] not in "aeiou":
        rest = rest[1:]  # "scan" → "scanning", "ship" → "shipped"
    return rest in _INFLECTIONS


def _within(reading: _Reading, cap: RequestedCapability) -> list[Token]:
    """The need's tokens inside a capability's matched words."""
    if cap.span is None:
        return []
    return [t for t in reading.tokens if t.start >= cap.span.start and t.end <= cap.span.end]


def _misspelt(token: Token, language: str) -> bool:
    """Whether a word is no word of the need's language nor of English ("payrol", "invocie"):
    a misspelling, so sharing a stem with a phrase's word is no sign of another meaning."""
    word = token.text.lower()
    return (
        word.isalpha()
        and len(word) > 4
        and zipf(word, language) < REAL_WORD_ZIPF
        and zipf(word, "en") < REAL_WORD_ZIPF
    )


def _named_after(
    reading: _Reading,
    head: RequestedCapability | None,
    cap: RequestedCapability,
    *,
    past: Callable[[Span], int],
    within: Sequence[int],
) -> tuple[list[Token], list[Token]] | None:
    """The words of the ask's first capability and of ``cap``, when ``cap`` starts after
    ``past`` of the head's span (its start or its end) in the same unit of ``within`` (each
    token's clause or sentence number); ``None`` otherwise."""
    if head is None or cap is head or cap.span is None or head.span is None:
        return None
    if cap.span.start <= past(head.span):
        return None
    first, after = _within(reading, head), _within(reading, cap)
    if not first or not after or within[after[0].index] != within[first[-1].index]:
        return None
    return first, after


def _cue_at(reading: _Reading, kind: CueKind, at: int) -> tuple[str, ...] | None:
    """The longest cue phrase of ``kind`` that starts at token ``at``, if any."""
    assert reading.cues is not None
    words = reading.folded
    for cue in reading.cues[1].get(kind, {}).get(words[at], ()):
        if tuple(words[at : at + len(cue)]) == cue:
            return cue
    return None


def _particles_follow(reading: _Reading, token: Token, phrase: Phrase) -> bool:
    """Whether the word a one-word phrase carries after its word ("off" of "sign-off", "out"
    of "tip out": a stopword, yet part of its meaning) follows the need's word too."""
    stems = [stem(word) for word in phrase.words]
    if phrase.stems[0] not in stems:
        return True
    # (the particle right after the word: "clock in and out" is read in "clock-in screen")
    after = phrase.words[stems.index(phrase.stems[0]) + 1 :][:1]
    following = tuple(reading.folded[token.index + 1 : token.index + 1 + len(after)])
    return following == after


#: words that name a product or a person to do it: what the ask names after them is what
#: it works on ("an app to record the rent", "someone to fix the books")
_PRODUCT_WORDS = frozenset(
    {
        "software",
        "app",
        "apps",
        "tool",
        "tools",
        "system",
        "platform",
        "solution",
        "program",
        "programme",
        "something",
        "someone",
        "somebody",
        "service",
    }
)

#: other-party cues that are verbs of living: said of the customer, the place is theirs
_LIVING = frozenset({"living", "lives", "live"})

#: words before a noun that say whose it is
_POSSESSIVES = frozenset({"my", "our", "their", "his", "her", "your"})
#: what someone is said to say ("our accountant says", "my bookkeeper told me")
_REPORTING = frozenset(
    {
        "says", "said", "tells", "told", "recommends", "recommended", "suggests", "suggested",
        "advises", "advised", "mentioned", "insists", "reckons", "thinks", "wants",
    }
)  # fmt: skip

#: languages that write every noun with a capital
_CAPITALISED_NOUNS = frozenset({"de"})

#: words a one-word phrase may carry before its word that need not be written ("a loan")
_DETERMINERS = frozenset(
    {"a", "an", "the", "my", "our", "your", "their", "his", "her", "some", "any", "this"}
)


#: how a customer starts to say what they are ("I'm a web developer in Raleigh")
_SELF_OPENERS = tuple(
    (*subject, article)
    for subject in (("i'm",), ("im",), ("i", "am"), ("we're",), ("we", "are"), ("were",))
    for article in ("a", "an")
)


def _particles_precede(reading: _Reading, token: Token, phrase: Phrase) -> bool:
    """Whether the word a one-word phrase carries before its word ("get" of "get paid", "need"
    of "need cash", "self" of "self assessment": a stopword, yet part of its meaning) comes
    before the need's word too, in any form ("getting paid"); determiners may differ."""
    stems = [stem(word) for word in phrase.words]
    if phrase.stems[0] not in stems:
        return True
    wanted = [w for w in phrase.words[: stems.index(phrase.stems[0])] if w not in _DETERMINERS]
    if not wanted:
        return True
    at = token.index - 1
    while at >= 0 and reading.folded[at] in _DETERMINERS:
        at -= 1
    return at >= 0 and stem(reading.folded[at]) == stem(wanted[-1])


def _written_out(reading: _Reading, phrase: Phrase, token: Token) -> bool:
    """Whether a phrase of several words that reduce to one ("quem me deve": "deve") is
    written out in full around ``token``: all its words together say more than the one."""
    wanted = phrase.words
    if len(wanted) < 2:
        return False
    folded, at = reading.folded, token.index
    return any(
        tuple(folded[start : start + len(wanted)]) == wanted
        for start in range(max(0, at - len(wanted) + 1), at + 1)
    )


def _same_word(token: Token, phrase: Phrase) -> bool:
    """Whether a word that shares a short stem with a one-word phrase is that word (or its
    plural), not another word of the same root: short stems join unrelated words ("booking",
    "books": "book"; "paying", "pay")."""
    if len(phrase.stems[0]) > 4:
        return True
    have = token.folded
    for want in phrase.words:
        if have in (want, want + "s", want + "es") or want in (have + "s", have + "es"):
            return True
    return False


#: words after which an English word is a verb ("to book", "can't book", "we'll file")
_BEFORE_VERBS = frozenset(
    {
        "to",
        "can",
        "can't",
        "cant",
        "cannot",
        "could",
        "couldn't",
        "will",
        "won't",
        "would",
        "should",
        "must",
        "might",
        "may",
        "we'll",
        "i'll",
        "they'll",
        "let's",
        "please",
    }
)


def _verbs_of(words: Sequence[str]) -> list[str]:
    """The words a phrase uses as verbs: its first, and any after "to"."""
    return [*words[:1], *(after for before, after in pairwise(words) if before == "to")]


def _verb_of_plural(reading: _Reading, token: Token, phrase: Phrase) -> bool:
    """Whether an English need's word is the bare form of a one-word phrase's plural noun
    ("books", "bills") used as a verb, right after "to" or a modal: "people can't book
    slots", "I need to bill my clients"."""
    if reading.language != "en" or token.index == 0:
        return False
    have = token.folded
    if not any(want in (have + "s", have + "es") for want in phrase.words):
        return False
    return reading.folded[token.index - 1] in _BEFORE_VERBS


def _nearer(first: _Cue, second: _Cue, start: int, end: int) -> bool:
    """Whether cue ``first`` is at least as near the words ``[start, end)`` as ``second``."""

    def distance(cue: _Cue) -> int:
        return start - cue.end if cue.end <= start else cue.start - end

    return distance(first) <= distance(second)


def _unit(values: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    top = float(values.max()) if values.size else 0.0
    return values / top if top > 0 else values


def _in_another_order(phrase: Sequence[str], met: Sequence[str]) -> bool:
    """Whether a phrase's words (stems), met in a need in the order ``met``, stand there in
    another order than the phrase's: "payments by card" for "card payments". Each word counts
    once, where first met ("money in and money out" wants "money" twice)."""
    wanted = set(phrase)
    firsts = list(dict.fromkeys(w for w in met if w in wanted))
    return list(dict.fromkeys(w for w in phrase if w in firsts)) != firsts


def _first_of_each(
    capabilities: tuple[RequestedCapability, ...], described: RequestedCapability
) -> tuple[RequestedCapability, ...]:
    """``capabilities`` with one reading of the described capability: the central one, else
    the most confident (a phrase may have read it before as context, or too weakly)."""
    same = [c for c in capabilities if c.id == described.id]
    if len(same) < 2:
        return capabilities
    kept = max(same, key=lambda c: (c.central, c.confidence))
    return tuple(c for c in capabilities if c.id != described.id or c is kept)


def _evidence_words(
    english: list[str], content: list[Token], index: MatchingIndex, cap_id: str
) -> str:
    """The need's words that speak most for a capability (for the "matched" field)."""
    position = index.capabilities.position[cap_id]
    weighted = []
    for token in content:
        hit = index.capabilities.documents.terms.get(english[token.index])
        if hit is None:
            continue
        docs, weights = hit
        where = np.nonzero(docs == position)[0]
        if where.size:
            weighted.append((float(weights[where[0]]), token))
    best = sorted(weighted, key=lambda x: (-x[0], x[1].index))[:3]
    return " ".join(t.text for _, t in sorted(best, key=lambda x: x[1].index))


def _combine(name: str, items: list[_Found]) -> object:
    firm = [i for i in items if i.hard] or items
    if name == "budget_monthly":
        return min(float(i.value) for i in firm)
    if name == "region":
        return min(firm, key=lambda i: i.rank).value
    if name in ("segment", "currency"):
        return firm[0].value
    if name in ("price_models", "excluded_price_models"):
        return tuple(dict.fromkeys(PriceModel(i.value) for i in items))
    return tuple(dict.fromkeys(i.value for i in items))


def _soft_keys(name: str, items: list[_Found]) -> list[str]:
    if name in ("budget_monthly", "region", "segment", "currency"):
        return [] if any(i.hard for i in items) else [name]
    hard = {i.value for i in items if i.hard}
    return [f"{name}={i.value}" for i in items if i.value not in hard]


def _show(value: object) -> str:
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _problem(field_name: str, message: str) -> dict[str, str]:
    return {"field": f"constraints.{field_name}", "message": message}
