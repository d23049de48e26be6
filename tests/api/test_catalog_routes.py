"""Offerings, capabilities, ranking transparency, catalogue versions and worker reloads."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from referral_api.store.catalogs import store_snapshot
from referral_api.store.db import Database
from tests.api.conftest import Keys
from tests.factories import make_offering, make_snapshot


class TestOfferings:
    def test_filters(self, client: TestClient, keys: Keys) -> None:
        def ids(**params: str) -> list[str]:
            response = client.get("/v1/offerings", params=params, headers=keys.auth(keys.advocate))
            assert response.status_code == 200, response.text
            return [o["id"] for o in response.json()["data"]]

        assert ids(relationship="competitor") == ["pay-rival"]
        assert ids(capability="invoicing") == ["books-partner", "free-other", "ledger-own"]
        assert ids(region="US") == ["books-partner", "ledger-own", "pay-rival"]
        assert ids(platform="iPhone") == ["pay-rival"]  # canonicalised by the rules
        assert ids(q="RIVAL") == ["pay-rival"]

    @pytest.mark.parametrize(
        ("params", "field", "words"),
        [
            ({"capability": "invoicng"}, "capability", "did you mean 'invoicing'"),
            ({"relationship": "partnr"}, "relationship", "did you mean 'partner'"),
            ({"platform": "iphnoe"}, "platform", "unknown platform 'iphnoe'"),
            ({"platform": "andriod"}, "platform", "did you mean 'android'"),
            ({"region": "XX"}, "region", "'XX' is not a region"),
            ({"region": "globl"}, "region", "did you mean 'global'"),
        ],
    )
    def test_a_filter_value_that_matches_nothing_is_a_422_naming_the_filter(
        self, client: TestClient, keys: Keys, params: dict[str, str], field: str, words: str
    ) -> None:
        """Issue 19: ``capability=invoicng`` silently answered 0 results."""
        response = client.get("/v1/offerings", params=params, headers=keys.auth(keys.advocate))
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        errors = response.json()["errors"]
        assert [e["field"] for e in errors] == [field]
        assert words in errors[0]["message"]

    def test_every_bad_filter_is_named_at_once(self, client: TestClient, keys: Keys) -> None:
        params = {"capability": "invoicng", "platform": "andriod", "region": "XX"}
        response = client.get("/v1/offerings", params=params, headers=keys.auth(keys.advocate))
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == [
            "capability", "platform", "region",
        ]  # fmt: skip

    @pytest.mark.parametrize(
        "params",
        # known values no offering has: zero results is the true answer, not an error
        [{"platform": "linux"}, {"region": "JP"}, {"region": "EU"}, {"region": "de"}],
    )
    def test_a_known_value_with_no_offering_is_an_empty_page(
        self, client: TestClient, keys: Keys, params: dict[str, str]
    ) -> None:
        response = client.get("/v1/offerings", params=params, headers=keys.auth(keys.advocate))
        assert response.status_code == 200, response.text

    def test_cursor_pagination_visits_every_offering_once(
        self, client: TestClient, keys: Keys
    ) -> None:
        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": "3"} | ({"cursor": cursor} if cursor else {})
            page = client.get("/v1/offerings", params=params, headers=keys.auth(keys.admin)).json()
            assert page["count"] == 4
            seen += [o["id"] for o in page["data"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == sorted(seen)
        assert len(seen) == 4

    def test_detail_carries_the_disclosure(self, client: TestClient, keys: Keys) -> None:
        body = client.get("/v1/offerings/books-partner", headers=keys.auth(keys.admin)).json()
        assert body["disclosure"] == {
            "relationship": "partner", "fee": True, "text": "We may receive a referral fee.",
        }  # fmt: skip

    def test_put_is_mass_assignment_safe_and_creates_a_version(
        self, client: TestClient, keys: Keys
    ) -> None:
        document = make_offering(id="ignored", relationship="partner")
        del document["id"]
        sneaky = client.put(
            "/v1/offerings/new-one", json=document | {"active": True, "id": "x"},
            headers=keys.auth(keys.curator),
        )  # fmt: skip
        assert sneaky.status_code == 422
        # the body's shape is checked first; an id other than the path's is refused next
        assert {e["field"] for e in sneaky.json()["errors"]} == {"active"}
        other_id = client.put(
            "/v1/offerings/new-one", json=document | {"id": "x"}, headers=keys.auth(keys.curator)
        )
        assert other_id.status_code == 422
        assert [e["field"] for e in other_id.json()["errors"]] == ["id"]
        created = client.put(
            "/v1/offerings/new-one", json=document, headers=keys.auth(keys.curator)
        )
        assert created.status_code == 201, created.text
        assert created.json()["offering"]["relationship"] == "partner"
        versions = client.get("/v1/catalog/versions", headers=keys.auth(keys.curator)).json()
        assert versions["count"] == 2
        assert versions["data"][0]["active"] is True
        assert versions["data"][0]["loaded_by"] == "key:curator"
        changes = client.get("/v1/catalog/changes", headers=keys.auth(keys.curator)).json()
        assert [c["action"] for c in changes["data"]] == ["create_offering", "load"]
        assert changes["data"][0]["offering_id"] == "new-one"

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"url": "http://\njavascript:alert(1)"}, "url"),
            ({"url": "http://"}, "url"),
            ({"url": "https://books.example/ pricing"}, "url"),
            ({"url": "https://user:secret@books.example"}, "url"),
            ({"url": "https://books.example:99999/"}, "url"),
            ({"sources": ["https://books.example/", "https://\tbooks.example/"]}, "sources[1]"),
            ({"sources": ["https://books.example/\u202e"]}, "sources[0]"),
        ],
    )
    def test_an_edit_with_a_malformed_url_is_refused_naming_the_field(
        self, client: TestClient, keys: Keys, database: Database, change: dict[str, Any], field: str
    ) -> None:
        """Issue 16, defect 8: ``http://\\njavascript:alert(1)`` was accepted (prefix check)."""
        document = make_offering(id="ignored", relationship="other") | change
        del document["id"]
        versions = client.get("/v1/catalog/versions", headers=keys.auth(keys.curator)).json()
        refused = client.put(
            "/v1/offerings/new-one", json=document, headers=keys.auth(keys.curator)
        )
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in refused.json()["errors"]] == [field]
        assert "http(s) URL" in refused.json()["errors"][0]["message"]
        after = client.get("/v1/catalog/versions", headers=keys.auth(keys.curator)).json()
        assert after == versions
        assert client.get("/v1/offerings/new-one", headers=keys.auth(keys.admin)).status_code == 404

    def test_the_worker_serves_the_new_version_after_a_refresh(
        self, app: FastAPI, client: TestClient, keys: Keys
    ) -> None:
        document = make_offering(id="x", relationship="other")
        del document["id"]
        client.put("/v1/offerings/brand-new", json=document, headers=keys.auth(keys.curator))
        assert (
            client.get("/v1/offerings/brand-new", headers=keys.auth(keys.admin)).status_code == 404
        )
        assert app.state.engines.refresh() is True  # what the poller does every few seconds
        assert (
            client.get("/v1/offerings/brand-new", headers=keys.auth(keys.admin)).status_code == 200
        )
        assert app.state.engines.refresh() is False  # nothing new: no rebuild

    def test_rollback_by_activating_an_old_version(
        self, app: FastAPI, client: TestClient, keys: Keys
    ) -> None:
        client.delete("/v1/offerings/free-other", headers=keys.auth(keys.curator))
        versions = client.get("/v1/catalog/versions", headers=keys.auth(keys.curator)).json()
        oldest = versions["data"][-1]["id"]
        response = client.post(
            f"/v1/catalog/versions/{oldest}/activate", headers=keys.auth(keys.curator)
        )
        assert response.status_code == 200
        app.state.engines.refresh()
        assert (
            client.get("/v1/offerings/free-other", headers=keys.auth(keys.admin)).status_code == 200
        )


