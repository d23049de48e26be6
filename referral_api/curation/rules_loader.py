"""Load and validate ``rules/*.yaml`` into :class:`~referral_api.domain.rules.Rules`.

Each top-level key of a rules file is a *section*: one rule kind with its own typed reader,
registered in :data:`SECTIONS` (the registry ``rules/README.md`` documents, checked by a test).
A section may appear in one file only, so that every rule has exactly one place.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pycountry

from referral_api.curation.fields import FieldReader, did_you_mean
from referral_api.curation.located import line_of, parse_yaml
from referral_api.curation.problems import Problem, ProblemLog
from referral_api.domain.catalog import Relationship, SourceRef
from referral_api.domain.rules import (
    CapabilityTrigger,
    ConstraintKind,
    ConstraintTrigger,
    CueKind,
    LanguageRules,
    Policy,
    Rules,
    Thresholds,
    TieBreak,
    Weights,
)
from referral_api.errors import CatalogInvalid


@dataclass(frozen=True)
class RulesLoad:
    """The outcome of loading rules: the rules (``None`` if there were errors) and every problem."""

    rules: Rules | None
    problems: tuple[Problem, ...]

    def require(self) -> Rules:
        if self.rules is None:
            raise CatalogInvalid(self.problems)
        return self.rules


SectionReader = Callable[["_Context", Any], dict[str, Any]]


@dataclass(frozen=True)
class Section:
    """One rule kind: what it is for, and how to read it into ``Rules`` fields."""

    description: str
    read: SectionReader


class _Context:
    def __init__(self, file: str, key_line: int | None, log: ProblemLog) -> None:
        self.file = file
        self.key_line = key_line
        self.log = log

    def error(self, node: Any, key: str | int | None, field: str, message: str) -> None:
        self.log.error(self.file, line_of(node, key) or self.key_line, field, message)

    def reader(self, data: Mapping[str, Any], prefix: str) -> FieldReader:
        return FieldReader(data, self.file, prefix, self.log)

    def items(self, node: Any, name: str) -> list[tuple[int, Mapping[str, Any]]]:
        if not isinstance(node, list):
            self.error(node, None, name, "must be a list")
            return []
        out = []
        for index, item in enumerate(node):
            if isinstance(item, Mapping):
                out.append((index, item))
            else:
                self.error(node, index, f"{name}[{index}]", "must be a mapping")
        return out

    def mapping(self, node: Any, name: str) -> Mapping[str, Any]:
        if not isinstance(node, Mapping):
            self.error(node, None, name, "must be a mapping")
            return {}
        return node

    def source(self, node: Any) -> SourceRef:
        return SourceRef(self.file, line_of(node) or self.key_line or 0)


def _patterns(reader: FieldReader) -> tuple[str, ...]:
    patterns = reader.strings("patterns") + reader.strings("pattern")
    if not patterns:
        reader.log.error(
            reader.file, reader.line(), reader.path("patterns"), "at least one pattern"
        )
    return tuple(p.lower() for p in patterns)


def _read_capability_triggers(ctx: _Context, node: Any) -> dict[str, Any]:
    triggers = []
    for index, item in ctx.items(node, "capability_triggers"):
        reader = ctx.reader(item, f"capability_triggers[{index}]")
        reader.warn_unknown({"patterns", "pattern", "capability", "confidence", "description"})
        patterns = _patterns(reader)
        capability = reader.string("capability", required=True)
        confidence = reader.number("confidence", minimum=0.0)
        if confidence is not None and confidence > 1:
            reader.error("confidence", "must be between 0 and 1")
            confidence = None
        if patterns and capability:
            triggers.append(
                CapabilityTrigger(patterns, capability, confidence or 0.9, ctx.source(item))
            )
    return {"capability_triggers": tuple(triggers)}


def _read_constraint_triggers(ctx: _Context, node: Any) -> dict[str, Any]:
    triggers = []
    for index, item in ctx.items(node, "constraint_triggers"):
        reader = ctx.reader(item, f"constraint_triggers[{index}]")
        reader.warn_unknown({"patterns", "pattern", "constraint", "value", "description"})
        patterns = _patterns(reader)
        kind = reader.choice("constraint", ConstraintKind, required=True)
        value = reader.string("value", required=True)
        if patterns and kind and value:
            triggers.append(ConstraintTrigger(patterns, kind, value, ctx.source(item)))
    return {"constraint_triggers": tuple(triggers)}


def _read_vocabularies(ctx: _Context, node: Any) -> dict[str, Any]:
    vocabularies: dict[ConstraintKind, Mapping[str, tuple[str, ...]]] = {}
    for kind_name, entries in ctx.mapping(node, "vocabularies").items():
        try:
            kind = ConstraintKind(kind_name)
        except ValueError:
            hint = did_you_mean(kind_name, [k.value for k in ConstraintKind])
            ctx.error(node, kind_name, f"vocabularies.{kind_name}", f"unknown vocabulary{hint}")
            continue
        reader = ctx.reader(
            ctx.mapping(entries, f"vocabularies.{kind_name}"), f"vocabularies.{kind}"
        )
        vocabularies[kind] = MappingProxyType(
            {str(canonical): reader.strings(str(canonical)) for canonical in reader.data}
        )
    return {"vocabularies": MappingProxyType(vocabularies)}


def _read_cues(ctx: _Context, node: Any) -> dict[str, Any]:
    cues: dict[CueKind, tuple[str, ...]] = {}
    reader = ctx.reader(ctx.mapping(node, "cues"), "cues")
    for name in reader.data:
        try:
            kind = CueKind(name)
        except ValueError:
            reader.error(name, f"unknown cue kind{did_you_mean(name, [k.value for k in CueKind])}")
            continue
        cues[kind] = tuple(phrase.lower() for phrase in reader.strings(name))
    return {"cues": MappingProxyType(cues)}


def _read_languages(ctx: _Context, node: Any) -> dict[str, Any]:
    languages: dict[str, LanguageRules] = {}
    reader = ctx.reader(ctx.mapping(node, "languages"), "languages")
    for code in reader.data:
        if pycountry.languages.get(alpha_2=code) is None:
            reader.error(code, f"{code!r} is not an ISO 639-1 language code")
            continue
        block = reader.mapping(code) or {}
        inner = reader.nested(code, block)
        inner.warn_unknown({"name", "cues", "budget_periods"})
        cues: dict[CueKind, tuple[str, ...]] = {}
        cue_block = inner.mapping("cues") or {}
        cue_reader = inner.nested("cues", cue_block)
        for name in cue_block:
            try:
                kind = CueKind(name)
            except ValueError:
                known = [k.value for k in CueKind]
                cue_reader.error(name, f"unknown cue kind{did_you_mean(name, known)}")
                continue
            cues[kind] = tuple(phrase.lower() for phrase in cue_reader.strings(name))
        periods: dict[str, float] = {}
        period_block = inner.mapping("budget_periods") or {}
        period_reader = inner.nested("budget_periods", period_block)
        for word in period_block:
            months = period_reader.number(word, minimum=0.0)
            if months is not None and months > 0:
                periods[word.lower()] = months
        languages[code] = LanguageRules(
            code,
            inner.string("name") or code,
            MappingProxyType(cues),
            MappingProxyType(periods),
        )
    return {"languages": MappingProxyType(languages)}


def _valid_region(code: str) -> bool:
    return code == "global" or pycountry.countries.get(alpha_2=code) is not None


def _read_region_groups(ctx: _Context, node: Any) -> dict[str, Any]:
    groups: dict[str, tuple[str, ...]] = {}
    reader = ctx.reader(ctx.mapping(node, "region_groups"), "region_groups")
    for name in reader.data:
        codes = tuple(code.upper() for code in reader.strings(name))
        for code in codes:
            if not _valid_region(code):
                reader.error(name, f"{code!r} is not an ISO 3166 alpha-2 country code")
        groups[name.upper()] = codes
    return {"region_groups": MappingProxyType(groups)}


def _read_shorthand(ctx: _Context, node: Any) -> dict[str, Any]:
    table: dict[str, str] = {}
    reader = ctx.reader(ctx.mapping(node, "shorthand"), "shorthand")
    for short in reader.data:
        full = reader.string(short, required=True)
        if full is None:
            continue
        if len(str(short).split()) != 1 or len(full.split()) != 1:
            reader.error(short, "a shorthand and what it stands for are one word each")
            continue
        table[str(short).lower()] = full.lower()
    return {"shorthand": MappingProxyType(table)}


def _read_digit_shorthand(ctx: _Context, node: Any) -> dict[str, Any]:
    reader = ctx.reader(ctx.mapping(node, "digit_shorthand"), "digit_shorthand")
    reader.warn_unknown({"words", "before"})
    table: dict[str, str] = {}
    words = reader.mapping("words", required=True) or {}
    words_reader = reader.nested("words", words)
    for digit in words:
        full = words_reader.string(digit, required=True)
        if full is None:
            continue
        if not str(digit).isdigit() or len(full.split()) != 1:
            words_reader.error(digit, "a digit and the one word it stands for")
            continue
        table[str(digit)] = full.lower()
    before = frozenset(word.lower() for word in reader.strings("before"))
    return {"digit_shorthand": MappingProxyType(table), "digit_shorthand_before": before}


def _read_word_list(name: str) -> SectionReader:
    def read(ctx: _Context, node: Any) -> dict[str, Any]:
        words = ctx.reader({name: node}, "").strings(name)
        lowered = tuple(word.lower() for word in words)
        return {name: frozenset(lowered) if name == "stopwords" else lowered}

    return read


def _read_cross_border(ctx: _Context, node: Any) -> dict[str, Any]:
    reader = ctx.reader(ctx.mapping(node, "cross_border"), "cross_border")
    reader.warn_unknown({"paying", "international"})
    paying = tuple(word.lower() for word in reader.strings("paying"))
    international = reader.string("international")
    if paying and international is None:
        reader.error("international", "the capability paying abroad asks for is missing")
    return {
        "cross_border_paying": paying,
        "cross_border_international": international.lower() if international else None,
    }


def _read_exchange_rates(ctx: _Context, node: Any) -> dict[str, Any]:
    reader = ctx.reader(ctx.mapping(node, "exchange_rates"), "exchange_rates")
    reader.warn_unknown({"base", "rates"})
    base = (reader.string("base") or "USD").upper()
    rates: dict[str, float] = {base: 1.0}
    table = reader.mapping("rates") or {}
    rates_reader = reader.nested("rates", table)
    for code in table:
        if pycountry.currencies.get(alpha_3=code.upper()) is None:
            rates_reader.error(code, f"{code!r} is not an ISO 4217 currency code")
            continue
        rate = rates_reader.number(code, minimum=0.0)
        if rate is not None and rate > 0:
            rates[code.upper()] = rate
        elif rate == 0:
            rates_reader.error(code, "rate must be above 0")
    return {"exchange_base": base, "exchange_rates": MappingProxyType(rates)}


def _read_budget_periods(ctx: _Context, node: Any) -> dict[str, Any]:
    reader = ctx.reader(ctx.mapping(node, "budget_periods"), "budget_periods")
    periods: dict[str, float] = {}
    for word in reader.data:
        months = reader.number(word, minimum=0.0)
        if months is not None and months > 0:
            periods[word.lower()] = months
    return {"budget_periods": MappingProxyType(periods)}


def _read_segment_sizes(ctx: _Context, node: Any) -> dict[str, Any]:
    reader = ctx.reader(ctx.mapping(node, "segment_sizes"), "segment_sizes")
    sizes: dict[str, tuple[int, int | None]] = {}
    for segment, bounds in reader.data.items():
        ok = (
            isinstance(bounds, list)
            and len(bounds) == 2
            and isinstance(bounds[0], int)
            and (bounds[1] is None or isinstance(bounds[1], int))
            and (bounds[1] is None or bounds[0] <= bounds[1])
        )
        if not ok:
            reader.error(segment, "must be [smallest, largest] team size (largest may be null)")
            continue
        sizes[segment.lower()] = (bounds[0], bounds[1])
    return {"segment_sizes": MappingProxyType(sizes)}


def _read_interchangeable(ctx: _Context, node: Any) -> dict[str, Any]:
    words = ctx.reader({"interchangeable_platforms": node}, "").strings("interchangeable_platforms")
    return {"interchangeable_platforms": frozenset(w.lower() for w in words)}


def _read_verb_groups(ctx: _Context, node: Any) -> dict[str, Any]:
    name = "interchangeable_verbs"
    if not isinstance(node, list):
        ctx.error(node, None, name, "must be a list of groups of verbs ([[accept, take]])")
        return {}
    groups: list[frozenset[str]] = []
    for at, group in enumerate(node):
        if not isinstance(group, list) or len(group) < 2:
            ctx.error(node, at, name, f"group {at + 1}: a list of two or more verbs")
            continue
        words = [str(word).lower() for word in group]
        if any(len(word.split()) != 1 for word in words):
            ctx.error(node, at, name, f"group {at + 1}: one word per verb")
            continue
        groups.append(frozenset(words))
    return {name: tuple(groups)}


def _read_number_block(name: str, cls: type[Weights] | type[Thresholds]) -> SectionReader:
    fields = {f.name: f for f in dataclasses.fields(cls)}

    def read(ctx: _Context, node: Any) -> dict[str, Any]:
        reader = ctx.reader(ctx.mapping(node, name), name)
        for key in reader.unknown_keys(fields):
            reader.error(key, f"unknown {name[:-1]}{did_you_mean(key, fields)}")
        values: dict[str, Any] = {}
        for key, spec in fields.items():
            if spec.type in ("int", int):
                whole = reader.integer(key, minimum=0)
                if whole is not None:
                    values[key] = whole
                continue
            number = reader.number(key, minimum=0.0)
            if number is None:
                continue
            if cls is Weights and number > 1:
                reader.error(key, "weights are between 0 and 1")
                continue
            values[key] = number
        return {name: cls(**values)}

    return read


def _read_policy(ctx: _Context, node: Any) -> dict[str, Any]:
    reader = ctx.reader(ctx.mapping(node, "policy"), "policy")
    reader.warn_unknown({"tie_break", "staleness_days", "disclosures", "require_sources"})
    tie_break: list[TieBreak] = []
    for index, word in enumerate(reader.strings("tie_break")):
        if word.lower() == "relationship":
            reader.error(
                "tie_break",
                "relationship can never break ties: ranking is ownership-blind",
            )
            continue
        try:
            tie_break.append(TieBreak(word.lower()))
        except ValueError:
            allowed = ", ".join(t.value for t in TieBreak)
            reader.error("tie_break", f"[{index}] {word!r} is not one of {allowed}")
    disclosures = reader.mapping("disclosures") or {}
    known_disclosures = {r.value for r in Relationship} | {"partner_fee"}
    texts = reader.nested("disclosures", disclosures)
    for key in texts.unknown_keys(known_disclosures):
        texts.error(key, f"unknown relationship{did_you_mean(key, known_disclosures)}")
    required: set[Relationship] = set()
    for word in reader.strings("require_sources"):
        try:
            required.add(Relationship(word.lower()))
        except ValueError:
            reader.error("require_sources", f"{word!r} is not a relationship")
    staleness = reader.integer("staleness_days", minimum=1)
    defaults = Policy()
    return {
        "policy": Policy(
            tie_break=tuple(tie_break) if reader.has("tie_break") else defaults.tie_break,
            staleness_days=staleness if staleness is not None else defaults.staleness_days,
            disclosures=MappingProxyType(
                {k: t for k in known_disclosures if (t := texts.string(k)) is not None}
            ),
            require_sources=frozenset(required)
            if reader.has("require_sources")
            else defaults.require_sources,
        )
    }


def _read_version(ctx: _Context, node: Any) -> dict[str, Any]:
    return {"version": ctx.reader({"version": node}, "").string("version", required=True)}


#: Every rule kind, by the top-level key that holds it.
SECTIONS: Mapping[str, Section] = MappingProxyType(
    {
        "version": Section("A name for this rules set; a content hash is appended.", _read_version),
        "capability_triggers": Section(
            "Phrases that request a capability.", _read_capability_triggers
        ),
        "constraint_triggers": Section(
            "Phrases that state a constraint (platform, region, …).", _read_constraint_triggers
        ),
        "vocabularies": Section(
            "Canonical values and their aliases per constraint kind.", _read_vocabularies
        ),
        "region_groups": Section("Named groups of country codes (EU, DACH…).", _read_region_groups),
        "cues": Section("Cue phrases that tell how nearby words are meant.", _read_cues),
        "languages": Section(
            "Languages read besides English: cue phrases and budget periods.", _read_languages
        ),
        "shorthand": Section(
            "Txt-speak and slang read as the word they stand for (sum1: someone).",
            _read_shorthand,
        ),
        "digit_shorthand": Section(
            "Digits txt-speak writes for a word (2: to, 4: for), before what nobody counts.",
            _read_digit_shorthand,
        ),
        "service_capabilities": Section(
            "Capabilities that are services done for the customer (with their narrower ones).",
            _read_word_list("service_capabilities"),
        ),
        "cross_border": Section(
            "Paying someone abroad: the capability that asks for besides paying.",
            _read_cross_border,
        ),
        "recurring_charges": Section(
            "Words for a charge paid every month: refused, the monthly budget is zero.",
            _read_word_list("recurring_charges"),
        ),
        "interchangeable_verbs": Section(
            "Verbs that mean the same at the head of a phrase (accept / take).",
            _read_verb_groups,
        ),
        "stopwords": Section(
            "Words that carry no meaning for matching.", _read_word_list("stopwords")
        ),
        "exchange_rates": Section("Approximate currency rates for budgets.", _read_exchange_rates),
        "budget_periods": Section("Budget period words → months.", _read_budget_periods),
        "segment_sizes": Section("Team-size ranges per segment.", _read_segment_sizes),
        "interchangeable_platforms": Section(
            "Platforms that are alternatives to each other.", _read_interchangeable
        ),
        "weights": Section(
            "How much each kind of evidence counts.", _read_number_block("weights", Weights)
        ),
        "thresholds": Section(
            "Cut-offs for interpretation and retrieval.",
            _read_number_block("thresholds", Thresholds),
        ),
        "policy": Section("Tie-break, staleness and disclosure policy.", _read_policy),
    }
)


def load_rules(rules_dir: Path) -> RulesLoad:
    """Load every ``*.yaml`` file of ``rules_dir``; report all problems, each with file and line."""
    log = ProblemLog()
    display_root = str(rules_dir)
    if not rules_dir.is_dir():
        log.error(display_root, None, "(dir)", "rules directory does not exist")
        return RulesLoad(None, tuple(log.sorted()))
    return _load_texts(read_rules_texts(rules_dir, log), display_root, log)


def read_rules_texts(rules_dir: Path, log: ProblemLog | None = None) -> dict[str, str]:
    """The rules files' texts by file name, in load order (a snapshot a store can keep)."""
    texts: dict[str, str] = {}
    for path in sorted(rules_dir.glob("*.yaml")) + sorted(rules_dir.glob("*.yml")):
        try:
            texts[path.name] = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            if log is not None:
                where = f"{str(rules_dir).rstrip('/')}/{path.name}"
                log.error(
                    where, None, "(file)", f"not UTF-8 text: {exc.reason} at byte {exc.start}"
                )
    return texts


