"""Interpretation and policy rules, as immutable values (see ``rules/README.md``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from referral_api.domain.catalog import Relationship, SourceRef


class ConstraintKind(StrEnum):
    """The kinds of constraint a need can state, in words or structured."""

    REGION = "region"
    PLATFORM = "platform"
    SEGMENT = "segment"
    COMPLIANCE = "compliance"
    LANGUAGE = "language"
    PRICE_MODEL = "price_model"
    CURRENCY = "currency"


class CueKind(StrEnum):
    """Kinds of cue words that tell how a phrase nearby is meant."""

    NEGATION = "negation"  # "no subscription", "without PHP"
    NEGATION_AFTER = "negation_after"  # "Android haben wir nicht", "is not an option"
    REFUSAL = "refusal"  # "nothing Android", "rien sous Windows": refuses the very next thing
    COMPLAINT = "complaint"  # "tired of", "sick of": refuses a constraint, asks for a capability
    REQUIREMENT = "requirement"  # "must run on", "we only use": makes what follows hard
    REQUIREMENT_AFTER = (
        "requirement_after"  # "Docker only", "HIPAA is a must": makes what precedes hard
    )
    HEDGE = "hedge"  # "ideally", "if possible": makes a constraint a preference
    BUDGET_CEILING = "budget_ceiling"  # "under", "at most"
    OTHER_MONEY = "other_money"  # "loan", "revenue", "currently paying": an amount not a budget
    AMOUNT_OF = "amount_of"  # "C$400k of machinery": right after an amount, the value of a thing
    PLATFORM = "platform"  # "on my", "we use": the customer's own platform, so a requirement
    PLATFORM_MENTION = "platform_mention"  # "on iPad", "for Android": required if said of oneself
    SELF = "self"  # "I", "we", "our": the customer speaks of themselves
    REGION = "region"  # "based in", "we're in"
    LANGUAGE = "language"  # "in", "speaking"
    ASK = "ask"  # "we need", "looking for", "who does": what follows is what they ask for
    INSTRUMENT = "instrument"  # "from my", "into our": what follows is a means the customer has
    ASK_AFTER = "ask_after"  # "payroll please", "bookkeeper wanted": what precedes is asked for
    OTHER_PARTY_AFTER = "other_party_after"  # "our US parent company", "UK customers"
    OTHER_PARTY = (
        "other_party"  # "our supplier in", "hire engineers in": a place not the customer's
    )
    PLACE = "place"  # "in", "near", "based": a city or state names where the customer is
    ORGANISATION = "organisation"  # "llc", "ltd", "brand": right after a place, the customer's
    ARTICLE = "article"  # "a", "the", "our": a thing is named next ("a DJ", "een dakdekker")
    ADDITION = "addition"  # "with", "that", "including": what follows is asked of the thing too
    FEATURE = "feature"  # "with", "that": what follows right after the thing is one of its features
    SERVICE = "service"  # "someone to", "outsourced": done for them, by a person
    IDENTITY = "identity"  # "I'm a partner at", "we're a": what follows is who they are
    RECEIVED = "received"  # "give us a quote": a document someone gives them, not one they make
    REFERENCE = "reference"  # "who does that", "I need it done": the ask points back at the context


class TieBreak(StrEnum):
    """Fit-related fields that may order equal scores; the offering id always comes last."""

    COVERAGE = "coverage"
    CONSTRAINTS_MET = "constraints_met"
    PRICE = "price"
    REVIEWED = "reviewed"
    NAME = "name"


@dataclass(frozen=True, slots=True)
class CapabilityTrigger:
    """Phrases that, when a need contains them, request a capability."""

    patterns: tuple[str, ...]
    capability: str
    confidence: float = 0.9
    source: SourceRef | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ConstraintTrigger:
    """Phrases that state a constraint, e.g. "runs in Docker" → platform ``docker``."""

    patterns: tuple[str, ...]
    kind: ConstraintKind
    value: str
    source: SourceRef | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class LanguageRules:
    """How to read a language besides English: its cue phrases and budget period words.

    English is read with the top-level ``cues`` and ``budget_periods``; every other supported
    language adds its own here (cue kinds a language leaves out are read in English only).
    """

    code: str
    name: str
    cues: Mapping[CueKind, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    budget_periods: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class Weights:
    """How much each kind of evidence counts. All in [0, 1]."""

    full: float = 1.0
    partial: float = 0.6
    via_narrower: float = 0.55
    #: through narrower kinds, the share of ``via_narrower`` an offering covering the fewest of
    #: them keeps (one covering the most keeps all of it)
    breadth_floor: float = 0.3
    via_broader: float = 0.4
    hop_decay: float = 0.5
    related: float = 0.15
    similarity: float = 0.35
    soft_penalty: float = 0.1
    integration_bonus: float = 0.1


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Cut-offs for interpretation and retrieval."""

    fuzzy_min: float = 88.0
    min_confidence: float = 0.55
    min_score: float = 0.05
    max_hops: int = 2
    relaxation_budget_ms: float = 50.0
    max_bundle_size: int = 3


