"""The v1 wire format: the single source of the API's shapes, and the one mapping from the engine.

Families are named alike: ``XCreate`` / ``XUpdate`` (bodies, unknown fields refused),
``XPublic`` (responses), ``XsPublic{data, count}`` (lists). Every field has a description and
an example, so the committed OpenAPI reads as documentation. :func:`recommendation_public` is
the only translation from a domain :class:`~referral_api.domain.Recommendation` to the wire; the
CLI's ``--json`` output uses it too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from referral_api.curation.urls import url_problem
from referral_api.domain import (
    Catalog,
    Constraints,
    ConstraintVerdict,
    CoverageLevel,
    CoverageStatus,
    Fit,
    Need,
    Offering,
    OfferingStatus,
    PriceModel,
    Recommendation,
    Relationship,
    Rules,
    StatedConstraint,
)
from referral_api.domain.constraint_kinds import CONSTRAINT_KINDS
from referral_api.errors import InputError
from referral_api.insights.clusters import Cluster
from referral_api.insights.gaps import GAP_KINDS, GapKind
from referral_api.insights.report import GapFilter, GapReport, default_window
from referral_api.matching import interpret as reading

MAX_LIMIT = 50
NEED_MAX = 2000

Word = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
NeedText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NEED_MAX)
]


def F(description: str, example: Any, **kwargs: Any) -> Any:
    """A field with its description and one example (both land in the OpenAPI document)."""
    return Field(description=description, examples=[example], **kwargs)


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Body(BaseModel):
    """A request body: unknown fields are refused, so nothing can be mass-assigned.

    NUL characters are refused anywhere in it: no store keeps them faithfully (PostgreSQL
    text refuses them), and no customer means one.
    """

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        where = _nul_path(data, "")
        if where is not None:
            raise FieldValueError(f"NUL characters are not allowed (at {where or 'body'})", where)
        return data


class FieldValueError(ValueError):
    """A model-level check's error about one of its fields (``field``, dotted), so that the
    problem names that field rather than the whole body."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _nul_path(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            found = inner if "\x00" in str(key) else _nul_path(item, inner)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_path(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


# --- recommendations: request ------------------------------------------------------------------


class ConstraintsCreate(Body):
    budget_monthly: float | None = F(
        "Most the customer will pay per month (hard).", 50, default=None, ge=0, le=1e9
    )
    currency: str | None = F(
        "ISO 4217 currency of the budget.", "USD", default=None, pattern="^[A-Za-z]{3}$"
    )
    region: str | None = F(
        "Where the customer is: ISO 3166 alpha-2 code or a region group (hard).",
        "DE",
        default=None,
        min_length=2,
        max_length=40,
    )
    platforms: list[Word] = F(
        "Platforms the offering must run on (hard).", ["ios"], default=[], max_length=20
    )
    excluded_platforms: list[Word] = F(
        "Platforms the customer will not use (hard).", ["windows"], default=[], max_length=20
    )
    segment: Word | None = F("Customer segment (soft).", "small", default=None)
    must_have: list[Word] = F(
        "Capability ids every fit must cover (hard).", ["invoicing"], default=[], max_length=20
    )
    compliance: list[Word] = F(
        "Compliance the offering must hold (hard).", ["gdpr"], default=[], max_length=20
    )
    languages: list[Word] = F(
        "Languages the customer prefers (soft).", ["de"], default=[], max_length=20
    )
    price_models: list[PriceModel] = F(
        "Only these price models (hard).", ["subscription"], default=[], max_length=5
    )
    excluded_price_models: list[PriceModel] = F(
        "Price models the customer refuses (hard).", ["usage"], default=[], max_length=5
    )


class RecommendationCreate(Body):
    need: NeedText = F(
        "The customer's need in their own words (1–2,000 characters).",
        "We need to send invoices and take card payments, on iPhone, under $50 a month.",
    )
    constraints: ConstraintsCreate = F(
        "Structured constraints; they override what the text states for the same field.",
        {"region": "DE", "must_have": ["invoicing"]},
        default_factory=ConstraintsCreate,
    )
    limit: int = F("How many ranked results to return.", 5, default=5, ge=1, le=MAX_LIMIT)

    def to_need(self) -> Need:
        c = self.constraints
        values: dict[str, Any] = {
            kind.field: tuple(getattr(c, kind.field)) if kind.many else getattr(c, kind.field)
            for kind in CONSTRAINT_KINDS
        }
        currency = c.currency.upper() if c.currency else None
        return Need(text=self.need, constraints=Constraints(**values, currency=currency))


# --- recommendations: response -----------------------------------------------------------------


class SpanPublic(Schema):
    start: int = F("First character of the need text (0-based).", 8)
    end: int = F("One past the last character.", 16)


class CapabilityReadPublic(Schema):
    id: str = F("Capability id.", "invoicing")
    label: str = F("Capability label.", "Invoicing")
    matched: str = F("The words of the need that requested it.", "invoices")
    confidence: float = F("How sure the reading is, 0–1.", 0.93)
    source: str = F("What matched: label, synonym, example, trigger, fuzzy, request.", "synonym")
    must_have: bool = F("Whether it is a hard requirement.", False)
    span: SpanPublic | None = F("Where in the need text it was read.", {"start": 8, "end": 16})
    central: bool = F(
        "Whether it is part of what the customer asks for, not only of the context they "
        "describe (a fit must serve a central capability).",
        True,
        default=True,
    )


class SuggestionPublic(Schema):
    id: str = F("Capability id.", "payroll")
    label: str = F("Capability label.", "Payroll")


class StatedConstraintPublic(Schema):
    name: str = F("Constraint name.", "platform")
    value: str = F("Canonical value.", "ios")
    matched: str = F("The words that stated it.", "on iPhone")
    negated: bool = F('Whether the need excludes it ("not on Windows").', False)
    source: str = F("text (read in the need) or request (structured).", "text")
    overridden: bool = F("Whether a structured constraint replaced it.", False)


