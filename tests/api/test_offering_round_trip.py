"""A resource read back is writable as it is: ``GET /v1/offerings/{id}`` then ``PUT`` of the
same body changes nothing (SQLite and PostgreSQL).

Every demo offering's public body is checked as a valid, unchanged edit body without a server;
the HTTP round trip (each PUT a full catalogue version) runs for one offering of every kind —
relationship, price model, with and without a referral block — to keep the suite quick."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from referral_api.config import Environment, Settings
from referral_api.curation.snapshot import snapshot_from_dirs
from referral_api.domain import Catalog, Rules
from referral_api.schemas import OfferingUpdate
from referral_api.schemas.offerings import offering_public
from referral_api.server import create_app
from referral_api.service.keys import create_key
from referral_api.store.catalogs import store_snapshot
from referral_api.store.db import Database
from tests.conftest import CATALOG_DIR, RULES_DIR

Demo = tuple[TestClient, dict[str, str]]


@pytest.fixture
def demo(database: Database) -> Iterator[Demo]:
    with database.session() as session:
        store_snapshot(
            session, snapshot_from_dirs(CATALOG_DIR, RULES_DIR), actor="test", action="load"
        )
        secret = create_key(session, name="curator", scopes=["admin"]).secret
    settings = Settings(env=Environment.TEST, rate_limit_per_minute=100_000)
    app: FastAPI = create_app(settings, database=database, poll=False)
    with TestClient(app) as client:
        yield client, {"Authorization": f"Bearer {secret}"}


def _all_ids(client: TestClient, auth: dict[str, str]) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        params = {"limit": 100} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/offerings", params=params, headers=auth).json()
        ids += [o["id"] for o in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids


def test_every_demo_offering_body_is_a_valid_edit_body(demo_catalog: Catalog, rules: Rules) -> None:
    """What GET answers for each demo offering validates as a PUT body, passes the read-only
    check and describes the same offering (its document is the curated one)."""
    assert len(demo_catalog.offerings) > 100
    for offering in demo_catalog.offerings:
        body = offering_public(offering, rules).model_dump(mode="json")
        update = OfferingUpdate.model_validate(body)
        update.check_read_only(offering.id, rules)
        document = update.document()
        assert document["name"] == offering.name, offering.id
        assert set(document["capabilities"]) == set(offering.capabilities), offering.id


def _one_of_each_kind(client: TestClient, auth: dict[str, str]) -> list[str]:
    kinds: dict[tuple[object, ...], str] = {}
    for offering_id in _all_ids(client, auth):
        read = client.get(f"/v1/offerings/{offering_id}", headers=auth).json()
        price = read.get("price") or {}
        kind = (read["relationship"], price.get("model"), read.get("referral") is None)
        kinds.setdefault(kind, offering_id)
    return sorted(kinds.values())


def test_a_demo_offering_of_each_kind_read_back_is_writable_as_it_is(demo: Demo) -> None:
    client, auth = demo
    ids = _one_of_each_kind(client, auth)
    assert len(ids) >= 6
    for offering_id in ids:
        read = client.get(f"/v1/offerings/{offering_id}", headers=auth).json()
        put = client.put(f"/v1/offerings/{offering_id}", json=read, headers=auth)
        assert put.status_code == 200, (offering_id, put.text)
        assert put.json()["action"] == "replace_offering"
        # nothing was lost or changed on the way: not the referral block, not a null field
        assert put.json()["offering"] == read, offering_id
        again = client.get(f"/v1/offerings/{offering_id}", headers=auth).json()
        assert again == read, offering_id


def test_an_edited_read_back_is_stored(demo: Demo) -> None:
    client, auth = demo
    read = client.get("/v1/offerings/ledgerly-books", headers=auth).json()
    edited = read | {"summary": "Bookkeeping, edited through the API."}
    put = client.put("/v1/offerings/ledgerly-books", json=edited, headers=auth)
    assert put.status_code == 200, put.text
    assert put.json()["offering"]["summary"] == "Bookkeeping, edited through the API."


def test_a_disclosure_other_than_the_derived_one_is_a_422_naming_it(demo: Demo) -> None:
    """The disclosure is derived from relationship and referral: a read-back one is accepted,
    a forged one refused (never silently dropped)."""
    client, auth = demo
    read = client.get("/v1/offerings/ledgerly-books", headers=auth).json()
    forged = read | {"disclosure": read["disclosure"] | {"text": "Anything at all."}}
    refused = client.put("/v1/offerings/ledgerly-books", json=forged, headers=auth)
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["disclosure"]
    assert "referral.disclosure" in refused.json()["errors"][0]["message"]


def test_an_edit_of_what_the_disclosure_derives_from(demo: Demo) -> None:
    """Changing the relationship: the old disclosure sent along says what it would be now;
    left out, the new one is derived."""
    client, auth = demo
    read = client.get("/v1/offerings/ledgerly-books", headers=auth).json()
    stale = read | {"relationship": "partner"}
    refused = client.put("/v1/offerings/ledgerly-books", json=stale, headers=auth)
    assert refused.status_code == 422, refused.text
    assert "'relationship': 'partner'" in refused.json()["errors"][0]["message"]
    edited = {k: v for k, v in stale.items() if k != "disclosure"}
    put = client.put("/v1/offerings/ledgerly-books", json=edited, headers=auth)
    assert put.status_code == 200, put.text
    assert put.json()["offering"]["disclosure"]["relationship"] == "partner"


@pytest.mark.parametrize("sent_id", ["ledgerly-payroll", "LEDGERLY-BOOKS", ""])
def test_a_differing_id_is_a_422_naming_the_field(demo: Demo, sent_id: str) -> None:
    client, auth = demo
    read = client.get("/v1/offerings/ledgerly-books", headers=auth).json()
    versions = client.get("/v1/catalog/versions", headers=auth).json()
    refused = client.put("/v1/offerings/ledgerly-books", json=read | {"id": sent_id}, headers=auth)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in refused.json()["errors"]] == ["id"]
    assert "ledgerly-books" in refused.json()["errors"][0]["message"]
    assert client.get("/v1/catalog/versions", headers=auth).json() == versions
