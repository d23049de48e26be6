"""Catalogue edits and activation: every change is validated whole and stored as a new version.

An edit (an offering created, replaced or removed) is made on top of the active version, read
under the lock that serialises catalogue changes, validated exactly like files, and stored as
the new active version with its audit-log entry — all in the caller's unit of work.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from referral_api.curation.catalog_loader import OFFERINGS_DIR
from referral_api.curation.snapshot import Snapshot, snapshot_from_documents, trusted_snapshot
from referral_api.errors import CatalogInvalid, Conflict, NotFound, Unavailable
from referral_api.store.catalogs import store_snapshot
from referral_api.store.models import CatalogVersion
from referral_api.store.repositories import CatalogChangeRepository, CatalogVersionRepository

#: where offerings created through the API go when they have no file yet
API_OFFERINGS_FILE = f"{OFFERINGS_DIR}/api.yaml"


def rebuild(version: CatalogVersion) -> Snapshot:
    """The catalogue and rules of a stored version (validated when it was stored)."""
    return trusted_snapshot(version.documents, version.rules_texts)


def _active(session: Session) -> CatalogVersion:
    """The active version, read after taking the lock that serialises catalogue changes: an
    edit is always made on top of the edits committed before it (none is lost)."""
    repository = CatalogVersionRepository(session)
    repository.lock_changes()
    version = repository.active()
    if version is None:
        raise Unavailable("no catalogue has been loaded yet", retry_after=30)
    return version


def _offering_file(documents: Mapping[str, Any], offering_id: str) -> tuple[str, int] | None:
    for name, entries in documents.items():
        if name.startswith(f"{OFFERINGS_DIR}/") and isinstance(entries, list):
            for index, entry in enumerate(entries):
                if isinstance(entry, Mapping) and entry.get("id") == offering_id:
                    return name, index
    return None


def put_offering(
    session: Session, offering_id: str, document: Mapping[str, Any], *, actor: str
) -> tuple[CatalogVersion, bool]:
    """Create or replace one offering in a new active version; whether it was created.

    The whole catalogue is validated again exactly like files, so an edit can never leave an
    invalid catalogue active.
    """
    active = _active(session)
    documents = json.loads(json.dumps(active.documents))
    entry = {"id": offering_id, **{k: v for k, v in document.items() if k != "id"}}
    found = _offering_file(documents, offering_id)
    if found is None:
        documents.setdefault(API_OFFERINGS_FILE, []).append(entry)
    else:
        name, index = found
        documents[name][index] = entry
    snapshot = snapshot_from_documents(documents, active.rules_texts)
    action = "create_offering" if found is None else "replace_offering"
    version = store_snapshot(
        session, snapshot, actor=actor, action=action, offering_id=offering_id,
        detail={"previous_version_id": active.id},
    )  # fmt: skip
    return version, found is None


def delete_offering(session: Session, offering_id: str, *, actor: str) -> CatalogVersion:
    """Remove one offering in a new active version (409 when the rest would be invalid)."""
    active = _active(session)
    documents = json.loads(json.dumps(active.documents))
    found = _offering_file(documents, offering_id)
    if found is None:
        raise NotFound(f"no offering {offering_id!r} in the active catalogue")
    name, index = found
    del documents[name][index]
    if not documents[name]:
        del documents[name]
    try:
        snapshot = snapshot_from_documents(documents, active.rules_texts)
    except CatalogInvalid as exc:
        raise Conflict(
            f"removing {offering_id!r} would leave the catalogue invalid: {exc.detail}",
            fields=exc.fields,
        ) from exc
    return store_snapshot(
        session, snapshot, actor=actor, action="delete_offering", offering_id=offering_id,
        detail={"previous_version_id": active.id},
    )  # fmt: skip


def activate_version(session: Session, version_id: int, *, actor: str) -> CatalogVersion:
    """Make a stored version active again (a rollback), logged."""
    repository = CatalogVersionRepository(session)
    repository.lock_changes()
    version = repository.get(version_id)
    if version is None:
        raise NotFound(f"no catalogue version {version_id}")
    rebuild(version)  # refuse a version that no longer validates under the current code
    repository.activate(version)
    CatalogChangeRepository(session).record(
        actor=actor, action="activate", version_id=version.id, detail={}
    )
    return version
