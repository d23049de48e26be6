"""Catalogue versions in the database: store a validated snapshot as the active version."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from referral_api.curation.snapshot import Snapshot
from referral_api.store.models import CatalogVersion, utcnow
from referral_api.store.repositories import CatalogChangeRepository, CatalogVersionRepository


def store_snapshot(
    session: Session,
    snapshot: Snapshot,
    *,
    actor: str,
    action: str,
    note: str = "",
    offering_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> CatalogVersion:
    """Store ``snapshot`` as the new active version and log the change, in the caller's unit."""
    CatalogVersionRepository(session).lock_changes()
    info = snapshot.catalog.info
    version = CatalogVersion(
        catalog_version=info.version,
        rules_version=snapshot.rules.version,
        company=info.company,
        documents=snapshot.documents,
        rules_texts=snapshot.rules_texts,
        content_hash=snapshot.content_hash,
        offering_count=len(snapshot.catalog.offerings),
        loaded_by=actor,
        loaded_at=utcnow(),
        note=note,
    )
    CatalogVersionRepository(session).add_active(version)
    CatalogChangeRepository(session).record(
        actor=actor,
        action=action,
        version_id=version.id,
        offering_id=offering_id,
        detail={"catalog_version": info.version, "rules_version": snapshot.rules.version}
        | (detail or {}),
    )
    return version
