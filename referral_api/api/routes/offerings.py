"""Offerings of the active catalogue: browse, read, and (curators) edit as new versions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from referral_api.domain import Relationship
from referral_api.errors import NotFound
from referral_api.http.deps import AnyKey, CuratorKey, EngineDep, SessionDep
from referral_api.schemas import (
    CatalogChangePublic,
    OfferingPublic,
    OfferingsPublic,
    OfferingUpdate,
    offering_public,
)
from referral_api.service.catalogue import delete_offering, put_offering, rebuild
from referral_api.service.offerings import OfferingFilter, page_offerings

router = APIRouter(prefix="/v1/offerings", tags=["offerings"])

OfferingId = Annotated[
    str,
    Path(
        description="Offering id.",
        examples=["ledgerly-books"],
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
    ),
]


@router.get("")
def list_offerings(
    principal: AnyKey,
    engine: EngineDep,
    relationship: Annotated[
        Relationship | None, Query(description="Only this relationship.", examples=["partner"])
    ] = None,
    capability: Annotated[
        str | None,
        Query(description="Only offerings with this capability.", examples=["invoicing"]),
    ] = None,
    region: Annotated[
        str | None, Query(description="Only offerings serving this region.", examples=["DE"])
    ] = None,
    platform: Annotated[
        str | None, Query(description="Only offerings on this platform.", examples=["ios"])
    ] = None,
    q: Annotated[
        str | None,
        Query(description="Text in id, name, provider or summary.", examples=["books"]),
    ] = None,
    cursor: Annotated[
        str | None, Query(description="next_cursor of the previous page.", examples=["bGVk"])
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Page size.", examples=[20])] = 20,
) -> OfferingsPublic:
    """Offerings of the active catalogue, filtered, by id, a page at a time."""
    where = OfferingFilter(relationship, capability, region, platform, q)
    page, count, next_cursor = page_offerings(
        engine.catalog, engine.rules, where, cursor=cursor, limit=limit
    )
    return OfferingsPublic(
        data=[offering_public(o, engine.rules) for o in page], count=count, next_cursor=next_cursor
    )


@router.get("/{offering_id}")
def get_offering(offering_id: OfferingId, principal: AnyKey, engine: EngineDep) -> OfferingPublic:
    """One offering of the active catalogue."""
    offering = engine.catalog.offering(offering_id)
    if offering is None:
        raise NotFound(f"no offering {offering_id!r} in the active catalogue")
    return offering_public(offering, engine.rules)


@router.put(
    "/{offering_id}",
    responses={201: {"model": CatalogChangePublic, "description": "Created a new offering."}},
)
def replace_offering(
    offering_id: OfferingId,
    body: OfferingUpdate,
    principal: CuratorKey,
    session: SessionDep,
    engine: EngineDep,
    response: Response,
) -> CatalogChangePublic:
    """Create or replace an offering as a new catalogue version, validated like files.

    The body of ``GET /v1/offerings/{id}`` may be sent back as it is, edited or not.
    """
    body.check_read_only(offering_id, engine.rules)
    version, created = put_offering(
        session, offering_id, body.document(), actor=f"key:{principal.name}"
    )
    snapshot = rebuild(version)
    offering = snapshot.catalog.offering(offering_id)
    assert offering is not None
    response.status_code = 201 if created else 200
    return CatalogChangePublic(
        action="create_offering" if created else "replace_offering",
        offering_id=offering_id,
        catalog_version_id=version.id,
        offering=offering_public(offering, snapshot.rules),
    )


@router.delete("/{offering_id}")
def remove_offering(
    offering_id: OfferingId, principal: CuratorKey, session: SessionDep
) -> CatalogChangePublic:
    """Remove an offering, as a new catalogue version (409 if others depend on it)."""
    version = delete_offering(session, offering_id, actor=f"key:{principal.name}")
    return CatalogChangePublic(
        action="delete_offering",
        offering_id=offering_id,
        catalog_version_id=version.id,
        offering=None,
    )