class ConstraintsPublic(Schema):
    budget_monthly: float | None = F("Monthly budget ceiling.", 50)
    currency: str | None = F("Currency of the budget.", "USD")
    region: str | None = F("Region the customer is in.", "DE")
    platforms: list[str] = F("Required platforms.", ["ios"])
    excluded_platforms: list[str] = F("Excluded platforms.", ["windows"])
    segment: str | None = F("Customer segment.", "small")
    must_have: list[str] = F("Required capability ids.", ["invoicing"])
    compliance: list[str] = F("Required compliance.", ["gdpr"])
    languages: list[str] = F("Preferred languages.", ["de"])
    price_models: list[PriceModel] = F("Allowed price models.", ["subscription"])
    excluded_price_models: list[PriceModel] = F("Excluded price models.", ["usage"])
    soft: list[str] = F("Constraints treated as preferences.", ["segment"])


class InterpretationPublic(Schema):
    capabilities: list[CapabilityReadPublic] = F(
        "Capabilities read in the need.",
        [{"id": "invoicing", "label": "Invoicing", "matched": "invoices", "confidence": 0.93,
          "source": "synonym", "must_have": False, "span": None}],
    )  # fmt: skip
    constraints: ConstraintsPublic = F(
        "The effective constraints (text and structured, merged).",
        {"region": "DE", "platforms": ["ios"], "budget_monthly": 50, "currency": "USD",
         "excluded_platforms": [], "segment": None, "must_have": [], "compliance": [],
         "languages": [], "price_models": [], "excluded_price_models": [], "soft": []},
    )  # fmt: skip
    stated: list[StatedConstraintPublic] = F(
        "Every constraint read or given, with the words that stated it.",
        [{"name": "platform", "value": "ios", "matched": "on iPhone", "negated": False,
          "source": "text", "overridden": False}],
    )  # fmt: skip
    negations: list[StatedConstraintPublic] = F(
        "The stated constraints that exclude something.",
        [{"name": "price_model", "value": "subscription", "matched": "no subscription",
          "negated": True, "source": "text", "overridden": False}],
    )  # fmt: skip
    not_understood: list[str] = F(
        "Parts of what the customer asks for that nothing matched.", ["website builder"]
    )
    language: str = F("The language the need was read in (ISO 639-1).", "en", default="en")
    understood: float = F(
        "Share of the need's meaningful words that were understood, 0–1.", 0.75, default=1.0
    )
    ask_understood: bool = F(
        "Whether what the customer centrally asks for was understood; when not, no fit is "
        "claimed and did_you_mean offers the nearest capabilities.",
        True,
        default=True,
    )
    did_you_mean: list[SuggestionPublic] = F(
        "The capabilities nearest to an ask that was not understood.",
        [{"id": "payroll", "label": "Payroll"}],
        default_factory=list,
    )
    mentioned: list[str] = F(
        "Offerings the customer named (what they use today), never read as capabilities.",
        ["ledgerly-books"],
        default_factory=list,
    )


class OfferingRef(Schema):
    id: str = F("Offering id.", "ledgerly-books")
    name: str = F("Offering name.", "Ledgerly Books")
    provider: str | None = F("Who provides it.", "Ledgerly")
    relationship: Relationship = F("Our relationship to it (never a ranking input).", "own")
    url: str | None = F("Where to find it.", "https://example.com")


class CoveragePublic(Schema):
    capability: str = F("Requested capability id.", "invoicing")
    status: CoverageStatus = F("How the offering serves it.", "full")
    credit: float = F("Credit given for it, 0–1.", 1.0)
    via: str | None = F("The capability that served it, when not itself.", None)


class VerdictPublic(Schema):
    name: str = F("Constraint name.", "region")
    ok: bool = F("Whether the offering meets it.", True)
    hard: bool = F("Whether failing it disqualifies.", True)
    detail: str = F("In plain words.", "Available in DE")


class DisclosurePublic(Schema):
    relationship: Relationship = F("Our relationship to the offering.", "competitor")
    fee: bool = F("Whether we may receive a fee or commission.", False)
    text: str = F(
        "The disclosure to show with the result.",
        "Competitor product: we have no commercial relationship.",
    )


class ScorePartsPublic(Schema):
    coverage: float = F("Share of the score from capability coverage.", 0.62)
    similarity: float = F("Share from text similarity.", 0.29)
    penalty: float = F("Lost to unmet preferences.", 0.0)
    total: float = F("The score.", 0.91)


class FitPublic(Schema):
    rank: int = F("Position, from 1.", 1)
    score: float = F("Fit score, 0–1.", 0.91)
    offering: OfferingRef = F(
        "The offering.",
        {"id": "ledgerly-books", "name": "Ledgerly Books", "provider": "Ledgerly",
         "relationship": "own", "url": "https://example.com"},
    )  # fmt: skip
    coverage: list[CoveragePublic] = F(
        "Each requested capability against it.",
        [{"capability": "invoicing", "status": "full", "credit": 1.0, "via": None}],
    )
    constraints: list[VerdictPublic] = F(
        "Each constraint against it.",
        [{"name": "region", "ok": True, "hard": True, "detail": "Available in DE"}],
    )
    reasons: list[str] = F("Why it fits, from the evidence that scored it.", ["Covers invoicing."])
    caveats: list[str] = F("What to check.", ["Partial bank feeds."])
    reviewed: dt.date | None = F("When a curator last checked its facts.", "2026-10-01")
    disclosure: DisclosurePublic = F(
        "The relationship behind it.",
        {"relationship": "own", "fee": False, "text": "Our own product."},
    )
    score_parts: ScorePartsPublic = F(
        "The terms of the score.",
        {"coverage": 0.62, "similarity": 0.29, "penalty": 0.0, "total": 0.91},
    )


class RejectedPublic(Schema):
    score: float = F("What it would have scored.", 0.8)
    offering: OfferingRef = F(
        "The offering.",
        {"id": "pay-rival", "name": "Pay Rival", "provider": "Rival", "relationship": "competitor",
         "url": "https://example.com"},
    )  # fmt: skip
    does_not_meet: list[VerdictPublic] = F(
        "The hard constraints it fails.",
        [{"name": "region", "ok": False, "hard": True, "detail": "Not available in DE"}],
    )
    reasons: list[str] = F("What it would have offered.", ["Covers invoicing."])
    disclosure: DisclosurePublic = F(
        "The relationship behind it.",
        {"relationship": "competitor", "fee": False, "text": "Competitor product."},
    )


