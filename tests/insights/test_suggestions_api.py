"""Vocabulary suggestions through the API: listed from recorded needs, accepted into a new
catalogue version (the same need is then understood), rejected, and every error path."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from referral_api.domain import Need, record_of
from referral_api.insights.gaps import GapKind, derive_gap_facts
from referral_api.store.catalogs import store_snapshot
from referral_api.store.db import Database
from tests.api.conftest import Keys
from tests.factories import make_snapshot
from tests.insights.conftest import EVER, GAP_CAPABILITIES, GAP_OFFERINGS, ask

PROBLEM = "application/problem+json"
#: not understood at all: nothing in the catalogue names "dunning letters"
LOST = "looking for dunning letters"
#: understood (invoicing), with "dunning letters" left over; the advocate records ledger-own
_AT = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
WITH_INVOICES = ["dunning letters and invoices", "Dunning letters with our invoices"]


def suggestions(client: TestClient, keys: Keys, **params: Any) -> dict[str, Any]:
    response = client.get(
        "/v1/insights/suggestions", params={**EVER, **params}, headers=keys.auth(keys.insights)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def recorded(client: TestClient, keys: Keys) -> dict[str, Any]:
    """Three needs with "dunning letters", two of them with an outcome naming ledger-own."""
    lost = ask(client, keys, LOST)
    assert lost["interpreted"]["ask_understood"] is False
    for need in WITH_INVOICES:
        body = ask(client, keys, need)
        assert "dunning letters" in " ".join(body["interpreted"]["not_understood"]).lower()
        outcome = client.post(
            f"/v1/recommendations/{body['id']}/outcome",
            json={"outcome": "accepted", "offering_id": "ledger-own"},
            headers=keys.auth(keys.recommend),
        )
        assert outcome.status_code == 201, outcome.text
    listed = suggestions(client, keys)
    found = [s for s in listed["data"] if s["phrase"] == "dunning letters"]
    assert len(found) == 1, listed
    return found[0]


class TestList:
    def test_a_recurring_phrase_is_proposed_with_its_evidence(
        self, recorded: dict[str, Any]
    ) -> None:
        assert recorded["status"] == "open"
        assert (recorded["language"], recorded["capability"]) == ("en", "invoicing")
        assert recorded["capability_label"] == "Invoicing"
        assert recorded["support"] == 3
        # two outcomes point to invoicing (weight 1 each), the lost need to nothing
        assert recorded["from_outcomes"] == 2
        assert recorded["strength"] == 1.0
        assert recorded["votes"][0] == {
            "capability": "invoicing", "label": "Invoicing", "needs": 2, "from_outcomes": 2
        }  # fmt: skip
        assert LOST in recorded["examples"]

    def test_a_phrase_of_one_need_needs_min_support_1(self, client: TestClient, keys: Keys) -> None:
        body = ask(client, keys, "dunning letters and invoices")
        client.post(
            f"/v1/recommendations/{body['id']}/outcome",
            json={"outcome": "accepted", "offering_id": "ledger-own"},
            headers=keys.auth(keys.recommend),
        )
        assert suggestions(client, keys)["data"] == []
        alone = suggestions(client, keys, min_support=1)["data"]
        assert [s["phrase"] for s in alone] == ["dunning letters"]

    @pytest.mark.parametrize(
        ("params", "field"),
        [({"status": "maybe"}, "status"), ({"limit": 0}, "limit"), ({"since": "soon"}, "since"),
         ({"colour": "red"}, "colour")],
    )  # fmt: skip
    def test_bad_parameters_are_422_naming_the_field(
        self, client: TestClient, keys: Keys, params: dict[str, Any], field: str
    ) -> None:
        response = client.get(
            "/v1/insights/suggestions", params=params, headers=keys.auth(keys.insights)
        )
        assert response.status_code == 422
        assert response.headers["content-type"].startswith(PROBLEM)
        assert field in {e["field"] for e in response.json()["errors"]}

    def test_scopes(self, client: TestClient, keys: Keys) -> None:
        url = "/v1/insights/suggestions"
        assert client.get(url, headers=keys.auth(keys.advocate)).status_code == 403
        assert client.get(url, headers=keys.auth(keys.admin)).status_code == 200
        accept = f"{url}/sug_0000000000000000/accept"
        assert client.post(accept, headers=keys.auth(keys.insights)).status_code == 403


class TestAccept:
    def test_accepting_adds_the_synonym_and_the_need_is_then_understood(
        self, app: FastAPI, client: TestClient, keys: Keys, recorded: dict[str, Any]
    ) -> None:
        engine_before = app.state.engines.current
        before = engine_before.engine.recommend(Need(LOST))
        record = record_of(before, record_id="r1", created_at=_AT, channel="api",
                           catalog_version_id=engine_before.version_id)  # fmt: skip
        assert [f.kind for f in derive_gap_facts(record)] == [GapKind.NOT_UNDERSTOOD]

        response = client.post(
            f"/v1/insights/suggestions/{recorded['id']}/accept", headers=keys.auth(keys.curator)
        )
        assert response.status_code == 200, response.text
        decision = response.json()
        assert decision["status"] == "accepted"
        assert decision["decided_by"] == "key:curator"
        version_id = decision["catalog_version_id"]
        assert version_id > engine_before.version_id

        # the change log says who and when; the new version is active
        changes = client.get("/v1/catalog/changes", headers=keys.auth(keys.curator)).json()
        latest = changes["data"][0]
        assert (latest["action"], latest["actor"]) == ("add_synonym", "key:curator")
        assert latest["catalog_version_id"] == version_id
        assert latest["detail"]["phrase"] == "dunning letters"
        assert latest["detail"]["capability"] == "invoicing"

        assert app.state.engines.refresh() is True  # what the poller does every few seconds
        invoicing = next(
            c for c in app.state.engines.current.catalog.capabilities.values()
            if c.id == "invoicing"
        )  # fmt: skip
        assert "dunning letters" in invoicing.synonyms
        after = ask(client, keys, LOST)
        assert after["interpreted"]["ask_understood"] is True
        assert [c["id"] for c in after["interpreted"]["capabilities"]] == ["invoicing"]
        now_record = record_of(
            app.state.engines.current.engine.recommend(Need(LOST)), record_id="r2",
            created_at=_AT, channel="api", catalog_version_id=version_id,
        )  # fmt: skip
        assert [(f.kind, f.capability) for f in derive_gap_facts(now_record)] == [
            (GapKind.SERVED, "invoicing")
        ]

        # accepted: no longer open, listed as accepted
        assert all(s["id"] != recorded["id"] for s in suggestions(client, keys)["data"])
        accepted = suggestions(client, keys, status="accepted")["data"]
        assert [(s["id"], s["catalog_version_id"]) for s in accepted] == [
            (recorded["id"], version_id)
        ]

    def test_accepting_twice_is_409(
        self, client: TestClient, keys: Keys, recorded: dict[str, Any]
    ) -> None:
        url = f"/v1/insights/suggestions/{recorded['id']}/accept"
        assert client.post(url, headers=keys.auth(keys.curator)).status_code == 200
        again = client.post(url, headers=keys.auth(keys.curator))
        assert again.status_code == 409
        assert again.headers["content-type"].startswith(PROBLEM)
        assert "already accepted" in again.json()["detail"]

    def test_unknown_id_is_404(self, client: TestClient, keys: Keys) -> None:
        for action in ("accept", "reject"):
            response = client.post(
                f"/v1/insights/suggestions/sug_doesnotexist/{action}",
                headers=keys.auth(keys.curator),
            )
            assert response.status_code == 404
            assert response.headers["content-type"].startswith(PROBLEM)

    def test_a_phrase_naming_another_capability_is_422_naming_the_field(
        self, client: TestClient, keys: Keys, recorded: dict[str, Any]
    ) -> None:
        url = f"/v1/insights/suggestions/{recorded['id']}/accept"
        response = client.post(url, json={"phrase": "salaries"}, headers=keys.auth(keys.curator))
        assert response.status_code == 422
        assert response.headers["content-type"].startswith(PROBLEM)
        [error] = response.json()["errors"]
        assert error["field"] == "phrase"
        assert "payroll" in error["message"]
        unknown = client.post(url, json={"capability": "invoicng"}, headers=keys.auth(keys.curator))
        assert unknown.status_code == 422
        assert [e["field"] for e in unknown.json()["errors"]] == ["capability"]
        # nothing was decided: it can still be accepted
        assert client.post(url, headers=keys.auth(keys.curator)).status_code == 200

    def test_a_catalogue_that_gave_the_phrase_to_another_capability_meanwhile_is_422(
        self, database: Database, client: TestClient, keys: Keys, recorded: dict[str, Any]
    ) -> None:
        capabilities = [
            {**c, "synonyms": [*c.get("synonyms", []), "dunning letters"]}
            if c["id"] == "payroll" else c
            for c in GAP_CAPABILITIES
        ]  # fmt: skip
        with database.session() as session:
            snapshot = make_snapshot(offerings=GAP_OFFERINGS, capabilities=capabilities)
            store_snapshot(session, snapshot, actor="test", action="load")
        response = client.post(
            f"/v1/insights/suggestions/{recorded['id']}/accept", headers=keys.auth(keys.curator)
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "phrase"


class TestReject:
    def test_rejecting_hides_it_and_is_logged(
        self, client: TestClient, keys: Keys, recorded: dict[str, Any]
    ) -> None:
        url = f"/v1/insights/suggestions/{recorded['id']}/reject"
        response = client.post(url, headers=keys.auth(keys.curator))
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "rejected"
        assert all(s["id"] != recorded["id"] for s in suggestions(client, keys)["data"])
        assert [s["id"] for s in suggestions(client, keys, status="rejected")["data"]] == [
            recorded["id"]
        ]
        latest = client.get("/v1/catalog/changes", headers=keys.auth(keys.curator)).json()
        assert latest["data"][0]["action"] == "reject_suggestion"
        assert latest["data"][0]["actor"] == "key:curator"
        # a rejected suggestion cannot be accepted (nor rejected again)
        accept = f"/v1/insights/suggestions/{recorded['id']}/accept"
        assert client.post(accept, headers=keys.auth(keys.curator)).status_code == 409
        assert client.post(url, headers=keys.auth(keys.curator)).status_code == 409
