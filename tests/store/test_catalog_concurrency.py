"""Concurrent curator edits: no acknowledged edit is ever lost (issue 16, defect 1).

Each edit reads the active version, validates the whole catalogue, then activates a new
version. Under PostgreSQL's READ COMMITTED an edit committed between another's read and its
activation used to be overwritten: two versions with the same ``previous_version_id``, and one
edit missing from the active catalogue. Edits now take a lock before reading the active
version (``CatalogVersionRepository.lock_changes``), so the later one rebases on the earlier.

The edits here run in two threads, each through a :class:`Database` of its own (as two worker
processes would), on databases whose units of work really commit. The first edit is held in
its validation until the second has finished — or, once the second waits for the lock, until a
second has passed (a bound on waiting, not an assertion on time).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from referral_api.curation.snapshot import Snapshot
from referral_api.service import catalogue as catalogs
from referral_api.service.catalogue import delete_offering, put_offering
from referral_api.store.catalogs import store_snapshot
from referral_api.store.db import Database
from referral_api.store.models import CatalogChange, CatalogVersion
from referral_api.store.repositories import CatalogVersionRepository
from tests.factories import make_offering, make_snapshot

HOLD_SECONDS = 1.0


@pytest.fixture
def url(committed_url: str) -> str:
    """A committed database with a catalogue loaded; its URL (each worker opens its own)."""
    database = Database.from_url(committed_url)
    with database.session() as session:
        store_snapshot(session, make_snapshot(), actor="test", action="load")
    database.dispose()
    return committed_url


def _document(offering_id: str, name: str) -> dict[str, Any]:
    document = make_offering(id=offering_id, relationship="own", name=name)
    del document["id"]
    return document


def _race(
    url: str,
    monkeypatch: pytest.MonkeyPatch,
    first: Callable[[Session], object],
    second: Callable[[Session], object],
) -> None:
    """Run ``first`` and ``second`` on two workers' databases, ``second`` starting (and, when
    nothing stops it, committing) while ``first`` is between reading and activating."""
    workers = [Database.from_url(url), Database.from_url(url)]
    first_read = threading.Event()
    second_done = threading.Event()
    first_thread: list[threading.Thread] = []
    validate = catalogs.snapshot_from_documents

    def held(documents: Mapping[str, Any], rules_texts: Mapping[str, str]) -> Snapshot:
        if first_thread and threading.current_thread() is first_thread[0]:
            first_read.set()
            second_done.wait(HOLD_SECONDS)
        return validate(documents, rules_texts)

    monkeypatch.setattr(catalogs, "snapshot_from_documents", held)
    errors: list[BaseException] = []

    def run(edit: Callable[[Session], object], database: Database, done: threading.Event) -> None:
        try:
            with database.session() as session:
                edit(session)
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    first_done = threading.Event()
    a = threading.Thread(target=run, args=(first, workers[0], first_done))
    first_thread.append(a)
    a.start()
    assert first_read.wait(30)
    b = threading.Thread(target=run, args=(second, workers[1], second_done))
    b.start()
    a.join(60)
    b.join(60)
    for database in workers:
        database.dispose()
    assert errors == []


def _history(url: str) -> tuple[list[int | None], Snapshot]:
    """Each edit's previous version, oldest first, and the active catalogue."""
    database = Database.from_url(url)
    try:
        with database.session(write=False) as session:
            changes = session.scalars(select(CatalogChange).order_by(CatalogChange.id)).all()
            previous = [c.detail.get("previous_version_id") for c in changes if c.action != "load"]
            versions = session.scalars(select(CatalogVersion.id).order_by(CatalogVersion.id))
            ids = list(versions)
            active = CatalogVersionRepository(session).active()
            assert active is not None
            assert active.id == ids[-1]
            # a line, not a fork: each edit is based on the version just before its own
            assert previous == ids[:-1][-len(previous) :]
            return previous, catalogs.rebuild(active)
    finally:
        database.dispose()


def test_edits_of_different_offerings_are_both_kept(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _race(
        url,
        monkeypatch,
        lambda s: put_offering(s, "first-new", _document("first-new", "First"), actor="a"),
        lambda s: put_offering(s, "second-new", _document("second-new", "Second"), actor="b"),
    )
    previous, active = _history(url)
    assert len(set(previous)) == 2
    assert active.catalog.offering("first-new") is not None
    assert active.catalog.offering("second-new") is not None


def test_edits_of_the_same_offering_are_applied_one_after_the_other(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _race(
        url,
        monkeypatch,
        lambda s: put_offering(s, "ledger-own", _document("ledger-own", "Renamed A"), actor="a"),
        lambda s: put_offering(s, "ledger-own", _document("ledger-own", "Renamed B"), actor="b"),
    )
    previous, active = _history(url)
    assert len(set(previous)) == 2
    offering = active.catalog.offering("ledger-own")
    assert offering is not None
    # the later edit was made on top of the earlier one, which is in the history
    assert offering.name in ("Renamed A", "Renamed B")


def test_an_edit_and_a_removal_are_both_kept(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _race(
        url,
        monkeypatch,
        lambda s: put_offering(s, "third-new", _document("third-new", "Third"), actor="a"),
        lambda s: delete_offering(s, "free-other", actor="b"),
    )
    previous, active = _history(url)
    assert len(set(previous)) == 2
    assert active.catalog.offering("third-new") is not None
    assert active.catalog.offering("free-other") is None