class BestOwnPublic(Schema):
    offering_id: str = F("Our best offering for the need.", "ledgerly-books")
    rank: int | None = F("Its rank among the results, if it is one.", 3)
    comparison: str = F(
        "An honest comparison with the best fit.",
        "Ledgerly Books covers invoicing but not card payments; Pay Rival covers both.",
    )
    does_not_meet: list[str] = F(
        "The must-haves it fails, as constraint names (region, platforms, budget, "
        "must_have:<capability>, …); empty when it is one of the fits.",
        ["region"],
        default=[],
    )


class BundlePublic(Schema):
    offerings: list[str] = F("Offering ids that together cover the need.", ["a", "b"])
    covers: list[str] = F("Capabilities the bundle covers.", ["invoicing", "payroll"])
    reasons: list[str] = F("Why this bundle.", ["a integrates with b."])
    score: float = F("Bundle score, 0–1.", 0.8)


class UnmetPublic(Schema):
    capability: str = F("A requested capability nothing covers.", "payroll")
    detail: str = F("In plain words.", "No active offering covers payroll in DE.")


class RelaxationPublic(Schema):
    relax: list[str] = F("Constraints to relax.", ["budget_monthly"])
    admits: list[str] = F("Offerings that would then fit.", ["ledgerly-books"])
    detail: str = F("In plain words.", "Raising the budget to $60 admits Ledgerly Books.")


class ConsideredPublic(Schema):
    own: int = F("Own offerings considered.", 8)
    partner: int = F("Partner offerings considered.", 15)
    competitor: int = F("Competitor offerings considered.", 110)
    other: int = F("Independent offerings considered.", 12)


class MarketCoveragePublic(Schema):
    catalog: str = F("Which catalogue answered.", "Ledgerly")
    version: str = F("Its version.", "2026.11")
    date: dt.date | None = F("Its date.", "2026-11-01")
    considered: ConsideredPublic = F(
        "How many offerings of each relationship were considered.",
        {"own": 8, "partner": 15, "competitor": 110, "other": 12},
    )


class OutcomeKind(StrEnum):
    ACCEPTED = "accepted"
    REFERRED_ELSEWHERE = "referred_elsewhere"
    DECLINED = "declined"
    NO_ANSWER = "no_answer"


class OutcomeCreate(Body):
    outcome: OutcomeKind = F("What the customer did.", "accepted")
    offering_id: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = F(
        "The offering they chose, if any.", "ledgerly-books", default=None
    )
    note: Annotated[str, StringConstraints(max_length=2000)] | None = F(
        "A short note.", "Signed up for the trial.", default=None
    )


class OutcomePublic(Schema):
    outcome: OutcomeKind = F("What the customer did.", "accepted")
    offering_id: str | None = F("The offering they chose.", "ledgerly-books")
    note: str | None = F("A short note.", "Signed up for the trial.")
    recorded_by: str = F("Name of the key that recorded it.", "support console")
    recorded_at: dt.datetime = F("When.", "2026-11-23T10:00:00Z")


class RecommendationPublic(Schema):
    id: str | None = F("Record id (null only in CLI output, which stores nothing).", "rec_3f9a")
    created_at: dt.datetime | None = F("When it was made.", "2026-11-23T10:00:00Z")
    channel: str | None = F("api, advocate or widget.", "api")
    interpreted: InterpretationPublic = F(
        "What was understood.",
        {"capabilities": [], "constraints": {}, "stated": [], "negations": [],
         "not_understood": []},
    )  # fmt: skip
    results: list[FitPublic] = F("Ranked fits (only offerings meeting every hard constraint).", [])
    rejected: list[RejectedPublic] = F("Close candidates that fail a hard constraint.", [])
    best_own: BestOwnPublic | None = F(
        "Our best offering, compared honestly.",
        {"offering_id": "ledgerly-books", "rank": 3, "comparison": "…"},
    )
    bundles: list[BundlePublic] = F("Sets that together cover what no single fit does.", [])
    unmet: list[UnmetPublic] = F("Requested capabilities nothing covers.", [])
    relaxations: list[RelaxationPublic] = F("Smallest relaxations that would admit a fit.", [])
    coverage: MarketCoveragePublic = F(
        "Which catalogue answered and what it considered.",
        {"catalog": "Ledgerly", "version": "2026.11", "date": None,
         "considered": {"own": 8, "partner": 15, "competitor": 110, "other": 12}},
    )  # fmt: skip
    summary: str = F("One plain sentence.", "Pay Rival fits best; ours misses card payments.")
    catalog_version_id: int | None = F("The stored catalogue version that answered.", 3)
    rules_version: str = F("Rules version.", "2026.11+5b736be56c59")
    engine_version: str = F("Engine version.", "1.0.0")
    outcome: OutcomePublic | None = F("The recorded outcome, if any.", None, default=None)


def _constraints(c: Constraints) -> dict[str, Any]:
    return {
        "budget_monthly": float(c.budget_monthly) if c.budget_monthly is not None else None,
        "currency": c.currency,
        "region": c.region,
        "platforms": list(c.platforms),
        "excluded_platforms": list(c.excluded_platforms),
        "segment": c.segment,
        "must_have": list(c.must_have),
        "compliance": list(c.compliance),
        "languages": list(c.languages),
        "price_models": [PriceModel(m).value for m in c.price_models],
        "excluded_price_models": [PriceModel(m).value for m in c.excluded_price_models],
        "soft": list(c.soft),
    }


def _stated(s: StatedConstraint) -> dict[str, Any]:
    return {
        "name": s.name,
        "value": s.value,
        "matched": s.matched,
        "negated": s.negated,
        "source": s.source,
        "overridden": s.overridden,
    }


def _offering(offering: Offering) -> dict[str, Any]:
    return {
        "id": offering.id,
        "name": offering.name,
        "provider": offering.provider,
        "relationship": offering.relationship.value,
        "url": offering.url,
    }


