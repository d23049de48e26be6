"""A customer's need and what the engine understood of it."""

from __future__ import annotations

from dataclasses import dataclass, field

from referral_api.domain.catalog import PriceModel, SourceRef

#: what stored need texts hold in place of personal data, as ``[kind]`` ("call me on [phone]"):
#: the redaction writes them (of two overlapping finds, the kind named first wins), the engine
#: and the gap report's miners read past them
REDACTED_KINDS = ("email", "card", "phone")


def redaction_placeholder(kind: str) -> str:
    """The text that stands for a redacted ``kind`` of personal data in a stored need."""
    return f"[{kind}]"


@dataclass(frozen=True, slots=True)
class Constraints:
    """Constraints on a need. Empty fields constrain nothing.

    Hard (an offering failing one is never a fit): ``budget_monthly``, ``region``,
    ``language_area``, ``platforms``, ``excluded_platforms``, ``compliance``, ``must_have``,
    ``price_models``, ``excluded_price_models``. Soft (lower the score, with a caveat): ``segment``,
    ``languages``, and whatever ``soft`` names — a field (``"budget_monthly"``) or one value of
    a field (``"platforms=ios"``): a constraint stated in passing or with a hedge ("ideally
    on iPhone").
    """

    budget_monthly: float | None = None
    currency: str | None = None
    region: str | None = None
    #: the customer is where this language (ISO 639-1) is spoken: read from the language of a
    #: need that names no place of the customer's
    language_area: str | None = None
    platforms: tuple[str, ...] = ()
    excluded_platforms: tuple[str, ...] = ()
    segment: str | None = None
    must_have: tuple[str, ...] = ()
    compliance: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    price_models: tuple[PriceModel, ...] = ()
    excluded_price_models: tuple[PriceModel, ...] = ()
    soft: tuple[str, ...] = ()

    def is_soft(self, name: str, value: object = None) -> bool:
        """Whether the constraint ``name`` (or its ``value``) is only a preference."""
        return name in self.soft or (value is not None and f"{name}={value}" in self.soft)


@dataclass(frozen=True, slots=True)
class Need:
    """What the customer asked for: their own words plus optional structured constraints.

    Structured constraints override what the text states for the same field. ``ignore``
    names constraints the words state that the request disregards — a field (``"region"``) or
    one value of a list field (``"platforms=ios"``), as :attr:`Constraints.soft` names them —
    so that a constraint read wrongly can be taken out without rewording the need.
    """

    text: str
    constraints: Constraints = field(default_factory=Constraints)
    ignore: tuple[str, ...] = ()

    def ignores(self, name: str, value: object = None) -> bool:
        """Whether the words' constraint ``name`` (or its ``value``) is to be disregarded."""
        return name in self.ignore or (value is not None and f"{name}={value}" in self.ignore)


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open character range ``[start, end)`` of the need text."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class RequestedCapability:
    """A capability the engine read in the need, with the words that triggered it."""

    id: str
    label: str
    matched: str
    confidence: float
    source: str  # label | synonym | example | trigger | translation | vocabulary | request
    span: Span | None = None
    must_have: bool = False
    #: part of what the customer asks for (not only of the context they describe)
    central: bool = True


@dataclass(frozen=True, slots=True)
class StatedConstraint:
    """A constraint read in the need text (or given in the request), e.g. ``platform=ios``."""

    name: str
    value: str
    matched: str
    negated: bool = False
    #: text (read in the words) | request (structured) | language (the language the need is
    #: written in, for ``language_area``)
    source: str = "text"
    span: Span | None = None
    overridden: bool = False


@dataclass(frozen=True, slots=True)
class Interpretation:
    """What the engine understood: capabilities, the effective constraints, and what it did not."""

    capabilities: tuple[RequestedCapability, ...]
    constraints: Constraints
    stated: tuple[StatedConstraint, ...] = ()
    not_understood: tuple[str, ...] = ()
    terms: tuple[str, ...] = field(default=(), compare=False)
    origin: SourceRef | None = field(default=None, compare=False, repr=False)
    #: the language the need was read in (ISO 639-1)
    language: str = "en"
    #: share of the need's meaningful words that were understood (0–1)
    understood: float = 1.0
    #: whether what the customer centrally asks for was understood; when not, no fit is claimed
    ask_understood: bool = True
    #: capabilities nearest to what was not understood ("did you mean …?"): (id, label)
    suggestions: tuple[tuple[str, str], ...] = ()
    #: offerings the customer named as what they use today (never read as capabilities)
    mentioned: tuple[str, ...] = ()
