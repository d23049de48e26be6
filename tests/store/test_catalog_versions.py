"""Catalogue versions: stored as snapshots, exactly one active, rebuilt exactly, edits validated."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from referral_api.curation.snapshot import snapshot_from_dirs
from referral_api.errors import CatalogInvalid, Conflict, NotFound
from referral_api.service.catalogue import activate_version, delete_offering, put_offering, rebuild
from referral_api.store.catalogs import store_snapshot
from referral_api.store.models import CatalogChange, CatalogVersion
from referral_api.store.repositories import CatalogVersionRepository
from tests.factories import RULES_DIR, make_offering, make_snapshot


class TestActiveVersion:
    def test_storing_a_version_makes_it_the_only_active_one(self, session: Session) -> None:
        first = store_snapshot(session, make_snapshot(version="a"), actor="t", action="load")
        second = store_snapshot(session, make_snapshot(version="b"), actor="t", action="load")
        versions = CatalogVersionRepository(session)
        assert versions.active_id() == second.id
        session.refresh(first)
        assert first.active is False
        active = session.scalars(select(CatalogVersion).where(CatalogVersion.active)).all()
        assert len(active) == 1

    def test_the_database_refuses_a_second_active_version(self, session: Session) -> None:
        version = store_snapshot(session, make_snapshot(), actor="t", action="load")
        duplicate = CatalogVersion(
            catalog_version="x", rules_version="x", company="x", documents={},
            rules_texts={}, content_hash="x", offering_count=0, loaded_by="t", active=True,
        )  # fmt: skip
        nested = session.begin_nested()
        session.add(duplicate)
        with pytest.raises(IntegrityError):
            session.flush()
        nested.rollback()
        assert CatalogVersionRepository(session).active_id() == version.id

    def test_activating_an_old_version_rolls_back(self, session: Session) -> None:
        first = store_snapshot(session, make_snapshot(version="a"), actor="t", action="load")
        store_snapshot(session, make_snapshot(version="b"), actor="t", action="load")
        activate_version(session, first.id, actor="t")
        assert CatalogVersionRepository(session).active_id() == first.id
        with pytest.raises(NotFound):
            activate_version(session, 10_000, actor="t")


class TestSnapshot:
    def test_a_stored_version_rebuilds_the_same_catalogue(self, session: Session) -> None:
        snapshot = make_snapshot()
        version = store_snapshot(session, snapshot, actor="t", action="load")
        session.expire_all()
        rebuilt = rebuild(CatalogVersionRepository(session).get(version.id))  # type: ignore[arg-type]
        assert rebuilt.catalog == snapshot.catalog
        assert rebuilt.rules.version == snapshot.rules.version
        assert rebuilt.content_hash == version.content_hash

    def test_rules_from_texts_keep_the_files_version(self, rules: object) -> None:
        snapshot = make_snapshot()
        assert snapshot.rules.version == rules.version  # type: ignore[attr-defined]

    def test_an_invalid_directory_is_refused_before_anything_is_stored(
        self, session: Session, tmp_path: Path
    ) -> None:
        (tmp_path / "catalog.yaml").write_text("company: X\ncurrency: USD\nversion: '1'\n")
        with pytest.raises(CatalogInvalid) as caught:
            snapshot_from_dirs(tmp_path, RULES_DIR)
        assert any(f["field"] for f in caught.value.fields)
        assert CatalogVersionRepository(session).count() == 0


class TestOfferingEdits:
    def test_put_creates_a_new_version_and_logs_it(self, session: Session) -> None:
        first = store_snapshot(session, make_snapshot(), actor="t", action="load")
        document = make_offering(id="new-one", relationship="partner")
        version, created = put_offering(session, "new-one", document, actor="curator")
        assert created is True
        assert version.id != first.id
        assert rebuild(version).catalog.offering("new-one") is not None
        actions = session.scalars(select(CatalogChange.action)).all()
        assert actions == ["load", "create_offering"]

    def test_put_validates_like_files(self, session: Session) -> None:
        store_snapshot(session, make_snapshot(), actor="t", action="load")
        document = make_offering(id="ledger-own", capabilities={"invoicng": "full"})
        with pytest.raises(CatalogInvalid) as caught:
            put_offering(session, "ledger-own", document, actor="curator")
        assert "invoicing" in caught.value.fields[0]["message"]  # the did-you-mean hint

    def test_delete_refuses_to_break_integrations(self, session: Session) -> None:
        offerings = [
            make_offering(id="a", integrations=["b"]),
            make_offering(id="b"),
        ]
        store_snapshot(session, make_snapshot(offerings=offerings), actor="t", action="load")
        with pytest.raises(Conflict):
            delete_offering(session, "b", actor="curator")
        version = delete_offering(session, "a", actor="curator")
        assert rebuild(version).catalog.offering("a") is None
        with pytest.raises(NotFound):
            delete_offering(session, "a", actor="curator")