def _verdict(v: ConstraintVerdict) -> dict[str, Any]:
    return {"name": v.name, "ok": v.ok, "hard": v.hard, "detail": v.detail}


def _disclosure(fit: Fit) -> dict[str, Any]:
    d = fit.disclosure
    return {"relationship": d.relationship.value, "fee": d.fee, "text": d.text}


def _datetime(value: dt.datetime | None) -> str | None:
    """As pydantic writes it in JSON (UTC as ``Z``)."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def recommendation_body(
    recommendation: Recommendation,
    *,
    record_id: str | None = None,
    created_at: dt.datetime | None = None,
    channel: str | None = None,
    catalog_version_id: int | None = None,
) -> dict[str, Any]:
    """The v1 response for an engine :class:`Recommendation`, as JSON values: the only such
    mapping. It is built as plain data rather than through :class:`RecommendationPublic`
    because it runs on every request; tests check that it is exactly what
    ``RecommendationPublic`` validates and writes back (:func:`recommendation_public`)."""
    interpretation = recommendation.interpretation
    considered = recommendation.coverage.considered
    best_own = recommendation.best_own
    coverage = recommendation.coverage
    return {
        "id": record_id,
        "created_at": _datetime(created_at),
        "channel": channel,
        "interpreted": {
            "capabilities": [
                {
                    "id": c.id,
                    "label": c.label,
                    "matched": c.matched,
                    "confidence": round(c.confidence, 4),
                    "source": c.source,
                    "must_have": c.must_have,
                    "span": {"start": c.span.start, "end": c.span.end} if c.span else None,
                    "central": c.central,
                }
                for c in interpretation.capabilities
            ],
            "constraints": _constraints(interpretation.constraints),
            "stated": [_stated(s) for s in interpretation.stated],
            "negations": [_stated(s) for s in interpretation.stated if s.negated],
            "not_understood": list(interpretation.not_understood),
            "language": interpretation.language,
            "understood": round(interpretation.understood, 4),
            "ask_understood": interpretation.ask_understood,
            "did_you_mean": [
                {"id": cap_id, "label": label} for cap_id, label in interpretation.suggestions
            ],
            "mentioned": list(interpretation.mentioned),
        },
        "results": [
            {
                "rank": fit.rank if fit.rank is not None else index,
                "score": round(fit.score, 4),
                "offering": _offering(fit.offering),
                "coverage": [
                    {
                        "capability": c.capability,
                        "status": CoverageStatus(c.status).value,
                        "credit": round(c.credit, 4),
                        "via": c.via,
                    }
                    for c in fit.coverage
                ],
                "constraints": [_verdict(v) for v in fit.constraints],
                "reasons": list(fit.reasons),
                "caveats": list(fit.caveats),
                "reviewed": fit.offering.reviewed.isoformat() if fit.offering.reviewed else None,
                "disclosure": _disclosure(fit),
                "score_parts": {
                    "coverage": round(fit.parts.coverage, 4),
                    "similarity": round(fit.parts.similarity, 4),
                    "penalty": round(fit.parts.penalty, 4),
                    "total": round(fit.parts.total, 4),
                },
            }
            for index, fit in enumerate(recommendation.results, start=1)
        ],
        "rejected": [
            {
                "score": round(fit.score, 4),
                "offering": _offering(fit.offering),
                "does_not_meet": [_verdict(v) for v in fit.failed],
                "reasons": list(fit.reasons),
                "disclosure": _disclosure(fit),
            }
            for fit in recommendation.rejected
        ],
        "best_own": {
            "offering_id": best_own.offering_id,
            "rank": best_own.rank,
            "comparison": best_own.comparison,
            "does_not_meet": list(best_own.does_not_meet),
        }
        if best_own
        else None,
        "bundles": [
            {
                "offerings": list(b.offerings),
                "covers": list(b.covers),
                "reasons": list(b.reasons),
                "score": round(b.score, 4),
            }
            for b in recommendation.bundles
        ],
        "unmet": [{"capability": u.capability, "detail": u.detail} for u in recommendation.unmet],
        "relaxations": [
            {"relax": list(r.relax), "admits": list(r.admits), "detail": r.detail}
            for r in recommendation.relaxations
        ],
        "coverage": {
            "catalog": coverage.catalog,
            "version": coverage.version,
            "date": coverage.date.isoformat() if coverage.date else None,
            "considered": {r.value: int(considered.get(r, 0)) for r in Relationship},
        },
        "summary": recommendation.summary,
        "catalog_version_id": catalog_version_id,
        "rules_version": recommendation.rules_version,
        "engine_version": recommendation.engine_version,
        "outcome": None,
    }


def recommendation_public(
    recommendation: Recommendation,
    *,
    record_id: str | None = None,
    created_at: dt.datetime | None = None,
    channel: str | None = None,
    catalog_version_id: int | None = None,
) -> RecommendationPublic:
    """:func:`recommendation_body` as the response model."""
    return RecommendationPublic.model_validate(
        recommendation_body(
            recommendation,
            record_id=record_id,
            created_at=created_at,
            channel=channel,
            catalog_version_id=catalog_version_id,
        )
    )


# --- offerings ---------------------------------------------------------------------------------


class PriceSchema(Schema):
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    model: PriceModel = F("How it is charged.", "subscription")
    monthly_from: float | None = F("Lowest monthly price.", 15, default=None, ge=0)
    monthly_to: float | None = F("Highest monthly price.", 60, default=None, ge=0)
    currency: str | None = F("ISO 4217 currency.", "USD", default=None, pattern="^[A-Za-z]{3}$")
    free_tier: bool = F("Whether a free tier exists.", False, default=False)
    one_time: float | None = F("One-time price.", None, default=None, ge=0)


class ReferralSchema(Schema):
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    fee: bool = F("Whether we may receive a fee or commission.", False, default=False)
    disclosure: str | None = F(
        "Disclosure text shown with every result.", "No commercial relationship.", default=None
    )


def _strict_url(url: str) -> str:
    problem = url_problem(url)
    if problem:
        raise ValueError(problem)
    return url


# The pattern documents the shape; the validator is the catalogue files' own check (a host,
# nothing unseen or blank anywhere), so `http://\njavascript:…` is refused here as there.
Url = Annotated[
    str,
    StringConstraints(pattern=r"^https?://", max_length=2000),
    AfterValidator(_strict_url),
]


class OfferingUpdate(Body):
    """An offering as the catalogue file format has it (the id comes from the path)."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] = F(
        "Offering name.", "Ledgerly Books"
    )
    relationship: Relationship = F("own, partner, competitor or other.", "own")
    capabilities: dict[Word, CoverageLevel] = F(
        "Capability id → full or partial.", {"invoicing": "full"}, max_length=200
    )
    provider: str | None = F("Who provides it.", "Ledgerly", default=None, max_length=200)
    summary: str | None = F(
        "One or two sentences.", "Cloud bookkeeping.", default=None, max_length=2000
    )
    price: PriceSchema | None = F(
        "What it costs.", {"model": "subscription", "monthly_from": 15}, default=None
    )
    segments: list[Word] = F("Segments served.", ["small"], default=[], max_length=20)
    regions: list[Word] = F("Region codes or global.", ["US", "CA"], default=[], max_length=300)
    platforms: list[Word] = F("Platforms.", ["web", "ios"], default=[], max_length=50)
    compliance: list[Word] = F("Compliance held.", ["soc2"], default=[], max_length=50)
    languages: list[Word] = F("Interface languages.", ["en"], default=[], max_length=100)
    integrations: list[Word] = F("Offering ids it integrates with.", [], default=[], max_length=100)
    licenses: list[Word] = F("Licences.", ["MIT"], default=[], max_length=20)
    url: Url | None = F("Where to find it.", "https://example.com", default=None)
    status: OfferingStatus = F("active or retired.", "active", default=OfferingStatus.ACTIVE)
    reviewed: dt.date | None = F("When its facts were last checked.", "2026-10-01", default=None)
    sources: list[Url] = F(
        "Where the facts come from.", ["https://example.com/pricing"], default=[], max_length=20
    )
    referral: ReferralSchema | None = F(
        "The commercial side.", {"fee": False, "disclosure": "No commercial relationship."},
        default=None,
    )  # fmt: skip

    def document(self) -> dict[str, Any]:
        """The catalogue document (file format) for this offering."""
        data = self.model_dump(mode="json", exclude_none=True)
        return {key: value for key, value in data.items() if value != []}


