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
