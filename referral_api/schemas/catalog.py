"""Capabilities, ranking transparency and catalogue versions on the wire."""

from __future__ import annotations

import datetime as dt
from typing import Any

from referral_api.domain import (
    Catalog,
    Rules,
)
from referral_api.matching import interpret as reading
from referral_api.schemas.common import (
    Schema,
    described,
)


class CapabilityPublic(Schema):
    id: str = described("Capability id.", "invoicing")
    label: str = described("Label.", "Invoicing")
    description: str | None = described("Description.", "Sending bills to clients.")
    synonyms: list[str] = described("Other words for it.", ["invoices", "billing clients"])
    broader: list[str] = described("Broader capabilities (graph neighbours).", ["accounting"])
    narrower: list[str] = described("Narrower capabilities.", ["recurring-invoices"])
    related: list[str] = described("Related capabilities.", ["online-payments"])
    requires: list[str] = described("Capabilities it requires.", [])
    offerings: int = described("Active offerings covering it.", 12)


class CapabilitiesPublic(Schema):
    data: list[CapabilityPublic] = described("Every capability.", [])
    count: int = described("How many.", 40)


class RankingParameter(Schema):
    name: str = described("Parameter.", "coverage")
    value: str = described("Its current value.", "full 1.0, partial 0.6")
    explanation: str = described(
        "What it does, in plain words.", "How much of what you asked for the offering covers."
    )


class DisclosurePolicyPublic(Schema):
    relationship: str = described("own, partner, partner_fee, competitor or other.", "partner_fee")
    text: str = described(
        "The disclosure shown.", "Partner product: we may receive a referral fee."
    )


class RankingPublic(Schema):
    summary: str = described(
        "How results are ranked, in one paragraph.", "Offerings are ranked by how well they fit…"
    )
    ownership: str = described(
        "How ownership is treated.", "Who owns an offering is never an input to its score."
    )
    parameters: list[RankingParameter] = described("The main parameters, with current values.", [])
    tie_break: list[str] = described("What orders equal scores, in order.", ["coverage", "price"])
    disclosures: list[DisclosurePolicyPublic] = described("Disclosure texts by relationship.", [])
    staleness_days: int = described("Facts older than this get a caveat.", 365)
    rules_version: str = described("Rules version these values come from.", "2026.11+5b736be56c59")
    catalog_version_id: int = described("Active catalogue version.", 3)


class CatalogVersionPublic(Schema):
    id: int = described("Version id.", 3)
    catalog_version: str = described("The catalogue's own version.", "2026.11")
    rules_version: str = described("Rules version.", "2026.11+5b736be56c59")
    company: str = described("Company.", "Ledgerly")
    offering_count: int = described("Offerings in it.", 145)
    loaded_by: str = described("Who loaded it.", "cli:alice")
    loaded_at: dt.datetime = described("When.", "2026-11-23T10:00:00Z")
    active: bool = described("Whether workers serve it.", True)
    note: str = described("Note.", "")


class CatalogChangeLogPublic(Schema):
    id: int = described("Entry id.", 12)
    at: dt.datetime = described("When.", "2026-11-23T10:00:00Z")
    actor: str = described("Who: cli:<user> or key:<key name>.", "key:curator")
    action: str = described(
        "load, create_offering, replace_offering, delete_offering, activate, add_synonym "
        "(an accepted vocabulary suggestion) or reject_suggestion.",
        "load",
    )
    catalog_version_id: int | None = described("The version it made active.", 4)
    offering_id: str | None = described("The offering it changed, if one.", "ledgerly-books")
    detail: dict[str, Any] = described("Versions involved.", {"previous_version_id": 3})


class CatalogChangesPublic(Schema):
    data: list[CatalogChangeLogPublic] = described("Newest first (100 at most).", [])
    count: int = described("How many are shown.", 12)


class CatalogVersionsPublic(Schema):
    data: list[CatalogVersionPublic] = described("Newest first.", [])
    count: int = described("How many versions exist.", 3)


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
            f"{w.via_narrower:g} (from {w.breadth_floor:g} of that for an offering covering the "
            f"fewest of its narrower kinds), via a broader one {w.via_broader:g}, related only "
            f"{w.related:g}",
            explanation="The largest part of the score: how much of what you asked for the "
            "offering provides, and how directly. Asked for something broad (accounting, "
            "payments), an offering covering more of its narrower kinds earns more.",
        ),
        RankingParameter(
            name="graph distance",
            value=f"credit × {w.hop_decay:g} per further step, at most {t.max_hops} steps",
            explanation="Credit through neighbouring capabilities shrinks with each step.",
        ),
        RankingParameter(
            name="text similarity",
            value=f"{w.similarity:g} of the score",
            explanation="How closely the offering's description matches your words "
            f"(everyday words, wordfreq Zipf ≥ {reading.SIMILARITY_MAX_ZIPF:g}, such as 'see' "
            "or 'three', count only inside a capability's phrase).",
        ),
        RankingParameter(
            name="preferences",
            value=f"−{w.soft_penalty:g} per unmet preference",
            explanation="Soft wishes (segment, language, hedged constraints) lower the score a "
            "little; hard constraints (region, where your language is spoken, platform, "
            "compliance, budget, must-haves, "
            "excluded price models) are never relaxed silently: an offering failing one is "
            "not a fit, and is shown only as 'does not meet'.",
        ),
        RankingParameter(
            name="the central ask",
            value=f"side capabilities under {reading.PRIMARY_SHARE:g} of the best one's "
            "confidence, broader than another asked for, or a feature named within "
            f"{reading.FEATURE_GAP} words after the thing asked ('with', 'that'), do not make a "
            "fit",
            explanation="A fit must serve what you ask for (the words after 'we need', "
            "'looking for'…, or all of them when no such words are there), fully, partly or "
            "through a narrower capability (a broader one earns credit but serves nothing); "
            "'a business account with cards' asks for a business account that has cards. "
            "When we did not understand what you ask "
            "for, no fit is claimed: the answer says what we did not understand and the "
            "nearest capabilities ('did you mean').",
        ),
        RankingParameter(
            name="evidence from words",
            value=f"one everyday word (wordfreq Zipf ≥ {reading.GENERIC_ZIPF:g}) counts down to "
            f"0.3; words only in the context you describe × {reading.CONTEXT_CONFIDENCE:g}; "
            f"minimum confidence {t.min_confidence:g}; with no phrase, the asked words' match "
            f"with one capability's vocabulary at least {reading.STRONG_DOCUMENT_SCORE:g} (BM25) "
            f"and {reading.STRONG_DOCUMENT_MARGIN:g}× the next, through at least one word rarer "
            f"than wordfreq Zipf {reading.SPECIFIC_ZIPF:g}",
            explanation="A capability is read from a phrase that names it, or from several "
            "specific words the catalogue knows — never from one stray word. The name of an "
            "offering is read as what you use today, not as a need.",
        ),
        RankingParameter(
            name="languages",
            value=", ".join(rules.supported_languages),
            explanation="The language of your words is detected; they are read with that "
            "language's stems, phrases and cue words, beside English ones. Written in another "
            "language than English and naming no place of yours, a need is from where that "
            "language is a main language (GeoNames): a fit must be available there.",
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
            name="paying abroad",
            value=(
                f"{', '.join(rules.cross_border_paying)} → also {rules.cross_border_international}"
                if rules.cross_border_international
                else "none"
            ),
            explanation="Asked to pay someone whose place is in another country than yours "
            "('our supplier in Istanbul'), or to pay in a currency not yours ('in USD', from "
            "the UK), the international payment is asked for as well as the paying.",
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
