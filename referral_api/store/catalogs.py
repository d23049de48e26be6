"""Catalogue versions: validate, snapshot, store as the active version, rebuild in any worker.

A snapshot holds the catalogue as documents (the file format, as JSON) and the rules files'
texts, so that ``load_catalog_documents`` and ``load_rules_texts`` rebuild exactly the
catalogue and rules that were validated, without the files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from referral_api.curation import (
    catalog_documents,
    load_catalog,
    load_catalog_documents,
    load_rules_texts,
    read_rules_texts,
)
from referral_api.curation.catalog_loader import OFFERINGS_DIR
from referral_api.curation.problems import ProblemLog
from referral_api.curation.snapshot import catalog_from_snapshot
from referral_api.domain import Catalog, Rules
from referral_api.errors import CatalogInvalid, Conflict, NotFound, Unavailable
from referral_api.store.models import CatalogVersion, utcnow
from referral_api.store.repositories import CatalogChangeRepository, CatalogVersionRepository

#: where offerings created through the API go when they have no file yet
API_OFFERINGS_FILE = f"{OFFERINGS_DIR}/api.yaml"


@dataclass(frozen=True)
class Snapshot:
    """A validated catalogue and rules, with the plain data that rebuilds them."""

    catalog: Catalog
    rules: Rules
    documents: dict[str, Any]
    rules_texts: dict[str, str]

    @property
    def content_hash(self) -> str:
        return content_hash(self.documents, self.rules_texts)


def _plain(value: Any) -> Any:
    """JSON-safe data (dates as ISO text), as stored."""

    def default(item: Any) -> Any:
        if isinstance(item, dt.date | dt.datetime):
            return item.isoformat()
        raise TypeError(f"not JSON-serialisable: {type(item).__name__}")

    return json.loads(json.dumps(value, default=default))


def content_hash(documents: Mapping[str, Any], rules_texts: Mapping[str, str]) -> str:
    text = json.dumps({"catalog": documents, "rules": rules_texts}, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def snapshot_from_dirs(catalog_dir: Path, rules_dir: Path) -> Snapshot:
    """Validate ``catalog_dir`` and ``rules_dir``; :class:`CatalogInvalid` lists every error."""
    log = ProblemLog()
    texts = read_rules_texts(rules_dir, log) if rules_dir.is_dir() else {}
    if not rules_dir.is_dir():
        log.error(str(rules_dir), None, "(dir)", "rules directory does not exist")
    if log.has_errors:
        raise CatalogInvalid(log.sorted())
    rules = load_rules_texts(texts, str(rules_dir)).require()
    catalog = load_catalog(catalog_dir, rules).require()
    return Snapshot(catalog, rules, _plain(catalog_documents(catalog)), texts)


def snapshot_from_documents(
    documents: Mapping[str, Any], rules_texts: Mapping[str, str]
) -> Snapshot:
    """Validate documents exactly like files (e.g. a stored version, or one edited by the API)."""
    rules = load_rules_texts(rules_texts).require()
    plain = _plain(dict(documents))
    catalog = load_catalog_documents(plain, rules).require()
    return Snapshot(catalog, rules, plain, dict(rules_texts))


def rebuild(version: CatalogVersion) -> Snapshot:
    """The catalogue and rules of a stored version.

    Stored documents were validated before they were stored (every way in goes through
    :func:`snapshot_from_dirs` or :func:`snapshot_from_documents`), so they are rebuilt on the
    trusted path, without validating them again.
    """
    rules = load_rules_texts(version.rules_texts).require()
    catalog = catalog_from_snapshot(version.documents)
    return Snapshot(catalog, rules, version.documents, dict(version.rules_texts))


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
