"""Refusals of malformed input name what failed, with a documented status (found by the corpus
and the live fuzz run)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.security.conftest import Keys


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"need": "invoices\x00payroll"}, "need"),
        ({"need": "invoices", "constraints": {"platforms": ["ios", "we\x00b"]}},
         "constraints.platforms[1]"),
    ],
)  # fmt: skip
def test_a_nul_character_is_refused_naming_its_field(
    client: TestClient, keys: Keys, body: dict[str, object], field: str
) -> None:
    response = client.post("/v1/recommendations", json=body, headers=keys.auth(keys.admin))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


@pytest.mark.parametrize(
    "body",
    [
        b'{"need": "invoices \xff\xfe"}',  # not UTF-8
        b'{"need": "invoices", "limit": ' + b"9" * 5000 + b"}",  # over Python's digit limit
        b'{"need": ' + b"[" * 30_000 + b"]" * 30_000 + b"}",  # deeper than the parser recurses
    ],
    ids=["invalid-utf8", "huge-int", "deep-nesting"],
)
def test_an_unreadable_body_is_422_naming_the_body(
    client: TestClient, keys: Keys, body: bytes
) -> None:
    """FastAPI answers 400 (documented nowhere) when a body cannot be parsed at all."""
    response = client.post(
        "/v1/recommendations",
        content=body,
        headers=keys.auth(keys.admin) | {"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "body"
