"""OWASP API3 (object property level): bodies cannot set what the server owns.

``PUT /v1/offerings/{id}`` takes the catalogue file format minus the id (from the path). The
server owns: the id, catalogue version ids, the audit trail (who, when, which action),
timestamps. Every request body refuses unknown fields (``extra="forbid"``), so each of these is
a 422 naming the field, and nothing is stored.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from referral_api.store.db import Database
from tests.security.conftest import Keys, row_counts

OFFERING = {"name": "Ledger Own", "relationship": "own", "capabilities": {"invoicing": "full"}}
SERVER_OWNED = {
    "id": "someone-else",  # the id comes from the path only
    "offering_id": "someone-else",
    "catalog_version_id": 1,
    "version": "2099.1",
    "active": True,
    "actor": "key:admin",
    "action": "load",
    "created_at": "2026-01-01T00:00:00Z",
    "updated_at": "2026-01-01T00:00:00Z",
    "recorded_by": "admin",
    "disclosure": {"relationship": "own", "fee": False, "text": "forged"},
}


@pytest.mark.parametrize(("field", "value"), SERVER_OWNED.items(), ids=list(SERVER_OWNED))
def test_an_offering_edit_cannot_set_server_owned_fields(
    client: TestClient, keys: Keys, database: Database, field: str, value: object
) -> None:
    before = row_counts(database)
    response = client.put(
        "/v1/offerings/ledger-own", json=OFFERING | {field: value}, headers=keys.auth(keys.curator)
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert row_counts(database) == before


@pytest.mark.parametrize(
    ("nested", "field"),
    [
        ({"price": {"model": "free", "approved": True}}, "price.approved"),
        ({"referral": {"fee": False, "disclosure": "x", "paid_to": "me"}}, "referral.paid_to"),
    ],
)
def test_nested_objects_refuse_unknown_fields_too(
    client: TestClient, keys: Keys, nested: dict[str, object], field: str
) -> None:
    response = client.put(
        "/v1/offerings/ledger-own", json=OFFERING | nested, headers=keys.auth(keys.curator)
    )
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]


def test_the_path_id_is_the_one_stored(client: TestClient, keys: Keys) -> None:
    response = client.put(
        "/v1/offerings/ledger-own", json=OFFERING, headers=keys.auth(keys.curator)
    )
    assert response.status_code == 200
    assert response.json()["offering"]["id"] == "ledger-own"
    changes = client.get("/v1/catalog/changes", headers=keys.auth(keys.curator)).json()["data"]
    assert changes[0]["actor"] == "key:curator"  # the server's record of who, not the body's


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/recommendations", {"need": "invoices", "id": "rec_mine"}, "id"),
        ("/v1/recommendations", {"need": "invoices", "channel": "advocate"}, "channel"),
        ("/v1/recommendations", {"need": "invoices", "api_key_id": "x"}, "api_key_id"),
        ("/v1/recommendations/{record}/outcome", {"outcome": "accepted", "recorded_by": "boss"}, "recorded_by"),
        ("/v1/recommendations/{record}/outcome", {"outcome": "accepted", "recorded_at": "2020-01-01T00:00:00Z"}, "recorded_at"),
    ],
)  # fmt: skip
def test_other_bodies_cannot_set_server_owned_fields(
    client: TestClient,
    keys: Keys,
    database: Database,
    path: str,
    body: dict[str, object],
    field: str,
) -> None:
    made = client.post(
        "/v1/recommendations", json={"need": "invoices"}, headers=keys.auth(keys.advocate)
    )
    before = row_counts(database)
    url = path.replace("{record}", made.json()["id"])
    response = client.post(url, json=body, headers=keys.auth(keys.advocate))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert row_counts(database) == before
