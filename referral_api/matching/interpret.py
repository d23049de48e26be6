"""Interpret a need: capabilities, constraints, negations, and what was not understood.

Reading order matters: constraints (budgets, team sizes, places, platforms, standards, price
models) are read first and their words set aside, then capabilities are read from what remains —
by phrase (labels, synonyms, examples, rule triggers; stems, any word order, small typos) and by
vocabulary (the words of capability documents and of similar offerings). How a constraint is
meant comes from cue words around it: "must run on Docker" is a requirement, "ideally on iPhone"
and a bare mention are preferences, "without PHP" excludes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
import pycountry

from referral_api.domain import (
    ConstraintKind,
    Constraints,
    Interpretation,
    Need,
    PriceModel,
    RequestedCapability,
    Span,
    StatedConstraint,
)
from referral_api.domain.rules import CueKind
from referral_api.errors import InputError
from referral_api.matching.index import (
    TEXT_NEIGHBOURS,
    MatchingIndex,
    Phrase,
    TextSums,
    VocabularyEntry,
)
from referral_api.matching.text import Token, tokenize

_BOUNDARY = re.compile(r"[.;:!?,()\[\]\n]|\bbut\b|\bhowever\b|\bwhereas\b", re.IGNORECASE)
_NUMBER = r"(?P<amount>\d{1,3}(?:[,\s]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s?(?P<k>[kK])?"
_TEAM = re.compile(
    r"(?:team|staff|crew|company|office|business|firm)\s+of\s+(?P<a>\d{1,6})"
    r"|(?P<b>\d{1,6})\s*(?:-|\s)?\s*(?:person|people|employees?|staff|members?|workers?|"
    r"users?|seats?|strong|folks|heads?|engineers?|colleagues|agents)\b",
    re.IGNORECASE,
)
_NEAR = 3  # tokens between a cue and what it qualifies
PHRASE_CONFIDENCE_FLOOR = 0.5
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


class NeedInterpreter:
    """Reads needs against one :class:`MatchingIndex`; safe to share between threads (all
    per-need state lives in a :class:`_Reading`)."""

    def __init__(self, index: MatchingIndex) -> None:
        self.index = index
        self.rules = index.rules
        self.stopwords = index.stopwords
        currencies = self.rules.vocabularies.get(ConstraintKind.CURRENCY, {})
        self.currency_words = {
            alias.lower(): code
            for code, aliases in currencies.items()
            for alias in (code, *aliases)
        }
        words = sorted(self.currency_words, key=len, reverse=True)
        alternatives = "|".join(re.escape(w) for w in words)
        periods = "|".join(
            re.escape(p) for p in sorted(self.rules.budget_periods, key=len, reverse=True)
        )
        suffixed = _NUMBER.replace("amount", "amount2").replace("<k>", "<k2>")
        self._money = (
            re.compile(
                rf"(?:(?P<pre>{alternatives})\s?{_NUMBER}"
                rf"|{suffixed}\s?(?P<post>{alternatives})(?![a-z]))"
                rf"(?P<per>\s*(?:/|per|a|an|each|every|\s)\s*(?P<period>{periods})\b)?",
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
        tokens = tokenize(need.text)
        reading = _Reading(tokens, need.text, [t.folded for t in tokens])
        self._boundaries(reading)
        self._budgets(reading)
        self._team_size(reading)
        self._vocabulary(reading)
        capabilities = self._capabilities(reading)
        constraints, stated = self._merge(reading, need.constraints)
        capabilities = self._must_haves(capabilities, constraints)
        not_understood = self._not_understood(reading, capabilities)
        terms = tuple(
            t.stem
            for t in reading.tokens
            if (t.index not in reading.used or t.index in reading.capability_words)
            and t.folded not in self.stopwords
        )
        interpretation = Interpretation(
            capabilities=capabilities,
            constraints=constraints,
            stated=(*stated, *reading.negated_capabilities),
            not_understood=not_understood,
            terms=terms,
        )
        return interpretation, tokens, reading.text_sums

    # structure of the text ----------------------------------------------------------------------
    def _boundaries(self, reading: _Reading) -> None:
        """``clause[i]``: which clause token i is in (cues never reach across clauses)."""
        clause, current, previous_end = [], 0, 0
        for token in reading.tokens:
            if _BOUNDARY.search(reading.text[previous_end : token.start]):
                current += 1
            clause.append(current)
            previous_end = token.end
        reading.clause = clause

    def _cue(
        self, reading: _Reading, kind: CueKind, start: int, end: int, *, before: int, after: int
    ) -> _Cue | None:
        """The nearest cue phrase of ``kind`` ending within ``before`` tokens of ``start`` or
        beginning within ``after`` tokens of ``end``, in the same clause (longest first)."""
        words, clause = reading.folded, reading.clause
        if start >= len(words):
            return None
        here = clause[start]
        ending = self.index.cues_ending.get(kind, {})
        for last in range(start - 1, max(-1, start - 1 - before), -1):
            if clause[last] != here:
                break
            for cue in ending.get(words[last], ()):
                first = last - len(cue) + 1
                if first >= 0 and clause[first] == here and tuple(words[first : last + 1]) == cue:
                    return _Cue(" ".join(cue), first, last + 1)
        starting = self.index.cues_starting.get(kind, {})
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
        if self._money is None:
            return
        for match in self._money.finditer(reading.text):
            raw = match.group("amount") or match.group("amount2")
            amount = float(re.sub(r"[,\s]", "", raw))
            if match.group("k") or match.group("k2"):
                amount *= 1000
            word = (match.group("pre") or match.group("post") or "").lower()
            currency = self.currency_words.get(word, "USD")
            period = (match.group("period") or "").lower()
            months = self.rules.budget_periods.get(period, 1.0) if period else 1.0
            bounds = self._mark_chars(reading, match.start(), match.end())
            if bounds is None:
                continue
            start, end = bounds
            ceiling = self._cue(reading, CueKind.BUDGET_CEILING, start, end, before=4, after=3)
            hedge = self._cue(reading, CueKind.HEDGE, start, end, before=5, after=4)
            for cue in (ceiling, hedge):
                if cue is not None:
                    self._mark(reading, cue.start, cue.end)
            span = Span(match.start(), match.end())
            hard = (ceiling is not None or bool(period)) and hedge is None
            reading.found.append(
                _Found("budget_monthly", f"{amount / months:.2f}", match.group(), span, hard=hard)
            )
            reading.found.append(_Found("currency", currency, match.group(), span, hard=hard))

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
                i += 1
                continue
            n = len(entries[0].words)
            entry = self._disambiguate(reading, entries, i, n)
            if entry is not None and self._record(reading, entry, i, i + n):
                self._mark(reading, i, i + n)
                i += n
            else:
                i += 1

    def _entries_at(self, reading: _Reading, i: int) -> list[VocabularyEntry]:
        tokens, words = reading.tokens, reading.folded
        for entry in self.index.vocabulary_by_first.get(tokens[i].folded, ()):
            n = len(entry.words)
            if tuple(words[i : i + n]) != entry.words or any(
                j in reading.used for j in range(i, i + n)
            ):
                continue
            if entry.kind is ConstraintKind.CURRENCY:
                continue
            if n == 1 and not self._plausible_word(tokens[i], entry):
                continue
            return [
                e
                for e in self.index.vocabulary_by_first[tokens[i].folded]
                if e.words == entry.words and e.kind is not ConstraintKind.CURRENCY
            ]
        return self._iso_code(reading, i)

    def _plausible_word(self, token: Token, entry: VocabularyEntry) -> bool:
        """Common words ("us", "go", "it") count only when written as names ("US", "Go")."""
        ambiguous_kinds = (ConstraintKind.REGION, ConstraintKind.PLATFORM, ConstraintKind.LANGUAGE)
        if (token.folded in self.stopwords and entry.kind in ambiguous_kinds) or len(
            token.folded
        ) <= 2:
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
        if country is None:
            return []
        # A bare capitalised pair ("AI gateway", "IT team") is rarely a country: only with a cue.
        if not self._cue(reading, CueKind.REGION, i, i + 1, before=2, after=0):
            return []
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
            before in {"in", "speaking", "speak"}
            or after in {"language", "interface", "ui", "version", "speaking", "speakers", "text"}
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
        negation = self._cue(reading, CueKind.NEGATION, start, end, before=_NEAR, after=0)
        hedge = self._cue(reading, CueKind.HEDGE, start, end, before=5, after=4)
        requirement = self._cue(
            reading, CueKind.REQUIREMENT, start, end, before=4, after=0
        ) or self._cue(reading, CueKind.REQUIREMENT_AFTER, start, end, before=0, after=3)
        kind, value = entry.kind, entry.value
        platform_cue: _Cue | None = None
        if kind is ConstraintKind.REGION:
            if negation:
                return False  # "not in the US" does not say where the customer is
            found = _Found("region", value, matched, span, hard=hedge is None)
        elif kind is ConstraintKind.PLATFORM:
            platform_cue = self._cue(reading, CueKind.PLATFORM, start, end, before=_NEAR, after=0)
            name = "excluded_platforms" if negation else "platforms"
            hard = negation is not None or (
                (platform_cue is not None or requirement is not None) and hedge is None
            )
            found = _Found(name, value, matched, span, negated=negation is not None, hard=hard)
        elif kind is ConstraintKind.PRICE_MODEL:
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
        content = [
            t
            for t in reading.tokens
            if t.index not in reading.used and t.folded not in self.index.function_words
        ]
        stems = [t.stem for t in content]
        corrected: dict[int, tuple[str, float]] = {}
        for position, token in enumerate(content):
            if token.stem not in self.index.phrases_by_first and not self.index.knows(token.stem):
                fix = self.index.correct(token.stem)
                if fix is not None:
                    corrected[position] = fix
        candidates: list[tuple[Phrase, int, int, float]] = []
        for position in range(len(content)):
            for candidate_stem, quality in self._stem_options(stems, corrected, position):
                for phrase in self.index.phrases_by_first.get(candidate_stem, ()):
                    match = self._match_phrase(phrase, stems, corrected, position, quality)
                    if match is not None:
                        candidates.append((phrase, position, match[0], match[1]))
        # Most specific phrase first: "card payments" is one capability, not also "payments".
        candidates.sort(key=lambda c: (-len(c[0].stems), -c[3], c[0].capability, c[1]))
        taken: dict[int, str] = {}
        found: dict[str, RequestedCapability] = {}
        for phrase, start, end, confidence in candidates:
            if any(taken.get(i, phrase.capability) != phrase.capability for i in range(start, end)):
                continue
            taken.update(dict.fromkeys(range(start, end), phrase.capability))
            self._accept(reading, found, phrase, content, start, end, confidence)
        inferred = self._infer(reading, content, found)
        for cap in inferred:
            if cap.id not in found:
                found[cap.id] = cap
        ordered = sorted(found.values(), key=lambda c: (-c.confidence, c.id))
        return tuple(ordered)

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
    ) -> tuple[int, float] | None:
        """Match ``phrase`` starting at ``position``, in order or (less surely) any order."""
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
                return position + n, phrase.confidence * min(scores) * quality
        # any order, within a slightly wider window: "payments by card" ~ "card payments"
        if n > 1:
            wide = range(position, min(len(stems), position + n + 1))
            available = {stems[i] for i in wide} | {corrected[i][0] for i in wide if i in corrected}
            if set(phrase.stems) <= available:
                return min(len(stems), position + n + 1), phrase.confidence * 0.9 * quality
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
        negation = self._cue(
            reading, CueKind.NEGATION, first.index, last.index + 1, before=_NEAR, after=0
        )
        span = Span(first.start, last.end)
        matched = reading.text[span.start : span.end]
        cap = self.index.catalog.capabilities[phrase.capability]
        if negation is not None:
            self._mark(reading, negation.start, negation.end)
            reading.negated_capabilities.append(
                StatedConstraint("capability", cap.id, matched, negated=True, span=span)
            )
            reading.used.update(t.index for t in content[start:end])
            return
        if self._cue(reading, CueKind.HEDGE, first.index, last.index + 1, before=4, after=3):
            confidence *= HEDGED_CAPABILITY
        reading.used.update(t.index for t in content[start:end])
        reading.capability_words.update(t.index for t in content[start:end])
        current = found.get(cap.id)
        if current is None or confidence > current.confidence:
            found[cap.id] = RequestedCapability(
                cap.id, cap.label, matched, round(confidence, 3), phrase.source, span
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
        stems = [
            t.stem
            for t in content
            if t.index not in reading.used and t.folded not in self.stopwords
        ]
        if not stems:
            return []
        index = self.index
        by_document = index.capability_text.scores(stems)
        by_neighbours = np.zeros(len(index.capability_ids), dtype=np.float32)
        reading.text_sums = sums = index.text.sums(stems)
        similarity = sums.sums.astype(np.float32)
        similarity[index.inactive_positions] = 0  # (a fresh array) retired offerings don't vote
        # only offerings sharing a word can vote, and the best of them score at least the floor
        # one of the words alone guarantees: rank those, not all N
        floor = index.text.floor(stems)
        sharing = np.flatnonzero(similarity >= floor if floor > 0 else similarity > 0)
        top = index.best_first(similarity, sharing, count=NEIGHBOURS_VOTING)[:NEIGHBOURS_VOTING]
        for rank, position in enumerate(top):
            weight = float(similarity[position])
            if weight <= 0:
                break
            for cap_position, level in index.offering_capabilities[position]:
                by_neighbours[cap_position] += weight * level / (1 + rank * 0.1)
        if by_document.max() <= 0 and by_neighbours.max() <= 0:
            return []
        combined = 0.5 * _unit(by_document) + 0.5 * _unit(by_neighbours)
        order = np.lexsort((index.capability_id_rank, -combined))  # ties by capability id
        best = float(combined[order[0]])
        # how much of the need the catalogue's vocabulary explains at all
        known = sum(1 for s in stems if index.knows(s)) / len(stems)
        strength = best * (0.5 + 0.5 * known)
        explicit = bool(found)
        inferred = []
        for position in order[:5]:
            score = float(combined[position])
            if score < 0.6 * best:
                break
            confidence = round(strength * score / best * (0.6 if explicit else 0.85), 3)
            if confidence < self.rules.thresholds.min_confidence * (0.5 if not explicit else 1.0):
                continue
            cap_id = index.capability_ids[int(position)]
            if cap_id in negated:
                continue
            words = _evidence(stems, content, index, cap_id)
            cap = index.catalog.capabilities[cap_id]
            inferred.append(RequestedCapability(cap_id, cap.label, words, confidence, "vocabulary"))
        return inferred

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
        for name, kind in (
            ("platforms", ConstraintKind.PLATFORM),
            ("excluded_platforms", ConstraintKind.PLATFORM),
            ("compliance", ConstraintKind.COMPLIANCE),
            ("languages", ConstraintKind.LANGUAGE),
        ):
            values = getattr(given, name)
            if values:
                out[name] = tuple(dict.fromkeys(rules.canonical(kind, v) for v in values))
        if given.segment:
            out["segment"] = rules.canonical(ConstraintKind.SEGMENT, given.segment)
        for name in ("price_models", "excluded_price_models"):
            if getattr(given, name):
                out[name] = tuple(getattr(given, name))
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
        records = self.index.records
        soft = list(constraints.soft)
        for name, dimension in (
            ("region", "region"),
            ("platforms", "platform"),
            ("excluded_platforms", "platform"),
            ("compliance", "compliance"),
            ("budget_monthly", "price"),
            ("price_models", "price"),
            ("excluded_price_models", "price"),
        ):
            given = getattr(constraints, name) not in (None, ())
            if given and name not in structured and not records[dimension]:
                soft.append(name)
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

    def _not_understood(
        self, reading: _Reading, capabilities: tuple[RequestedCapability, ...]
    ) -> tuple[str, ...]:
        """Runs of meaningful words that neither a phrase, a constraint nor the catalogue uses."""
        if not capabilities:
            unexplained = [
                t
                for t in reading.tokens
                if t.index not in reading.used and t.folded not in self.stopwords
            ]
        else:
            unexplained = [
                t
                for t in reading.tokens
                if t.index not in reading.used
                and t.folded not in self.stopwords
                and not self.index.knows(t.stem)
                and not t.folded.isdigit()
            ]
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
        return tuple(reading.text[run[0].start : run[-1].end] for run in runs)


def _unit(values: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    top = float(values.max()) if values.size else 0.0
    return values / top if top > 0 else values


def _evidence(stems: list[str], content: list[Token], index: MatchingIndex, cap_id: str) -> str:
    """The need's words that speak most for a capability (for the "matched" field)."""
    position = index.capability_position[cap_id]
    weighted = []
    for token in content:
        hit = index.capability_text.terms.get(token.stem)
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
    if name in ("region", "segment", "currency"):
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
