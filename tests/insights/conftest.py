"""An app over the rolled-back test database whose catalogue has one gap of every kind.

- invoicing: our own ``ledger-own`` covers it fully (served) — but only on the web and in the
  US and GB; the partner covers it partly beside its accounting (ask from DE: served
  elsewhere, ours missing the region; ask for iOS: nothing fits, unserved for want of the
  platform);
- payroll: ours covers it only partly; the competitor ``pay-rival`` fully (served elsewhere);
- accounting: only the partner ``books-partner`` (served elsewhere);
- time-tracking: nothing covers it (unserved).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient

from referral_api.service.keys import create_key
from referral_api.store.catalogs import store_snapshot
from referral_api.store.db import Database
from tests.api.conftest import Keys, app, client, settings
from tests.factories import CAPABILITIES, make_offering, make_snapshot

__all__ = ["app", "client", "settings"]

GAP_CAPABILITIES = [
    *CAPABILITIES,
    {"id": "time-tracking", "label": "Time tracking", "synonyms": ["timesheets"]},
]
GAP_OFFERINGS = [
    make_offering(
        id="ledger-own",
        relationship="own",
        capabilities={"invoicing": "full", "payroll": "partial"},
        regions=["US", "GB"],
    ),
    make_offering(
        id="books-partner",
        relationship="partner",
        capabilities={"accounting": "full", "invoicing": "partial"},
        referral={"fee": True, "disclosure": "We may receive a referral fee."},
    ),
    make_offering(
        id="pay-rival",
        relationship="competitor",
        capabilities={"payroll": "full", "card-payments": "full"},
        platforms=["web", "ios"],
    ),
]


@pytest.fixture
def keys(database: Database) -> Keys:
    with database.session() as session:
        snapshot = make_snapshot(offerings=GAP_OFFERINGS, capabilities=GAP_CAPABILITIES)
        store_snapshot(session, snapshot, actor="test", action="load")

        def key(name: str, scopes: list[str], **options: Any) -> str:
            return create_key(session, name=name, scopes=scopes, **options).secret

        return Keys(
            admin=key("admin", ["admin"]),
            recommend=key("server", ["recommend"]),
            widget=key("widget", ["recommend"], publishable=True, origins=["https://shop.example"]),
            advocate=key("console", ["advocate"]),
            curator=key("curator", ["curator"]),
            insights=key("analyst", ["insights"]),
            limited=key("tiny", ["recommend"], rate_limit_per_minute=2),
        )


def ask(client: TestClient, keys: Keys, need: str, **constraints: Any) -> dict[str, Any]:
    """Recommend through the API (channel api); the v1 body."""
    body: dict[str, Any] = {"need": need}
    if constraints:
        body["constraints"] = constraints
    response = client.post("/v1/recommendations", json=body, headers=keys.auth(keys.recommend))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


EVER = {"since": "2000-01-01T00:00:00Z", "until": "2100-01-01T00:00:00Z"}
UTC = dt.UTC