class OfferingPublic(Schema):
    id: str = F("Offering id.", "ledgerly-books")
    name: str = F("Offering name.", "Ledgerly Books")
    relationship: Relationship = F("Our relationship to it.", "own")
    provider: str | None = F("Who provides it.", "Ledgerly")
    summary: str | None = F("One or two sentences.", "Cloud bookkeeping.")
    capabilities: dict[str, CoverageLevel] = F("Capability → level.", {"invoicing": "full"})
    price: PriceSchema | None = F("What it costs.", {"model": "subscription", "monthly_from": 15})
    segments: list[str] = F("Segments served.", ["small"])
    regions: list[str] = F("Regions.", ["US"])
    platforms: list[str] = F("Platforms.", ["web"])
    compliance: list[str] = F("Compliance.", ["soc2"])
    languages: list[str] = F("Languages.", ["en"])
    integrations: list[str] = F("Integrates with.", ["stripe-payments"])
    licenses: list[str] = F("Licences.", [])
    url: str | None = F("Where to find it.", "https://example.com")
    status: OfferingStatus = F("active or retired.", "active")
    reviewed: dt.date | None = F("Last checked.", "2026-10-01")
    sources: list[str] = F("Where the facts come from.", ["https://example.com/pricing"])
    disclosure: DisclosurePublic = F(
        "The disclosure shown with it.",
        {"relationship": "own", "fee": False, "text": "Our own product."},
    )


def offering_public(offering: Offering, rules: Rules) -> OfferingPublic:
    referral = offering.referral
    fee = referral.fee if referral else False
    text = (referral.disclosure if referral else None) or rules.policy.disclosure_for(
        offering.relationship, fee
    )
    price = offering.price
    return OfferingPublic(
        id=offering.id,
        name=offering.name,
        relationship=offering.relationship,
        provider=offering.provider,
        summary=offering.summary,
        capabilities=dict(offering.capabilities),
        price=PriceSchema.model_validate(price) if price else None,
        segments=list(offering.segments),
        regions=list(offering.regions),
        platforms=list(offering.platforms),
        compliance=list(offering.compliance),
        languages=list(offering.languages),
        integrations=list(offering.integrations),
        licenses=list(offering.licenses),
        url=offering.url,
        status=offering.status,
        reviewed=offering.reviewed,
        sources=list(offering.sources),
        disclosure=DisclosurePublic(
            relationship=offering.relationship, fee=fee, text=text or offering.relationship.value
        ),
    )


class OfferingsPublic(Schema):
    data: list[OfferingPublic] = F("This page of offerings, by id.", [])
    count: int = F("How many offerings match the filters.", 133)
    next_cursor: str | None = F("Pass as cursor for the next page; null on the last.", "b2Zm")


class CatalogChangePublic(Schema):
    action: str = F("What changed.", "replace_offering")
    offering_id: str = F("The offering.", "ledgerly-books")
    catalog_version_id: int = F("The new active catalogue version.", 4)
    offering: OfferingPublic | None = F("The offering as stored (null after delete).", None)


# --- capabilities, ranking, catalogue versions -------------------------------------------------


class CapabilityPublic(Schema):
    id: str = F("Capability id.", "invoicing")
    label: str = F("Label.", "Invoicing")
    description: str | None = F("Description.", "Sending bills to clients.")
    synonyms: list[str] = F("Other words for it.", ["invoices", "billing clients"])
    broader: list[str] = F("Broader capabilities (graph neighbours).", ["accounting"])
    narrower: list[str] = F("Narrower capabilities.", ["recurring-invoices"])
    related: list[str] = F("Related capabilities.", ["online-payments"])
    requires: list[str] = F("Capabilities it requires.", [])
    offerings: int = F("Active offerings covering it.", 12)