@dataclass(frozen=True, slots=True)
class Policy:
    """Ranking and disclosure policy."""

    tie_break: tuple[TieBreak, ...] = (TieBreak.COVERAGE, TieBreak.CONSTRAINTS_MET, TieBreak.PRICE)
    staleness_days: int = 365
    disclosures: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    require_sources: frozenset[Relationship] = frozenset({Relationship.COMPETITOR})

    def disclosure_for(self, relationship: Relationship, fee: bool) -> str | None:
        """The default disclosure text for a relationship (``partner_fee`` when a fee exists)."""
        if relationship is Relationship.PARTNER and fee:
            return self.disclosures.get("partner_fee") or self.disclosures.get("partner")
        return self.disclosures.get(relationship.value)


@dataclass(frozen=True)
class Rules:
    """All rules, merged from ``rules/*.yaml``."""

    _aliases: Mapping[ConstraintKind, Mapping[str, str]] = field(
        init=False, repr=False, compare=False
    )

    version: str
    capability_triggers: tuple[CapabilityTrigger, ...] = ()
    constraint_triggers: tuple[ConstraintTrigger, ...] = ()
    #: kind → canonical value → aliases (``platform: {ios: [iphone, ipad]}``)
    vocabularies: Mapping[ConstraintKind, Mapping[str, tuple[str, ...]]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    #: named groups of region codes, e.g. ``EU: [AT, BE, …]``
    region_groups: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    #: cue kind → phrases (lower-case)
    cues: Mapping[CueKind, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    stopwords: frozenset[str] = frozenset()
    #: verbs that mean the same at the head of a capability phrase ("accept cards", "take
    #: cards"): each phrase is also read with the others of its group
    interchangeable_verbs: tuple[frozenset[str], ...] = ()
    #: capabilities that are services done for the customer (and every narrower one): asked
    #: for "someone to do my books", the service related to bookkeeping is what is asked
    service_capabilities: tuple[str, ...] = ()
    #: paying someone in another country: a need asking for one of ``cross_border_paying``
    #: that names another party's place abroad, or pays "in" a currency not the customer's,
    #: asks for ``cross_border_international`` too ("pay our suppliers in Shenzhen in USD")
    cross_border_paying: tuple[str, ...] = ()
    cross_border_international: str | None = None
    #: a charge paid every month ("monthly fee"): refused, nothing is to be paid each month
    #: (a zero monthly budget, which free plans and paying per use meet); wanted, a subscription
    recurring_charges: tuple[str, ...] = ()
    #: txt-speak and slang → the word it stands for (``sum1: someone``, ``wanna: want``)
    shorthand: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: digits txt-speak writes for a word (``2: to``, ``4: for``), read so only before one of
    #: ``digit_shorthand_before`` (an article, a pronoun, a verb: nothing one counts)
    digit_shorthand: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    digit_shorthand_before: frozenset[str] = frozenset()
    #: 1 unit of each currency in ``exchange_base`` (static, reviewed like code; approximate)
    exchange_base: str = "USD"
    exchange_rates: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    #: words for a budget's period → months per period (``year: 12``, ``week: 0.23``)
    budget_periods: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    #: segment → inclusive team-size range (``small: [2, 49]``); ``None`` is open-ended
    segment_sizes: Mapping[str, tuple[int, int | None]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    #: platforms that are alternatives to each other (devices, operating systems): excluding one
    #: only rules out offerings that offer none of the others. Excluding any other platform
    #: (a runtime such as PHP) rules out every offering that lists it.
    interchangeable_platforms: frozenset[str] = frozenset()
    #: languages read besides English (ISO 639-1 code → its cues and period words)
    languages: Mapping[str, LanguageRules] = field(default_factory=lambda: MappingProxyType({}))
    weights: Weights = field(default_factory=Weights)
    thresholds: Thresholds = field(default_factory=Thresholds)
    policy: Policy = field(default_factory=Policy)

    def __post_init__(self) -> None:
        aliases: dict[ConstraintKind, dict[str, str]] = {}
        for kind, entries in self.vocabularies.items():
            index = aliases.setdefault(kind, {})
            for canonical, words in entries.items():
                index[canonical.lower()] = canonical
                for word in words:
                    index[word.lower()] = canonical
        object.__setattr__(self, "_aliases", MappingProxyType(aliases))

    @property
    def supported_languages(self) -> tuple[str, ...]:
        """English and every language with rules of its own."""
        return ("en", *sorted(code for code in self.languages if code != "en"))

    def cues_for(self, language: str) -> Mapping[CueKind, tuple[str, ...]]:
        """The cue phrases to read a need in ``language`` with: English's and its own."""
        extra = self.languages.get(language)
        if extra is None:
            return self.cues
        merged = {kind: tuple(phrases) for kind, phrases in self.cues.items()}
        for kind, phrases in extra.cues.items():
            merged[kind] = (*merged.get(kind, ()), *phrases)
        return MappingProxyType(merged)

    def canonical(self, kind: ConstraintKind, value: str) -> str:
        """The canonical spelling of a vocabulary value (``iPhone`` → ``ios``).

        Unknown values pass through lower-cased (region codes upper-cased): vocabularies are open.
        """
        text = value.strip()
        found = self._aliases.get(kind, {}).get(text.lower())
        if found is not None:
            return found
        return text.upper() if kind is ConstraintKind.REGION and len(text) == 2 else text.lower()

    def aliases(self, kind: ConstraintKind) -> Mapping[str, str]:
        """Lower-cased alias or canonical value → canonical value, for one vocabulary."""
        return self._aliases.get(kind, {})
