"""Injection: SQL through every text that reaches the database, on SQLite and PostgreSQL.

All SQL is built by the ORM with bound parameters (the only literal SQL is ``SELECT 1`` in
the readiness check; :func:`test_no_sql_is_built_from_strings` keeps it so). Hostile strings are
sent through the ``q`` and other filters, path ids, need texts and outcome notes; afterwards every
table is still there with its rows, and the hostile text is stored verbatim, as data.
XSS in the console and widget: ``tests/web/test_browser.py`` (a real browser) and
``tests/web/test_routes.py::TestLookUp::test_typed_markup_is_shown_as_text``.
Log injection: ``tests/security/test_misconfiguration.py::TestLogInjection``.
"""

from __future__ import annotations

import ast
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select

from referral_api.store.db import Database
from referral_api.store.models import Outcome, RecommendationRecord
from tests.security.conftest import Keys, row_counts

PACKAGE = Path(__file__).resolve().parents[2] / "referral_api"
PAYLOADS = [
    "' OR 1=1 --",
    '"; DROP TABLE recommendations; --',
    "'; DROP TABLE api_keys; --",
    "1'; DELETE FROM outcomes WHERE '1'='1",
    "' UNION SELECT secret_hash, id FROM api_keys --",
    "'); UPDATE api_keys SET revoked_at = NULL; --",
    "%' OR '1'='1",
    "'; SELECT pg_sleep(3); --",
    "\\'; DROP TABLE catalog_versions; --",
    "x' AND (SELECT COUNT(*) FROM sqlite_master) > 0 --",
]


def tables(database: Database) -> set[str]:
    with database.session(write=False) as session:
        return set(inspect(session.connection()).get_table_names())


@pytest.fixture
def intact(database: Database) -> tuple[set[str], dict[str, int]]:
    return tables(database), row_counts(database)


def assert_intact(database: Database, before: tuple[set[str], dict[str, int]]) -> None:
    names, counts = before
    assert tables(database) == names
    after = row_counts(database)
    assert after["api_keys"] == counts["api_keys"]
    assert after["catalog_versions"] >= counts["catalog_versions"]
    assert after["recommendations"] >= counts["recommendations"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_filters_and_ids_treat_sql_as_text(
    client: TestClient,
    keys: Keys,
    database: Database,
    intact: tuple[set[str], dict[str, int]],
    payload: str,
) -> None:
    auth = keys.auth(keys.admin)
    quoted = quote(payload, safe="")
    for param in ("q", "capability", "region", "platform", "cursor"):
        response = client.get(f"/v1/offerings?{param}={quoted}", headers=auth)
        assert response.status_code in (200, 422), response.text
    for path in (f"/v1/recommendations/{quoted}", f"/v1/offerings/{quoted}"):
        assert client.get(path, headers=auth).status_code in (404, 422)
    audit = client.get(f"/v1/insights/audit?since={quoted}", headers=auth)
    assert audit.status_code == 422
    assert_intact(database, intact)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_needs_and_notes_are_stored_verbatim(
    client: TestClient,
    keys: Keys,
    database: Database,
    intact: tuple[set[str], dict[str, int]],
    payload: str,
) -> None:
    auth = keys.auth(keys.advocate)
    need = f"We send invoices {payload}"
    made = client.post("/v1/recommendations", json={"need": need}, headers=auth)
    assert made.status_code == 201, made.text
    record_id = made.json()["id"]
    outcome = client.post(
        f"/v1/recommendations/{record_id}/outcome",
        json={"outcome": "declined", "note": payload},
        headers=auth,
    )
    assert outcome.status_code == 201, outcome.text
    with database.session(write=False) as session:
        record = session.get(RecommendationRecord, record_id)
        assert record is not None
        assert record.need_text == need
        note = session.scalars(
            select(Outcome.note).where(Outcome.recommendation_id == record_id)
        ).one()
        assert note == payload
    assert client.get(f"/v1/recommendations/{record_id}", headers=auth).status_code == 200
    assert_intact(database, intact)


def test_an_offering_edit_stores_sql_as_text(
    client: TestClient, keys: Keys, database: Database, intact: tuple[set[str], dict[str, int]]
) -> None:
    body = {
        "name": PAYLOADS[1],
        "relationship": "own",
        "capabilities": {"invoicing": "full"},
        "summary": PAYLOADS[0],
    }
    response = client.put("/v1/offerings/ledger-own", json=body, headers=keys.auth(keys.curator))
    assert response.status_code == 200, response.text
    assert response.json()["offering"]["name"] == PAYLOADS[1]
    assert_intact(database, intact)


def is_constant(node: ast.expr) -> bool:
    """A literal, or a choice between literals (``"A" if x else "B"``)."""
    if isinstance(node, ast.IfExp):
        return is_constant(node.body) and is_constant(node.orelse)
    return isinstance(node, ast.Constant)


def test_no_sql_is_built_from_strings() -> None:
    """Outside migrations, ``text()`` and ``exec_driver_sql`` take only constant strings."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            constant = bool(node.args) and is_constant(node.args[0])
            if name in ("text", "exec_driver_sql") and node.args and not constant:
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert found == []