class CapabilitiesPublic(Schema):
    data: list[CapabilityPublic] = F("Every capability.", [])
    count: int = F("How many.", 40)


class RankingParameter(Schema):
    name: str = F("Parameter.", "coverage")
    value: str = F("Its current value.", "full 1.0, partial 0.6")
    explanation: str = F(
        "What it does, in plain words.", "How much of what you asked for the offering covers."
    )


class DisclosurePolicyPublic(Schema):
    relationship: str = F("own, partner, partner_fee, competitor or other.", "partner_fee")
    text: str = F("The disclosure shown.", "Partner product: we may receive a referral fee.")


class RankingPublic(Schema):
    summary: str = F(
        "How results are ranked, in one paragraph.", "Offerings are ranked by how well they fit…"
    )
    ownership: str = F(
        "How ownership is treated.", "Who owns an offering is never an input to its score."
    )
    parameters: list[RankingParameter] = F("The main parameters, with current values.", [])
    tie_break: list[str] = F("What orders equal scores, in order.", ["coverage", "price"])
    disclosures: list[DisclosurePolicyPublic] = F("Disclosure texts by relationship.", [])
    staleness_days: int = F("Facts older than this get a caveat.", 365)
    rules_version: str = F("Rules version these values come from.", "2026.11+5b736be56c59")
    catalog_version_id: int = F("Active catalogue version.", 3)


class CatalogVersionPublic(Schema):
    id: int = F("Version id.", 3)
    catalog_version: str = F("The catalogue's own version.", "2026.11")
    rules_version: str = F("Rules version.", "2026.11+5b736be56c59")
    company: str = F("Company.", "Ledgerly")
    offering_count: int = F("Offerings in it.", 145)
    loaded_by: str = F("Who loaded it.", "cli:alice")
    loaded_at: dt.datetime = F("When.", "2026-11-23T10:00:00Z")
    active: bool = F("Whether workers serve it.", True)
    note: str = F("Note.", "")


class CatalogChangeLogPublic(Schema):
    id: int = F("Entry id.", 12)
    at: dt.datetime = F("When.", "2026-11-23T10:00:00Z")
    actor: str = F("Who: cli:<user> or key:<key name>.", "key:curator")
    action: str = F("load, create_offering, replace_offering, delete_offering or activate.", "load")
    catalog_version_id: int | None = F("The version it made active.", 4)
    offering_id: str | None = F("The offering it changed, if one.", "ledgerly-books")
    detail: dict[str, Any] = F("Versions involved.", {"previous_version_id": 3})


class CatalogChangesPublic(Schema):
    data: list[CatalogChangeLogPublic] = F("Newest first (100 at most).", [])
    count: int = F("How many are shown.", 12)


class CatalogVersionsPublic(Schema):
    data: list[CatalogVersionPublic] = F("Newest first.", [])
    count: int = F("How many versions exist.", 3)


# --- insights, operations ----------------------------------------------------------------------


class AuditFindingPublic(Schema):
    recommendation_id: str = F("The record.", "rec_3f9a")
    created_at: dt.datetime = F("When it was made.", "2026-11-23T10:00:00Z")
    ranking: list[str] = F("Offering ids as ranked.", ["a", "b"])
    masked_ranking: list[str] = F("As ranked with relationships masked.", ["b", "a"])


class AuditPublic(Schema):
    since: dt.datetime | None = F("Records from this time on.", "2026-11-01T00:00:00Z")
    checked: int = F("Records re-ranked.", 120)
    identical: int = F("Rankings unchanged by masking.", 120)
    differing: int = F("Rankings that changed (expected: 0).", 0)
    skipped: int = F("Records that could not be re-ranked.", 0)
    not_reproducible: int = F(
        "Records whose unmasked re-ranking differs from what was recorded.", 0
    )
    findings: list[AuditFindingPublic] = F("Every differing ranking.", [])


class HealthPublic(Schema):
    status: str = F("ok when the process answers.", "ok")


class ReadyPublic(Schema):
    status: str = F(
        "ready, or degraded: serving from memory while the database does not answer "
        "(records are buffered and written when it does).",
        "ready",
    )
    database: str = F("ok, or unreachable.", "ok")
    records_buffered: int = F("Records waiting for the database.", 0)
    records_dropped: int = F("Records dropped since start because the buffer was full.", 0)
    catalog_version_id: int = F("Catalogue version served.", 3)
    catalog_version: str = F("Its own version.", "2026.11")
    rules_version: str = F("Rules version.", "2026.11+5b736be56c59")
    worker: int = F(
        "Process id of the worker that answered (several workers share one port).", 4242
    )


# --- insights: the gap report ------------------------------------------------------------------


class GapKindParam(StrEnum):
    UNSERVED = "unserved"
    SERVED_ELSEWHERE = "served_elsewhere"
    PARTLY_SERVED = "partly_served"
    NOT_UNDERSTOOD = "not_understood"
    SERVED = "served"


class ChannelParam(StrEnum):
    API = "api"
    ADVOCATE = "advocate"
    WIDGET = "widget"


FilterWord = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,39}$")
]


EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)


