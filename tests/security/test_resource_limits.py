"""OWASP API4 (unrestricted resource consumption): every size, count, rate and time bound."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import Message

from referral_api.api.middleware import BodyLimitMiddleware
from referral_api.config import Settings
from referral_api.schemas import MAX_LIMIT, NEED_MAX
from referral_api.store.db import Database
from tests.security.conftest import Keys, row_counts


def field_errors(response: object) -> list[str]:
    body = response.json()  # type: ignore[attr-defined]
    return [error["field"] for error in body.get("errors", [])]


class TestBodySize:
    def test_a_body_over_the_limit_is_413_and_stores_nothing(
        self, client: TestClient, keys: Keys, database: Database, settings: Settings
    ) -> None:
        before = row_counts(database)
        body = json.dumps({"need": "x" * settings.max_body_bytes})
        response = client.post(
            "/v1/recommendations",
            content=body,
            headers=keys.auth(keys.admin) | {"Content-Type": "application/json"},
        )
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        assert row_counts(database) == before

    def test_a_chunked_body_is_counted_too(self, client: TestClient, keys: Keys) -> None:
        def chunks() -> Iterator[bytes]:  # no Content-Length: the middleware must count
            yield b'{"need": "'
            for _ in range(80):
                yield b"x" * 1024
            yield b'"}'

        response = client.post(
            "/v1/recommendations",
            content=chunks(),
            headers=keys.auth(keys.admin) | {"Content-Type": "application/json"},
        )
        assert response.status_code == 413

    def test_a_lying_content_length_cannot_smuggle_more(self, client: TestClient) -> None:
        response = client.put(
            "/v1/offerings/x", content=b"{" * 70_000, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 413


class TestSlowBodies:
    """A client that trickles its body is cut off: 408, and the app never sees the request."""

    def test_a_body_slower_than_the_limit_is_408(self) -> None:
        reached: list[str] = []

        async def app(scope: object, receive: object, send: object) -> None:
            reached.append("app")

        middleware = BodyLimitMiddleware(app, max_bytes=1024, timeout_seconds=0.2)
        sent: list[Message] = []

        async def trickle() -> Message:
            await asyncio.sleep(0.15)
            return {"type": "http.request", "body": b"x", "more_body": True}

        async def send(message: Message) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": "/v1/recommendations", "headers": []}
        asyncio.run(middleware(scope, trickle, send))  # type: ignore[arg-type]
        assert reached == []
        assert sent[0]["status"] == 408
        headers = dict(sent[0]["headers"])
        assert headers[b"content-type"] == b"application/problem+json"
        assert headers[b"connection"] == b"close"

    def test_the_limit_is_a_setting(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("REFERRAL_BODY_TIMEOUT_SECONDS", "5")
        assert Settings().body_timeout_seconds == 5
        assert Settings.model_fields["body_timeout_seconds"].default == 30

    def test_the_app_uses_the_setting(self, app: FastAPI) -> None:
        limits = [m for m in app.user_middleware if m.cls is BodyLimitMiddleware]
        assert limits[0].kwargs["timeout_seconds"] == app.state.settings.body_timeout_seconds


class TestNeedAndLimit:
    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"need": ""}, "need"),
            ({"need": "   "}, "need"),  # blank once stripped
            ({"need": "x" * (NEED_MAX + 1)}, "need"),
            ({"need": "invoices", "limit": 0}, "limit"),
            ({"need": "invoices", "limit": MAX_LIMIT + 1}, "limit"),
            ({"need": "invoices", "limit": 10**30}, "limit"),
            (
                {"need": "invoices", "constraints": {"must_have": ["invoicing"] * 21}},
                "constraints.must_have",
            ),
            (
                {"need": "invoices", "constraints": {"budget_monthly": 1e10}},
                "constraints.budget_monthly",
            ),
        ],
    )
    def test_out_of_bounds_is_422_naming_the_field(
        self,
        client: TestClient,
        keys: Keys,
        database: Database,
        body: dict[str, object],
        field: str,
    ) -> None:
        before = row_counts(database)
        response = client.post("/v1/recommendations", json=body, headers=keys.auth(keys.admin))
        assert response.status_code == 422
        assert field in field_errors(response)
        assert row_counts(database) == before

    def test_the_bounds_themselves_are_served(self, client: TestClient, keys: Keys) -> None:
        body = {"need": "invoices " + "x" * (NEED_MAX - 9), "limit": MAX_LIMIT}
        response = client.post("/v1/recommendations", json=body, headers=keys.auth(keys.admin))
        assert response.status_code == 201
        assert len(response.json()["results"]) <= MAX_LIMIT


class TestPagination:
    @pytest.mark.parametrize(
        "query",
        ["limit=0", "limit=101", "limit=-1", "limit=1e9", "cursor=%%%", "cursor=bm90LWEtY3Vyc29y"],
    )
    def test_offering_pages_are_bounded(self, client: TestClient, keys: Keys, query: str) -> None:
        response = client.get(f"/v1/offerings?{query}", headers=keys.auth(keys.admin))
        assert response.status_code == 422
        assert field_errors(response)[0] in ("limit", "cursor")

    def test_a_page_holds_at_most_limit_and_the_cursor_walks_on(
        self, client: TestClient, keys: Keys
    ) -> None:
        seen: list[str] = []
        cursor = ""
        for _ in range(10):
            page = client.get(
                f"/v1/offerings?limit=1{cursor}", headers=keys.auth(keys.admin)
            ).json()
            assert len(page["data"]) <= 1
            seen += [o["id"] for o in page["data"]]
            if page["next_cursor"] is None:
                break
            cursor = f"&cursor={page['next_cursor']}"
        assert len(seen) == len(set(seen)) == page["count"]

    @pytest.mark.parametrize("query", ["limit=0", "limit=5001", "since=not-a-date"])
    def test_the_audit_is_bounded(self, client: TestClient, keys: Keys, query: str) -> None:
        response = client.get(f"/v1/insights/audit?{query}", headers=keys.auth(keys.admin))
        assert response.status_code == 422


class TestRateLimits:
    def test_over_the_limit_is_429_with_retry_after(self, client: TestClient, keys: Keys) -> None:
        headers = keys.auth(keys.limited)  # 2 a minute
        statuses = [client.get("/v1/capabilities", headers=headers).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        limited = client.get("/v1/capabilities", headers=headers)
        assert limited.status_code == 429
        assert limited.headers["content-type"] == "application/problem+json"
        retry_after = int(limited.headers["retry-after"])
        assert 1 <= retry_after <= 60
        assert limited.json()["retry_after"] == retry_after

    def test_refused_requests_count_and_other_keys_are_unaffected(
        self, client: TestClient, keys: Keys, database: Database
    ) -> None:
        headers = keys.auth(keys.limited)
        for _ in range(2):
            client.post("/v1/recommendations", json={"need": ""}, headers=headers)  # 422s count
        before = row_counts(database)
        refused = client.post("/v1/recommendations", json={"need": "invoices"}, headers=headers)
        assert refused.status_code == 429
        assert row_counts(database) == before
        other = client.post(
            "/v1/recommendations", json={"need": "invoices"}, headers=keys.auth(keys.recommend)
        )
        assert other.status_code == 201

    def test_pages_are_rate_limited_too(self, client: TestClient, keys: Keys) -> None:
        from tests.security.conftest import csrf_of

        for _ in range(2):
            client.get("/v1/capabilities", headers=keys.auth(keys.limited))
        form = client.get("/sign-in")
        response = client.post(
            "/sign-in", data={"key": keys.limited, "csrf_token": csrf_of(form.text)}
        )
        assert response.status_code == 429
        assert "retry-after" in response.headers
