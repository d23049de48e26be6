"""Every error path leaves in one shape: application/problem+json (RFC 9457), never a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from referral_api.api.problems import PROBLEM_JSON
from tests.api.conftest import Keys

NEED = {"need": "invoices"}

Call = Callable[[TestClient, Keys], Any]

CASES: list[tuple[str, int, Call]] = [
    ("no key", 401, lambda c, k: c.post("/v1/recommendations", json=NEED)),
    ("unknown key", 401, lambda c, k: c.post(
        "/v1/recommendations", json=NEED, headers=k.auth("rk_000000000000_nope"))),
    ("not a bearer", 401, lambda c, k: c.get("/v1/offerings", headers={"Authorization": "Basic x"})),
    ("scope", 403, lambda c, k: c.put(
        "/v1/offerings/x", json={"name": "x", "relationship": "own", "capabilities": {}},
        headers=k.auth(k.recommend))),
    ("origin", 403, lambda c, k: c.post(
        "/v1/recommendations", json=NEED,
        headers=k.auth(k.widget) | {"Origin": "https://evil.example"})),
    ("widget key without origin", 403, lambda c, k: c.post(
        "/v1/recommendations", json=NEED, headers=k.auth(k.widget))),
    ("unknown route", 404, lambda c, k: c.get("/v1/nothing-here")),
    ("unknown record", 404, lambda c, k: c.get(
        "/v1/recommendations/rec_missing", headers=k.auth(k.admin))),
    ("unknown offering", 404, lambda c, k: c.get("/v1/offerings/nope", headers=k.auth(k.admin))),
    ("method", 405, lambda c, k: c.delete("/v1/recommendations")),
    ("delete a depended-on offering", 409, lambda c, k: _conflicting_delete(c, k)),
    ("body too large", 413, lambda c, k: c.post(
        "/v1/recommendations", content=b"{" + b" " * 70_000 + b"}",
        headers=k.auth(k.admin) | {"Content-Type": "application/json"})),
    ("chunked body too large", 413, lambda c, k: c.post(
        "/v1/recommendations", content=iter([b"x" * 40_000, b"y" * 40_000]),
        headers=k.auth(k.admin) | {"Content-Type": "application/json"})),
    ("validation", 422, lambda c, k: c.post(
        "/v1/recommendations", json={"need": "", "limit": 51}, headers=k.auth(k.admin))),
    ("need too long", 422, lambda c, k: c.post(
        "/v1/recommendations", json={"need": "x" * 2001}, headers=k.auth(k.admin))),
    ("unknown field", 422, lambda c, k: c.post(
        "/v1/recommendations", json=NEED | {"owner_boost": 1}, headers=k.auth(k.admin))),
    ("NUL in text", 422, lambda c, k: c.post(
        "/v1/recommendations", json={"need": "a\x00b"}, headers=k.auth(k.admin))),
    ("bad json", 422, lambda c, k: c.post(
        "/v1/recommendations", content=b'{"need": ',
        headers=k.auth(k.admin) | {"Content-Type": "application/json"})),
    ("engine refuses a constraint", 422, lambda c, k: c.post(
        "/v1/recommendations", json=NEED | {"constraints": {"must_have": ["nope"]}},
        headers=k.auth(k.admin))),
    ("invalid catalogue edit", 422, lambda c, k: c.put(
        "/v1/offerings/ledger-own",
        json={"name": "L", "relationship": "own", "capabilities": {"invoicng": "full"}},
        headers=k.auth(k.curator))),
    ("bad cursor", 422, lambda c, k: c.get(
        "/v1/offerings", params={"cursor": "%%%"}, headers=k.auth(k.admin))),
    ("rate limit", 429, lambda c, k: [
        c.get("/v1/offerings", headers=k.auth(k.limited)) for _ in range(3)][-1]),
]  # fmt: skip


def _conflicting_delete(client: TestClient, keys: Keys) -> Any:
    offering = {
        "name": "Needs ledger", "relationship": "partner", "capabilities": {"invoicing": "full"},
        "integrations": ["ledger-own"],
    }  # fmt: skip
    created = client.put(
        "/v1/offerings/needs-ledger", json=offering, headers=keys.auth(keys.curator)
    )
    assert created.status_code == 201, created.text
    return client.delete("/v1/offerings/ledger-own", headers=keys.auth(keys.curator))


@pytest.mark.parametrize(("case", "status", "call"), CASES, ids=[c[0] for c in CASES])
def test_every_error_is_problem_json(
    client: TestClient, keys: Keys, case: str, status: int, call: Call
) -> None:
    response = call(client, keys)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert set(body) >= {"type", "title", "status", "detail", "instance"}
    assert body["status"] == status
    assert body["type"].startswith("https://honest-referral.example/problems/")
    assert body["instance"].startswith("/")
    if status == 422:
        assert body["errors"], body
        assert all(set(e) >= {"field", "message"} for e in body["errors"])
    if status == 429:
        assert int(response.headers["retry-after"]) >= 1
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"


def test_validation_names_the_failing_fields(client: TestClient, keys: Keys) -> None:
    body = client.post(
        "/v1/recommendations",
        json={"need": "x", "limit": 51, "constraints": {"platforms": [""]}},
        headers=keys.auth(keys.admin),
    ).json()
    assert {e["field"] for e in body["errors"]} == {"limit", "constraints.platforms[0]"}


def test_not_ready_is_503_problem(database: object, keys: Keys, settings: object) -> None:
    from referral_api.errors import Unavailable
    from referral_api.server import create_app

    def broken(*_: object) -> Any:
        raise Unavailable("engine missing")

    app: FastAPI = create_app(settings, database=database, engine_factory=broken, poll=False)  # type: ignore[arg-type]
    with TestClient(app) as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.headers["retry-after"]
        assert client.get("/healthz").status_code == 200
