"""Offerings on the wire: the curator's edit body and the public view of an offering."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    ConfigDict,
    StringConstraints,
)

from referral_api.curation.urls import url_problem
from referral_api.domain import (
    CoverageLevel,
    Offering,
    OfferingStatus,
    PriceModel,
    Relationship,
    Rules,
)
from referral_api.errors import InputError
from referral_api.schemas.common import (
    Body,
    Schema,
    Word,
    described,
)
from referral_api.schemas.recommendations import DisclosurePublic


class PriceSchema(Schema):
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    model: PriceModel = described("How it is charged.", "subscription")
    monthly_from: float | None = described("Lowest monthly price.", 15, default=None, ge=0)
    monthly_to: float | None = described("Highest monthly price.", 60, default=None, ge=0)
    currency: str | None = described(
        "ISO 4217 currency.", "USD", default=None, pattern="^[A-Za-z]{3}$"
    )
    free_tier: bool = described("Whether a free tier exists.", False, default=False)
    one_time: float | None = described("One-time price.", None, default=None, ge=0)


class ReferralSchema(Schema):
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    fee: bool = described("Whether we may receive a fee or commission.", False, default=False)
    disclosure: str | None = described(
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


#: fields of :class:`OfferingPublic` that a body may carry back but that are never stored
READ_ONLY = frozenset({"id", "disclosure"})


class OfferingUpdate(Body):
    """An offering as the catalogue file format has it (the id comes from the path).

    What ``GET /v1/offerings/{id}`` answers is a valid body as it is: its read-only fields are
    accepted when they are what the server has (``id`` the path's, ``disclosure`` the one
    derived from this body's relationship and referral) and never stored
    (:meth:`check_read_only`).
    """

    id: str | None = described(
        "Read-only: the offering's id, as in the path. Optional; when given, it must be the "
        "path's.",
        "ledgerly-books",
        default=None,
        max_length=200,
    )

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] = described(
        "Offering name.", "Ledgerly Books"
    )
    relationship: Relationship = described("own, partner, competitor or other.", "own")
    capabilities: dict[Word, CoverageLevel] = described(
        "Capability id → full or partial.", {"invoicing": "full"}, max_length=200
    )
    provider: str | None = described("Who provides it.", "Ledgerly", default=None, max_length=200)
    summary: str | None = described(
        "One or two sentences.", "Cloud bookkeeping.", default=None, max_length=2000
    )
    price: PriceSchema | None = described(
        "What it costs.", {"model": "subscription", "monthly_from": 15}, default=None
    )
    segments: list[Word] = described("Segments served.", ["small"], default=[], max_length=20)
    regions: list[Word] = described(
        "Region codes or global.", ["US", "CA"], default=[], max_length=300
    )
    platforms: list[Word] = described("Platforms.", ["web", "ios"], default=[], max_length=50)
    compliance: list[Word] = described("Compliance held.", ["soc2"], default=[], max_length=50)
    languages: list[Word] = described("Interface languages.", ["en"], default=[], max_length=100)
    integrations: list[Word] = described(
        "Offering ids it integrates with.", [], default=[], max_length=100
    )
    licenses: list[Word] = described("Licences.", ["MIT"], default=[], max_length=20)
    url: Url | None = described("Where to find it.", "https://example.com", default=None)
    status: OfferingStatus = described(
        "active or retired.", "active", default=OfferingStatus.ACTIVE
    )
    reviewed: dt.date | None = described(
        "When its facts were last checked.", "2026-10-01", default=None
    )
    sources: list[Url] = described(
        "Where the facts come from.", ["https://example.com/pricing"], default=[], max_length=20
    )
    referral: ReferralSchema | None = described(
        "The commercial side.", {"fee": False, "disclosure": "No commercial relationship."},
        default=None,
    )  # fmt: skip
    disclosure: DisclosurePublic | None = described(
        "Read-only, derived from relationship and referral (as GET shows it). Optional; when "
        "given, it must be the one this body's relationship and referral make. To change the "
        "text, set referral.disclosure.",
        {"relationship": "own", "fee": False, "text": "Our own product."},
        default=None,
    )

    def check_read_only(self, offering_id: str, rules: Rules) -> None:
        """:class:`InputError` naming each read-only field that differs from what the server
        has: a read-back body passes, a forged one is refused (never silently dropped)."""
        problems = []
        if self.id is not None and self.id != offering_id:
            problems.append(
                {"field": "id", "message": f"must be {offering_id!r} (the path's) or left out"}
            )
        if self.disclosure is not None:
            fee = self.referral.fee if self.referral else False
            text = self.referral.disclosure if self.referral else None
            derived = disclosure_public(self.relationship, fee, text, rules)
            if self.disclosure != derived:
                problems.append({
                    "field": "disclosure",
                    "message": "derived from relationship and referral, so it would be "
                    f"{derived.model_dump(mode='json')}: send that, or leave it out (set "
                    "referral.disclosure to change the text)",
                })  # fmt: skip
        if problems:
            raise InputError("; ".join(p["message"] for p in problems), fields=problems)

    def document(self) -> dict[str, Any]:
        """The catalogue document (file format) for this offering (read-only fields left out)."""
        data = self.model_dump(mode="json", exclude_none=True, exclude=set(READ_ONLY))
        return {key: value for key, value in data.items() if value != []}


class OfferingPublic(Schema):
    id: str = described("Offering id.", "ledgerly-books")
    name: str = described("Offering name.", "Ledgerly Books")
    relationship: Relationship = described("Our relationship to it.", "own")
    provider: str | None = described("Who provides it.", "Ledgerly")
    summary: str | None = described("One or two sentences.", "Cloud bookkeeping.")
    capabilities: dict[str, CoverageLevel] = described("Capability → level.", {"invoicing": "full"})
    price: PriceSchema | None = described(
        "What it costs.", {"model": "subscription", "monthly_from": 15}
    )
    segments: list[str] = described("Segments served.", ["small"])
    regions: list[str] = described("Regions.", ["US"])
    platforms: list[str] = described("Platforms.", ["web"])
    compliance: list[str] = described("Compliance.", ["soc2"])
    languages: list[str] = described("Languages.", ["en"])
    integrations: list[str] = described("Integrates with.", ["stripe-payments"])
    licenses: list[str] = described("Licences.", [])
    url: str | None = described("Where to find it.", "https://example.com")
    status: OfferingStatus = described("active or retired.", "active")
    reviewed: dt.date | None = described("Last checked.", "2026-10-01")
    sources: list[str] = described("Where the facts come from.", ["https://example.com/pricing"])
    referral: ReferralSchema | None = described(
        "The commercial side, as curated (null when the catalogue says nothing).",
        {"fee": False, "disclosure": "No commercial relationship."},
        default=None,
    )
    disclosure: DisclosurePublic = described(
        "The disclosure shown with it.",
        {"relationship": "own", "fee": False, "text": "Our own product."},
    )


def disclosure_public(
    relationship: Relationship, fee: bool, text: str | None, rules: Rules
) -> DisclosurePublic:
    """The disclosure shown with an offering: its own text, else the rules' for its kind."""
    shown = text or rules.policy.disclosure_for(relationship, fee)
    return DisclosurePublic(relationship=relationship, fee=fee, text=shown or relationship.value)


def offering_public(offering: Offering, rules: Rules) -> OfferingPublic:
    """An offering of the catalogue on the wire, with the disclosure shown with it."""
    referral = offering.referral
    fee = referral.fee if referral else False
    text = referral.disclosure if referral else None
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
        referral=ReferralSchema(fee=referral.fee, disclosure=referral.disclosure)
        if referral
        else None,
        disclosure=disclosure_public(offering.relationship, fee, text, rules),
    )


class OfferingsPublic(Schema):
    data: list[OfferingPublic] = described("This page of offerings, by id.", [])
    count: int = described("How many offerings match the filters.", 133)
    next_cursor: str | None = described(
        "Pass as cursor for the next page; null on the last.", "b2Zm"
    )


class CatalogChangePublic(Schema):
    action: str = described("What changed.", "replace_offering")
    offering_id: str = described("The offering.", "ledgerly-books")
    catalog_version_id: int = described("The new active catalogue version.", 4)
    offering: OfferingPublic | None = described("The offering as stored (null after delete).", None)
