"""Capabilities, ranking transparency, and catalogue versions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from referral_api.http.deps import (
    AnyKey,
    CatalogReadKey,
    CuratorKey,
    EngineDep,
    SessionDep,
)
from referral_api.schemas import (
    CapabilitiesPublic,
    CatalogChangeLogPublic,
    CatalogChangesPublic,
    CatalogVersionPublic,
    CatalogVersionsPublic,
    RankingPublic,
    capabilities_public,
    ranking_public,
)
from referral_api.service.catalogue import activate_version
from referral_api.store.repositories import CatalogChangeRepository, CatalogVersionRepository

router = APIRouter(prefix="/v1", tags=["catalogue"])


@router.get("/capabilities")
def list_capabilities(principal: AnyKey, engine: EngineDep) -> CapabilitiesPublic:
    """Every capability with its graph neighbours (broader, narrower, related, requires)."""
    data = capabilities_public(engine.catalog)
    return CapabilitiesPublic(data=data, count=len(data))


@router.get("/ranking")
def ranking(engine: EngineDep) -> RankingPublic:
    """The main parameters that determine ranking and how relationships are disclosed (public)."""
    return ranking_public(engine.rules, engine.version_id)


@router.get("/catalog/versions")
def list_catalog_versions(principal: CatalogReadKey, session: SessionDep) -> CatalogVersionsPublic:
    """Stored catalogue versions, newest first (50 at most)."""
    versions = CatalogVersionRepository(session)
    data = [CatalogVersionPublic.model_validate(v) for v in versions.list(limit=50)]
    return CatalogVersionsPublic(data=data, count=versions.count())


@router.post("/catalog/versions/{version_id}/activate")
def activate_catalog_version(
    version_id: Annotated[int, Path(description="Version id.", examples=[3], ge=1, le=2**31 - 1)],
    principal: CuratorKey,
    session: SessionDep,
) -> CatalogVersionPublic:
    """Make a stored catalogue version the active one (a rollback); workers follow in seconds."""
    version = activate_version(session, version_id, actor=f"key:{principal.name}")
    return CatalogVersionPublic.model_validate(version)


@router.get("/catalog/changes")
def list_catalog_changes(principal: CatalogReadKey, session: SessionDep) -> CatalogChangesPublic:
    """The audit log of catalogue changes: who loaded, edited or activated what, and when."""
    data = [
        CatalogChangeLogPublic.model_validate(c)
        for c in CatalogChangeRepository(session).list(limit=100)
    ]
    return CatalogChangesPublic(data=data, count=len(data))
