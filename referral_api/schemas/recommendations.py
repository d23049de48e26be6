"""Recommendations on the wire: the request, the response, and its one rendering.

:func:`recommendation_public` is the only translation from a domain
:class:`~referral_api.domain.Recommendation` to the v1 response (:func:`recommendation_body`
is the same as JSON values); the API, the console and the CLI's ``--json`` output all use it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import StringConstraints, field_validator

from referral_api.domain import (
    BestOwn,
    Constraints,
    ConstraintVerdict,
    CoverageStatus,
    Disclosure,
    Fit,
    Interpretation,
    MarketCoverage,
    Need,
    Offering,
    PriceModel,
    Recommendation,
    Relationship,
    StatedConstraint,
)
from referral_api.domain.constraint_kinds import CONSTRAINT_KINDS
from referral_api.schemas.common import (
    MAX_LIMIT,
    Body,
    NeedText,
    Schema,
    Word,
    described,
)
from referral_api.schemas.outcomes import OutcomePublic

# --- recommendations: request ------------------------------------------------------------------

#: the constraints a request may tell the engine to disregard in the words
IGNORABLE = frozenset({*(kind.field for kind in CONSTRAINT_KINDS), "currency"})
IgnoredConstraint = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=2, max_length=80, pattern=r"^[a-z_]+(=[^=\s]+)?$"
    ),
]


class ConstraintsCreate(Body):
    budget_monthly: float | None = described(
        "Most the customer will pay per month (hard).", 50, default=None, ge=0, le=1e9
    )
    currency: str | None = described(
        "ISO 4217 currency of the budget.", "USD", default=None, pattern="^[A-Za-z]{3}$"
    )
    region: str | None = described(
        "Where the customer is: ISO 3166 alpha-2 code or a region group (hard).",
        "DE",
        default=None,
        min_length=2,
        max_length=40,
    )
    language_area: str | None = described(
        "The customer is where this language (ISO 639-1) is spoken: a fit must be available in "
        "at least one country whose main language it is (hard). Read from the need's language "
        'when its words name no place of the customer\'s; `ignore: ["language_area"]` drops '
        "that reading.",
        "fr",
        default=None,
        pattern="^[A-Za-z]{2}$",
    )
    platforms: list[Word] = described(
        "Platforms the offering must run on (hard).", ["ios"], default=[], max_length=20
    )
    excluded_platforms: list[Word] = described(
        "Platforms the customer will not use (hard).", ["windows"], default=[], max_length=20
    )
    segment: Word | None = described("Customer segment (soft).", "small", default=None)
    must_have: list[Word] = described(
        "Capability ids every fit must cover (hard).", ["invoicing"], default=[], max_length=20
    )
    compliance: list[Word] = described(
        "Compliance the offering must hold (hard).", ["gdpr"], default=[], max_length=20
    )
    languages: list[Word] = described(
        "Languages the customer prefers (soft).", ["de"], default=[], max_length=20
    )
    price_models: list[PriceModel] = described(
        "Only these price models (hard).", ["subscription"], default=[], max_length=5
    )
    excluded_price_models: list[PriceModel] = described(
        "Price models the customer refuses (hard).", ["usage"], default=[], max_length=5
    )
    ignore: list[IgnoredConstraint] = described(
        "Constraints the words state that this request disregards: a field (`region`) or one "
        "value of a list field (`platforms=ios`). The words are then read as if they did not "
        "state it; a structured value for the same field still applies.",
        ["region", "platforms=ios"],
        default=[],
        max_length=20,
    )

    @field_validator("ignore")
    @classmethod
    def _known_fields(cls, names: list[str]) -> list[str]:
        for name in names:
            field = name.partition("=")[0]
            if field not in IGNORABLE:
                known = ", ".join(sorted(IGNORABLE))
                raise ValueError(f"{field!r} is not a constraint (one of {known})")
        return list(dict.fromkeys(names))


class RecommendationCreate(Body):
    need: NeedText = described(
        "The customer's need in their own words (1–2,000 characters).",
        "We need to send invoices and take card payments, on iPhone, under $50 a month.",
    )
    constraints: ConstraintsCreate = described(
        "Structured constraints; they override what the text states for the same field.",
        {"region": "DE", "must_have": ["invoicing"]},
        default_factory=ConstraintsCreate,
    )
    limit: int = described("How many ranked results to return.", 5, default=5, ge=1, le=MAX_LIMIT)

    def to_need(self) -> Need:
        c = self.constraints
        values: dict[str, Any] = {
            kind.field: tuple(getattr(c, kind.field)) if kind.many else getattr(c, kind.field)
            for kind in CONSTRAINT_KINDS
        }
        currency = c.currency.upper() if c.currency else None
        return Need(
            text=self.need,
            constraints=Constraints(**values, currency=currency),
            ignore=tuple(c.ignore),
        )


# --- recommendations: response -----------------------------------------------------------------


class SpanPublic(Schema):
    start: int = described("First character of the need text (0-based).", 8)
    end: int = described("One past the last character.", 16)


class CapabilityReadPublic(Schema):
    id: str = described("Capability id.", "invoicing")
    label: str = described("Capability label.", "Invoicing")
    matched: str = described("The words of the need that requested it.", "invoices")
    confidence: float = described("How sure the reading is, 0–1.", 0.93)
    source: str = described(
        "What matched: label, synonym, example, trigger, fuzzy, request.", "synonym"
    )
    must_have: bool = described("Whether it is a hard requirement.", False)
    span: SpanPublic | None = described(
        "Where in the need text it was read.", {"start": 8, "end": 16}
    )
    central: bool = described(
        "Whether it is part of what the customer asks for, not only of the context they "
        "describe (a fit must serve a central capability).",
        True,
        default=True,
    )


class SuggestionPublic(Schema):
    id: str = described("Capability id.", "payroll")
    label: str = described("Capability label.", "Payroll")


class StatedConstraintPublic(Schema):
    name: str = described("Constraint name.", "platform")
    value: str = described("Canonical value.", "ios")
    matched: str = described("The words that stated it.", "on iPhone")
    negated: bool = described('Whether the need excludes it ("not on Windows").', False)
    source: str = described(
        "text (read in the need), request (structured) or language (the language the need is "
        "written in: `language_area`).",
        "text",
    )
    overridden: bool = described("Whether a structured constraint replaced it.", False)


class ConstraintsPublic(Schema):
    budget_monthly: float | None = described("Monthly budget ceiling.", 50)
    currency: str | None = described("Currency of the budget.", "USD")
    region: str | None = described("Region the customer is in.", "DE")
    language_area: str | None = described(
        "The customer is where this language is spoken (ISO 639-1).", None
    )
    platforms: list[str] = described("Required platforms.", ["ios"])
    excluded_platforms: list[str] = described("Excluded platforms.", ["windows"])
    segment: str | None = described("Customer segment.", "small")
    must_have: list[str] = described("Required capability ids.", ["invoicing"])
    compliance: list[str] = described("Required compliance.", ["gdpr"])
    languages: list[str] = described("Preferred languages.", ["de"])
    price_models: list[PriceModel] = described("Allowed price models.", ["subscription"])
    excluded_price_models: list[PriceModel] = described("Excluded price models.", ["usage"])
    soft: list[str] = described("Constraints treated as preferences.", ["segment"])


class InterpretationPublic(Schema):
    capabilities: list[CapabilityReadPublic] = described(
        "Capabilities read in the need.",
        [{"id": "invoicing", "label": "Invoicing", "matched": "invoices", "confidence": 0.93,
          "source": "synonym", "must_have": False, "span": None}],
    )  # fmt: skip
    constraints: ConstraintsPublic = described(
        "The effective constraints (text and structured, merged).",
        {"region": "DE", "language_area": None, "platforms": ["ios"], "budget_monthly": 50,
         "currency": "USD", "excluded_platforms": [], "segment": None, "must_have": [],
         "compliance": [], "languages": [], "price_models": [], "excluded_price_models": [],
         "soft": []},
    )  # fmt: skip
    stated: list[StatedConstraintPublic] = described(
        "Every constraint read or given, with the words that stated it.",
        [{"name": "platform", "value": "ios", "matched": "on iPhone", "negated": False,
          "source": "text", "overridden": False}],
    )  # fmt: skip
    negations: list[StatedConstraintPublic] = described(
        "The stated constraints that exclude something.",
        [{"name": "price_model", "value": "subscription", "matched": "no subscription",
          "negated": True, "source": "text", "overridden": False}],
    )  # fmt: skip
    not_understood: list[str] = described(
        "Parts of what the customer asks for that nothing matched.", ["website builder"]
    )
    language: str = described("The language the need was read in (ISO 639-1).", "en", default="en")
    understood: float = described(
        "Share of the need's meaningful words that were understood, 0–1.", 0.75, default=1.0
    )
    ask_understood: bool = described(
        "Whether what the customer centrally asks for was understood; when not, no fit is "
        "claimed and did_you_mean offers the nearest capabilities.",
        True,
        default=True,
    )
    did_you_mean: list[SuggestionPublic] = described(
        "The capabilities nearest to an ask that was not understood.",
        [{"id": "payroll", "label": "Payroll"}],
        default_factory=list,
    )
    mentioned: list[str] = described(
        "Offerings the customer named (what they use today), never read as capabilities.",
        ["ledgerly-books"],
        default_factory=list,
    )


class OfferingRef(Schema):
    id: str = described("Offering id.", "ledgerly-books")
    name: str = described("Offering name.", "Ledgerly Books")
    provider: str | None = described("Who provides it.", "Ledgerly")
    relationship: Relationship = described("Our relationship to it (never a ranking input).", "own")
    url: str | None = described("Where to find it.", "https://example.com")


class CoveragePublic(Schema):
    capability: str = described("Requested capability id.", "invoicing")
    status: CoverageStatus = described("How the offering serves it.", "full")
    credit: float = described("Credit given for it, 0–1.", 1.0)
    via: str | None = described("The capability that served it, when not itself.", None)


class VerdictPublic(Schema):
    name: str = described("Constraint name.", "region")
    ok: bool = described("Whether the offering meets it.", True)
    hard: bool = described("Whether failing it disqualifies.", True)
    detail: str = described("In plain words.", "Available in DE")


class DisclosurePublic(Schema):
    relationship: Relationship = described("Our relationship to the offering.", "competitor")
    fee: bool = described("Whether we may receive a fee or commission.", False)
    text: str = described(
        "The disclosure to show with the result.",
        "Competitor product: we have no commercial relationship.",
    )


class ScorePartsPublic(Schema):
    coverage: float = described("Share of the score from capability coverage.", 0.62)
    similarity: float = described("Share from text similarity.", 0.29)
    penalty: float = described("Lost to unmet preferences.", 0.0)
    total: float = described("The score.", 0.91)


class FitPublic(Schema):
    rank: int = described("Position, from 1.", 1)
    score: float = described("Fit score, 0–1.", 0.91)
    offering: OfferingRef = described(
        "The offering.",
        {"id": "ledgerly-books", "name": "Ledgerly Books", "provider": "Ledgerly",
         "relationship": "own", "url": "https://example.com"},
    )  # fmt: skip
    coverage: list[CoveragePublic] = described(
        "Each requested capability against it.",
        [{"capability": "invoicing", "status": "full", "credit": 1.0, "via": None}],
    )
    constraints: list[VerdictPublic] = described(
        "Each constraint against it.",
        [{"name": "region", "ok": True, "hard": True, "detail": "Available in DE"}],
    )
    reasons: list[str] = described(
        "Why it fits, from the evidence that scored it.", ["Covers invoicing."]
    )
    caveats: list[str] = described("What to check.", ["Partial bank feeds."])
    reviewed: dt.date | None = described("When a curator last checked its facts.", "2026-10-01")
    disclosure: DisclosurePublic = described(
        "The relationship behind it.",
        {"relationship": "own", "fee": False, "text": "Our own product."},
    )
    score_parts: ScorePartsPublic = described(
        "The terms of the score.",
        {"coverage": 0.62, "similarity": 0.29, "penalty": 0.0, "total": 0.91},
    )


class RejectedPublic(Schema):
    score: float = described("What it would have scored.", 0.8)
    offering: OfferingRef = described(
        "The offering.",
        {"id": "pay-rival", "name": "Pay Rival", "provider": "Rival", "relationship": "competitor",
         "url": "https://example.com"},
    )  # fmt: skip
    does_not_meet: list[VerdictPublic] = described(
        "The hard constraints it fails.",
        [{"name": "region", "ok": False, "hard": True, "detail": "Not available in DE"}],
    )
    reasons: list[str] = described("What it would have offered.", ["Covers invoicing."])
    disclosure: DisclosurePublic = described(
        "The relationship behind it.",
        {"relationship": "competitor", "fee": False, "text": "Competitor product."},
    )


class BestOwnPublic(Schema):
    offering_id: str = described("Our best offering for the need.", "ledgerly-books")
    rank: int | None = described("Its rank among the results, if it is one.", 3)
    comparison: str = described(
        "An honest comparison with the best fit.",
        "Ledgerly Books covers invoicing but not card payments; Pay Rival covers both.",
    )
    does_not_meet: list[str] = described(
        "The must-haves it fails, as constraint names (region, platforms, budget, "
        "must_have:<capability>, …); empty when it is one of the fits.",
        ["region"],
        default=[],
    )


class BundlePublic(Schema):
    offerings: list[str] = described("Offering ids that together cover the need.", ["a", "b"])
    covers: list[str] = described("Capabilities the bundle covers.", ["invoicing", "payroll"])
    reasons: list[str] = described("Why this bundle.", ["a integrates with b."])
    score: float = described("Bundle score, 0–1.", 0.8)


class UnmetPublic(Schema):
    capability: str = described("A requested capability nothing covers.", "payroll")
    detail: str = described("In plain words.", "No active offering covers payroll in DE.")


class AdmittedPublic(Schema):
    offering: OfferingRef = described(
        "An offering the relaxation would admit.",
        {"id": "ledgerly-books", "name": "Ledgerly Books", "provider": "Ledgerly",
         "relationship": "own", "url": "https://example.com"},
    )  # fmt: skip
    disclosure: DisclosurePublic = described(
        "The relationship behind it.",
        {"relationship": "own", "fee": False, "text": "Our own product."},
    )


class RelaxationPublic(Schema):
    relax: list[str] = described("Constraints to relax.", ["budget_monthly"])
    admits: list[str] = described("Offerings that would then fit.", ["ledgerly-books"])
    detail: str = described("In plain words.", "Raising the budget to $60 admits Ledgerly Books.")
    offerings: list[AdmittedPublic] = described(
        "The offerings of `admits`, named and with their relationship disclosed, so that "
        "whoever shows a relaxation can disclose what it would lead to.",
        [{"offering": {"id": "ledgerly-books", "name": "Ledgerly Books", "provider": "Ledgerly",
                       "relationship": "own", "url": "https://example.com"},
          "disclosure": {"relationship": "own", "fee": False, "text": "Our own product."}}],
        default_factory=list,
    )  # fmt: skip


class ConsideredPublic(Schema):
    own: int = described("Own offerings considered.", 8)
    partner: int = described("Partner offerings considered.", 15)
    competitor: int = described("Competitor offerings considered.", 110)
    other: int = described("Independent offerings considered.", 12)


class MarketCoveragePublic(Schema):
    catalog: str = described("Which catalogue answered.", "Ledgerly")
    version: str = described("Its version.", "2026.11")
    date: dt.date | None = described("Its date.", "2026-11-01")
    considered: ConsideredPublic = described(
        "How many offerings of each relationship were considered.",
        {"own": 8, "partner": 15, "competitor": 110, "other": 12},
    )


class RecommendationPublic(Schema):
    id: str | None = described(
        "Record id (null only in CLI output, which stores nothing).", "rec_3f9a"
    )
    created_at: dt.datetime | None = described("When it was made.", "2026-11-23T10:00:00Z")
    channel: str | None = described("api, advocate or widget.", "api")
    need: str | None = described(
        "The need text as it was read and stored: e-mail addresses, phone numbers and card-like "
        "numbers replaced by [email], [phone], [card] (unless redaction is turned off).",
        "I send invoices, call me on [phone]",
        default=None,
    )
    interpreted: InterpretationPublic = described(
        "What was understood.",
        {"capabilities": [], "constraints": {}, "stated": [], "negations": [],
         "not_understood": []},
    )  # fmt: skip
    results: list[FitPublic] = described(
        "Ranked fits (only offerings meeting every hard constraint).", []
    )
    rejected: list[RejectedPublic] = described("Close candidates that fail a hard constraint.", [])
    best_own: BestOwnPublic | None = described(
        "Our best offering, compared honestly.",
        {"offering_id": "ledgerly-books", "rank": 3, "comparison": "…"},
    )
    bundles: list[BundlePublic] = described("Sets that together cover what no single fit does.", [])
    unmet: list[UnmetPublic] = described("Requested capabilities nothing covers.", [])
    relaxations: list[RelaxationPublic] = described(
        "Smallest relaxations that would admit a fit.", []
    )
    coverage: MarketCoveragePublic = described(
        "Which catalogue answered and what it considered.",
        {"catalog": "Ledgerly", "version": "2026.11", "date": None,
         "considered": {"own": 8, "partner": 15, "competitor": 110, "other": 12}},
    )  # fmt: skip
    summary: str = described(
        "One plain sentence.", "Pay Rival fits best; ours misses card payments."
    )
    catalog_version_id: int | None = described("The stored catalogue version that answered.", 3)
    rules_version: str = described("Rules version.", "2026.11+5b736be56c59")
    engine_version: str = described("Engine version.", "1.0.0")
    outcome: OutcomePublic | None = described("The recorded outcome, if any.", None, default=None)


def _constraints(constraints: Constraints) -> ConstraintsPublic:
    budget = constraints.budget_monthly
    return ConstraintsPublic(
        budget_monthly=float(budget) if budget is not None else None,
        currency=constraints.currency,
        region=constraints.region,
        language_area=constraints.language_area,
        platforms=list(constraints.platforms),
        excluded_platforms=list(constraints.excluded_platforms),
        segment=constraints.segment,
        must_have=list(constraints.must_have),
        compliance=list(constraints.compliance),
        languages=list(constraints.languages),
        price_models=[PriceModel(m) for m in constraints.price_models],
        excluded_price_models=[PriceModel(m) for m in constraints.excluded_price_models],
        soft=list(constraints.soft),
    )


def _stated(stated: StatedConstraint) -> StatedConstraintPublic:
    return StatedConstraintPublic(
        name=stated.name,
        value=stated.value,
        matched=stated.matched,
        negated=stated.negated,
        source=stated.source,
        overridden=stated.overridden,
    )


def _offering(offering: Offering) -> OfferingRef:
    return OfferingRef(
        id=offering.id,
        name=offering.name,
        provider=offering.provider,
        relationship=offering.relationship,
        url=offering.url,
    )


def _verdict(verdict: ConstraintVerdict) -> VerdictPublic:
    return VerdictPublic(name=verdict.name, ok=verdict.ok, hard=verdict.hard, detail=verdict.detail)


def _disclosure(fit: Fit) -> DisclosurePublic:
    return _disclosed(fit.disclosure)


def _disclosed(disclosure: Disclosure) -> DisclosurePublic:
    return DisclosurePublic(
        relationship=disclosure.relationship, fee=disclosure.fee, text=disclosure.text
    )


def _interpretation(interpretation: Interpretation) -> InterpretationPublic:
    return InterpretationPublic(
        capabilities=[
            CapabilityReadPublic(
                id=c.id,
                label=c.label,
                matched=c.matched,
                confidence=round(c.confidence, 4),
                source=c.source,
                must_have=c.must_have,
                span=SpanPublic(start=c.span.start, end=c.span.end) if c.span else None,
                central=c.central,
            )
            for c in interpretation.capabilities
        ],
        constraints=_constraints(interpretation.constraints),
        stated=[_stated(s) for s in interpretation.stated],
        negations=[_stated(s) for s in interpretation.stated if s.negated],
        not_understood=list(interpretation.not_understood),
        language=interpretation.language,
        understood=round(interpretation.understood, 4),
        ask_understood=interpretation.ask_understood,
        did_you_mean=[
            SuggestionPublic(id=cap_id, label=label) for cap_id, label in interpretation.suggestions
        ],
        mentioned=list(interpretation.mentioned),
    )


def _fit(fit: Fit, index: int) -> FitPublic:
    parts = fit.parts
    return FitPublic(
        rank=fit.rank if fit.rank is not None else index,
        score=round(fit.score, 4),
        offering=_offering(fit.offering),
        coverage=[
            CoveragePublic(
                capability=c.capability,
                status=CoverageStatus(c.status),
                credit=round(c.credit, 4),
                via=c.via,
            )
            for c in fit.coverage
        ],
        constraints=[_verdict(v) for v in fit.constraints],
        reasons=list(fit.reasons),
        caveats=list(fit.caveats),
        reviewed=fit.offering.reviewed,
        disclosure=_disclosure(fit),
        score_parts=ScorePartsPublic(
            coverage=round(parts.coverage, 4),
            similarity=round(parts.similarity, 4),
            penalty=round(parts.penalty, 4),
            total=round(parts.total, 4),
        ),
    )


def _rejected(fit: Fit) -> RejectedPublic:
    return RejectedPublic(
        score=round(fit.score, 4),
        offering=_offering(fit.offering),
        does_not_meet=[_verdict(v) for v in fit.failed],
        reasons=list(fit.reasons),
        disclosure=_disclosure(fit),
    )


def _best_own(best_own: BestOwn) -> BestOwnPublic:
    return BestOwnPublic(
        offering_id=best_own.offering_id,
        rank=best_own.rank,
        comparison=best_own.comparison,
        does_not_meet=list(best_own.does_not_meet),
    )


def _market(coverage: MarketCoverage) -> MarketCoveragePublic:
    considered = coverage.considered
    return MarketCoveragePublic(
        catalog=coverage.catalog,
        version=coverage.version,
        date=coverage.date,
        considered=ConsideredPublic(**{r.value: int(considered.get(r, 0)) for r in Relationship}),
    )


def recommendation_public(
    recommendation: Recommendation,
    *,
    record_id: str | None = None,
    created_at: dt.datetime | None = None,
    channel: str | None = None,
    catalog_version_id: int | None = None,
    admitted: Mapping[str, tuple[Offering, Disclosure]] | None = None,
) -> RecommendationPublic:
    """The v1 response for an engine :class:`Recommendation`: the only such rendering (the
    API's body, the stored response, the console's page and the CLI's ``--json`` all come
    from here). ``admitted`` holds the offerings relaxations admit, with their disclosures
    (:func:`~referral_api.service.recommendations.admitted_offerings`); without it a
    relaxation names them by id only."""
    admitted = admitted or {}
    return RecommendationPublic(
        id=record_id,
        created_at=created_at,
        channel=channel,
        need=recommendation.need.text,
        interpreted=_interpretation(recommendation.interpretation),
        results=[_fit(fit, index) for index, fit in enumerate(recommendation.results, start=1)],
        rejected=[_rejected(fit) for fit in recommendation.rejected],
        best_own=_best_own(recommendation.best_own) if recommendation.best_own else None,
        bundles=[
            BundlePublic(
                offerings=list(b.offerings),
                covers=list(b.covers),
                reasons=list(b.reasons),
                score=round(b.score, 4),
            )
            for b in recommendation.bundles
        ],
        unmet=[UnmetPublic(capability=u.capability, detail=u.detail) for u in recommendation.unmet],
        relaxations=[
            RelaxationPublic(
                relax=list(r.relax),
                admits=list(r.admits),
                detail=r.detail,
                offerings=[
                    AdmittedPublic(offering=_offering(offering), disclosure=_disclosed(disclosure))
                    for offering, disclosure in (admitted[i] for i in r.admits if i in admitted)
                ],
            )
            for r in recommendation.relaxations
        ],
        coverage=_market(recommendation.coverage),
        summary=recommendation.summary,
        catalog_version_id=catalog_version_id,
        rules_version=recommendation.rules_version,
        engine_version=recommendation.engine_version,
        outcome=None,
    )


def recommendation_body(
    recommendation: Recommendation,
    *,
    record_id: str | None = None,
    created_at: dt.datetime | None = None,
    channel: str | None = None,
    catalog_version_id: int | None = None,
    admitted: Mapping[str, tuple[Offering, Disclosure]] | None = None,
) -> dict[str, Any]:
    """:func:`recommendation_public` as JSON values: the body the API sends and stores."""
    return recommendation_public(
        recommendation,
        record_id=record_id,
        created_at=created_at,
        channel=channel,
        catalog_version_id=catalog_version_id,
        admitted=admitted,
    ).model_dump(mode="json")