class TestTransparency:
    def test_capabilities_carry_graph_neighbours(self, client: TestClient, keys: Keys) -> None:
        body = client.get("/v1/capabilities", headers=keys.auth(keys.admin)).json()
        caps = {c["id"]: c for c in body["data"]}
        assert caps["accounting"]["narrower"] == ["invoicing"]
        assert caps["invoicing"]["broader"] == ["accounting"]
        assert caps["invoicing"]["offerings"] == 3

    def test_ranking_is_public_and_says_ownership_is_no_input(self, client: TestClient) -> None:
        body = client.get("/v1/ranking").json()
        assert "never an input" in body["ownership"]
        assert body["tie_break"][-1] == "offering id"
        assert "relationship" not in body["tie_break"]
        assert {d["relationship"] for d in body["disclosures"]} >= {"own", "partner", "competitor"}
        said = {p["name"]: p["value"] + " " + p["explanation"] for p in body["parameters"]}
        assert "where that language is a main language" in said["languages"]
        assert "a feature named within" in said["the central ask"]
        assert "also international-payments" in said["paying abroad"]


class TestOperations:
    def test_health_and_readiness(self, client: TestClient) -> None:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz").json()
        assert ready["status"] == "ready"
        assert ready["catalog_version"] == "test-1"

    def test_metrics_count_routes_and_winners(self, client: TestClient, keys: Keys) -> None:
        client.post("/v1/recommendations", json={"need": "payroll"}, headers=keys.auth(keys.admin))
        client.get("/v1/offerings/nope", headers=keys.auth(keys.admin))
        text = client.get("/metrics", headers=keys.auth(keys.insights)).text
        assert 'referral_recommendations_total{winner_relationship="competitor"} 1.0' in text
        assert 'route="/v1/offerings/{offering_id}",status="404"' in text
        assert client.get("/metrics", headers=keys.auth(keys.recommend)).status_code == 403


class TestLimitsAcrossWorkers:
    def test_two_apps_on_one_database_share_a_key_limit(
        self, database: Database, keys: Keys, app: FastAPI, settings: object
    ) -> None:
        from referral_api.server import create_app
        from tests.api.conftest import fixed_clock

        other = create_app(settings, database=database, poll=False, clock=fixed_clock)  # type: ignore[arg-type]
        with TestClient(app) as first, TestClient(other) as second:
            headers = keys.auth(keys.limited)  # 2 requests a minute
            assert first.get("/v1/capabilities", headers=headers).status_code == 200
            assert second.get("/v1/capabilities", headers=headers).status_code == 200
            assert first.get("/v1/capabilities", headers=headers).status_code == 429

    def test_a_new_active_version_stored_elsewhere_is_picked_up(
        self, database: Database, app: FastAPI, client: TestClient, keys: Keys
    ) -> None:
        with database.session() as session:
            offerings = [make_offering(id="only-one")]
            store_snapshot(
                session, make_snapshot(offerings=offerings, version="t2"), actor="x", action="load"
            )
        app.state.engines.refresh()
        assert client.get("/readyz").json()["catalog_version"] == "t2"