class GapQuery(Body):
    """Filters of the gap report (query parameters; unknown ones are refused)."""

    since: dt.datetime | None = F(
        "Start of the window (inclusive; default: 28 days before `until`).",
        "2026-11-01T00:00:00Z",
        default=None,
    )
    until: dt.datetime | None = F(
        "End of the window (exclusive; default: now).", "2026-11-29T00:00:00Z", default=None
    )
    channel: ChannelParam | None = F("Only needs asked on this channel.", "widget", default=None)
    segment: FilterWord | None = F("Only needs of this customer segment.", "small", default=None)
    region: FilterWord | None = F(
        "Only needs from this region (ISO 3166 alpha-2 code or region group).", "DE", default=None
    )
    catalog_version: int | None = F(
        "Only needs answered by this stored catalogue version.", 3, default=None, ge=1, le=2**31
    )
    capability: FilterWord | None = F("Only this capability.", "payroll", default=None)
    kind: list[GapKindParam] = F(
        "Only these gap kinds (repeatable; default: every gap kind, not `served`).",
        ["unserved"],
        default=[],
        max_length=5,
    )
    limit: int = F("Most gaps (or clusters) to return.", 50, default=50, ge=1, le=200)

    @field_validator("since", "until")
    @classmethod
    def _moment(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is None:
            return None
        value = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        if not EARLIEST <= value < LATEST:
            raise ValueError(f"must be between {EARLIEST:%Y} and {LATEST:%Y}")
        return value.astimezone(dt.UTC)

    def to_filter(self, now: dt.datetime) -> GapFilter:
        """The report's filter; the window defaults to the 28 days before ``until`` (now)."""
        since, until = default_window(now, self.since, self.until)
        if since >= until:
            raise InputError(
                "since must be before until",
                fields=[{"field": "since", "message": "must be before until"}],
            )
        return GapFilter(
            since=since,
            until=until,
            channel=self.channel.value if self.channel else None,
            segment=self.segment,
            region=self.region.upper() if self.region else None,
            catalog_version_id=self.catalog_version,
            capability=self.capability,
        )

    def kinds(self) -> tuple[GapKind, ...]:
        """The gap kinds asked for (default: every gap kind, not ``served``)."""
        return tuple(GapKind(k.value) for k in self.kind) if self.kind else GAP_KINDS


class OfferingShare(Schema):
    offering_id: str = F("Who serves it instead.", "pay-rival")
    relationship: str | None = F("Our relationship to it.", "competitor")
    count: int = F("How often it was the best fit instead.", 12)


class ConstraintShare(Schema):
    constraint: str = F(
        "The hard constraint our best offering missed (region, platform, budget, …).", "region"
    )
    count: int = F("How often.", 7)


class OutcomeShare(Schema):
    outcome: str = F(
        "How the story ended: accepted, referred_elsewhere, declined, no_answer, or none "
        "(nothing recorded yet).",
        "referred_elsewhere",
    )
    count: int = F("How often.", 5)


class GapPublic(Schema):
    capability: str | None = F("Requested capability (null for not_understood).", "payroll")
    label: str | None = F("Its label in the active catalogue.", "Payroll")
    kind: GapKindParam = F("Gap kind.", "served_elsewhere")
    count: int = F("Needs with this gap in the window.", 37)
    requests: int = F(
        "Needs asking for the capability in the window (for not_understood: all needs).", 120
    )
    share: float = F("count / requests.", 0.31)
    previous_count: int = F("The same gap in the previous window of the same length.", 0)
    new: bool = F("Appeared in this window, absent in the previous one.", True)
    served_by: list[OfferingShare] = F(
        "Who was the best fit instead, most often first.",
        [{"offering_id": "pay-rival", "relationship": "competitor", "count": 12}],
    )
    missed_constraints: list[ConstraintShare] = F(
        "Which hard constraint our offering missed (or the nearest miss when nothing fits).",
        [{"constraint": "region", "count": 7}],
    )
    outcomes: list[OutcomeShare] = F(
        "How the stories ended.", [{"outcome": "referred_elsewhere", "count": 5}]
    )
    examples: list[str] = F(
        "Newest needs behind the gap, in the customers' words (redacted when stored).",
        ["payroll for contractors in Mexico"],
    )


class TrendPointPublic(Schema):
    week: str = F("ISO week.", "2026-W48")
    start: dt.date = F("Its Monday.", "2026-11-23")
    capability: str | None = F("Capability (null for not_understood).", "payroll")
    kind: GapKindParam = F("Gap kind.", "unserved")
    count: int = F("Needs with this gap that week.", 9)


class GapsPublic(Schema):
    since: dt.datetime = F("Window start (inclusive).", "2026-11-01T00:00:00Z")
    until: dt.datetime = F("Window end (exclusive).", "2026-11-29T00:00:00Z")
    previous_since: dt.datetime = F(
        "Start of the previous window (new gaps are absent from it).", "2026-10-04T00:00:00Z"
    )
    needs: int = F("Recorded needs the filters count in the window.", 412)
    data: list[GapPublic] = F("Gaps, most frequent first.", [])
    count: int = F("Gaps returned.", 12)
    total: int = F("Gaps matching (before the limit).", 12)
    new_gaps: int = F("How many of the returned gaps are new.", 2)
    trend: list[TrendPointPublic] = F("Weekly counts of the returned gaps.", [])


class ClusterPublic(Schema):
    kind: GapKindParam = F("unserved or not_understood.", "unserved")
    count: int = F("Needs in the cluster.", 37)
    representative: str = F("A phrasing that stands for them.", "payroll for contractors in Mexico")
    examples: list[str] = F(
        "Up to 5 phrasings.", ["payroll for contractors in Mexico", "pay Mexican contractors"]
    )


class ClustersPublic(Schema):
    since: dt.datetime = F("Window start (inclusive).", "2026-11-01T00:00:00Z")
    until: dt.datetime = F("Window end (exclusive).", "2026-11-29T00:00:00Z")
    data: list[ClusterPublic] = F("Clusters, largest first.", [])
    count: int = F("Clusters returned.", 3)


def gaps_public(report: GapReport, labels: Mapping[str, str]) -> GapsPublic:
    """The v1 body of a gap report (``labels``: capability id → label of the active catalogue)."""
    return GapsPublic(
        since=report.where.since,
        until=report.where.until,
        previous_since=report.where.previous.since,
        needs=report.needs,
        data=[
            GapPublic(
                capability=g.capability,
                label=labels.get(g.capability) if g.capability else None,
                kind=GapKindParam(g.kind.value),
                count=g.count,
                requests=g.requests,
                share=round(g.share, 4),
                previous_count=g.previous_count,
                new=g.is_new,
                served_by=[
                    OfferingShare(offering_id=s.name, relationship=s.relationship, count=s.count)
                    for s in g.served_by
                ],
                missed_constraints=[
                    ConstraintShare(constraint=s.name, count=s.count) for s in g.missed_constraints
                ],
                outcomes=[OutcomeShare(outcome=s.name, count=s.count) for s in g.outcomes],
                examples=list(g.examples),
            )
            for g in report.gaps
        ],
        count=len(report.gaps),
        total=report.total_gaps,
        new_gaps=len(report.new_gaps),
        trend=[
            TrendPointPublic(
                week=p.label,
                start=p.week,
                capability=p.capability,
                kind=GapKindParam(p.kind.value),
                count=p.count,
            )
            for p in report.trend
        ],
    )


def clusters_public(
    clusters: Sequence[Cluster], since: dt.datetime, until: dt.datetime
) -> ClustersPublic:
    """The v1 body of the clusters of similar unserved and not-understood needs."""
    return ClustersPublic(
        since=since,
        until=until,
        data=[
            ClusterPublic(
                kind=GapKindParam(c.kind),
                count=c.count,
                representative=c.representative,
                examples=list(c.examples),
            )
            for c in clusters
        ],
        count=len(clusters),
    )


def capabilities_public(catalog: Catalog) -> list[CapabilityPublic]:
    """Every capability with its graph neighbours and how many active offerings cover it."""
    narrower: dict[str, list[str]] = {c: [] for c in catalog.capabilities}
    for cap in catalog.capabilities.values():
        for broader in cap.broader:
            narrower.setdefault(broader, []).append(cap.id)
    covering: dict[str, int] = {}
    for offering in catalog.offerings:
        if offering.active:
            for cap_id in offering.capabilities:
                covering[cap_id] = covering.get(cap_id, 0) + 1
    return [
        CapabilityPublic(
            id=cap.id,
            label=cap.label,
            description=cap.description,
            synonyms=list(cap.synonyms),
            broader=list(cap.broader),
            narrower=sorted(narrower.get(cap.id, [])),
            related=list(cap.related),
            requires=list(cap.requires),
            offerings=covering.get(cap.id, 0),
        )
        for cap in catalog.capabilities.values()
    ]


def ranking_public(rules: Rules, catalog_version_id: int) -> RankingPublic:
    """The main parameters that determine ranking, in plain words (ranking transparency)."""
    w, t, p = rules.weights, rules.thresholds, rules.policy
    parameters = [
        RankingParameter(
            name="capability coverage",
            value=f"full {w.full:g}, partial {w.partial:g}, via a narrower capability "
            f"{w.via_narrower:g}, via a broader one {w.via_broader:g}, related only {w.related:g}",
            explanation="The largest part of the score: how much of what you asked for the "
            "offering provides, and how directly.",
        ),
        RankingParameter(
            name="graph distance",
            value=f"credit × {w.hop_decay:g} per further step, at most {t.max_hops} steps",
            explanation="Credit through neighbouring capabilities shrinks with each step.",
        ),
        RankingParameter(
            name="text similarity",
            value=f"{w.similarity:g} of the score",
            explanation="How closely the offering's description matches your words.",
        ),
        RankingParameter(
            name="preferences",
            value=f"−{w.soft_penalty:g} per unmet preference",
            explanation="Soft wishes (segment, language, hedged constraints) lower the score a "
            "little; hard constraints (region, platform, compliance, budget, must-haves, "
            "excluded price models) are never relaxed silently: an offering failing one is "
            "not a fit, and is shown only as 'does not meet'.",
        ),
        RankingParameter(
            name="the central ask",
            value=f"side capabilities under {reading.PRIMARY_SHARE:g} of the best one's "
            "confidence, or broader than another asked for, do not make a fit",
            explanation="A fit must serve what you ask for (the words after 'we need', "
            "'looking for'…, or all of them when no such words are there), fully, partly or "
            "through a narrower or broader capability. When we did not understand what you ask "
            "for, no fit is claimed: the answer says what we did not understand and the "
            "nearest capabilities ('did you mean').",
        ),
        RankingParameter(
            name="evidence from words",
            value=f"one everyday word (wordfreq Zipf ≥ {reading.GENERIC_ZIPF:g}) counts down to "
            f"0.3; words only in the context you describe × {reading.CONTEXT_CONFIDENCE:g}; "
            f"minimum confidence {t.min_confidence:g}",
            explanation="A capability is read from a phrase that names it, or from several "
            "specific words the catalogue knows — never from one stray word. The name of an "
            "offering is read as what you use today, not as a need.",
        ),
        RankingParameter(
            name="languages",
            value=", ".join(rules.supported_languages),
            explanation="The language of your words is detected; they are read with that "
            "language's stems, phrases and cue words, beside English ones.",
        ),
        RankingParameter(
            name="facts you state",
            value=f"amounts read up to {reading.MAX_AMOUNT:g}",
            explanation="Where you are (a city, state or country), the devices you have, a "
            "compliance you must meet, a budget and 'no subscription' are must-haves unless "
            "you hedge them ('ideally'); someone else's places, and amounts that are not a "
            "budget (a loan, revenue, what you pay today), are not.",
        ),
        RankingParameter(
            name="minimum score",
            value=f"{t.min_score:g}",
            explanation="Results scoring below this are not shown.",
        ),
        RankingParameter(
            name="freshness",
            value=f"{p.staleness_days} days",
            explanation="Offerings whose facts were last checked longer ago carry a caveat.",
        ),
    ]
    return RankingPublic(
        summary="Offerings are ranked by how well they fit the need: the capabilities asked "
        "for, the constraints stated, and price fit. The same evidence that produces a "
        "score produces the reasons shown with it.",
        ownership="Who owns an offering — us, a partner, a competitor or nobody — is never an "
        "input to its score or to tie-breaking: swapping the owners of any two offerings "
        "never changes a ranking. Every result discloses the relationship and any fee.",
        parameters=parameters,
        tie_break=[*(tb.value for tb in p.tie_break), "offering id"],
        disclosures=[
            DisclosurePolicyPublic(relationship=key, text=text)
            for key, text in sorted(p.disclosures.items())
        ],
        staleness_days=p.staleness_days,
        rules_version=rules.version,
        catalog_version_id=catalog_version_id,
    )