def load_rules_texts(texts: Mapping[str, str], display_root: str = "rules") -> RulesLoad:
    """Load rules from file texts by name (from :func:`read_rules_texts`), exactly like files.

    The version is the same as for the files the texts were read from.
    """
    return _load_texts(texts, display_root, ProblemLog())


def _load_texts(texts: Mapping[str, str], display_root: str, log: ProblemLog) -> RulesLoad:
    digest = hashlib.sha256()
    values: dict[str, Any] = {}
    seen: dict[str, str] = {}
    for name, text in texts.items():
        display = f"{display_root.rstrip('/')}/{name}"
        digest.update(name.encode() + b"\0" + text.encode("utf-8") + b"\0")
        data = parse_yaml(text, display, log)
        if data is None:
            continue
        if not isinstance(data, Mapping):
            log.error(display, line_of(data), "(file)", "a rules file is a mapping of sections")
            continue
        for key, node in data.items():
            key_line = line_of(data, key)
            section = SECTIONS.get(key)
            if section is None:
                log.error(display, key_line, key, f"unknown rule kind{did_you_mean(key, SECTIONS)}")
                continue
            if key in seen:
                log.error(display, key_line, key, f"section already defined in {seen[key]}")
                continue
            seen[key] = f"{display}:{key_line}"
            values.update(section.read(_Context(display, key_line, log), node))
    name = values.pop("version", None) or "rules"
    version = f"{name}+{digest.hexdigest()[:12]}"
    if log.has_errors:
        return RulesLoad(None, tuple(log.sorted()))
    return RulesLoad(Rules(version=version, **values), tuple(log.sorted()))
