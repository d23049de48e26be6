"""The bundled demo catalogue through the whole stack: every labelled need, stored and replayed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from referral_api.config import Environment, Settings
from referral_api.curation.snapshot import snapshot_from_dirs
from referral_api.server import create_app
from referral_api.service.keys import create_key
from referral_api.store.catalogs import store_snapshot
from referral_api.store.db import Database
from tests.conftest import CATALOG_DIR, RULES_DIR

NEEDS = [
    json.loads(line)
    for line in (Path(__file__).resolve().parents[1] / "data" / "demo_needs.jsonl")
    .read_text(encoding="utf-8")
    .splitlines()
    if line.strip()
]


@pytest.fixture
def demo(database: Database) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with database.session() as session:
        store_snapshot(
            session, snapshot_from_dirs(CATALOG_DIR, RULES_DIR), actor="test", action="load"
        )
        secret = create_key(session, name="demo", scopes=["admin"]).secret
    settings = Settings(env=Environment.TEST, rate_limit_per_minute=100_000)
    app: FastAPI = create_app(settings, database=database, poll=False)
    with TestClient(app) as client:
        yield client, {"Authorization": f"Bearer {secret}"}


def test_every_demo_need_is_answered_stored_and_replayed_exactly(
    demo: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = demo
    winners = 0
    for case in NEEDS:
        body = {"need": case["need"], "constraints": case.get("constraints", {})}
        response = client.post("/v1/recommendations", json=body, headers=auth)
        assert response.status_code == 201, (case["id"], response.text)
        answer = response.json()
        winners += (
            bool(answer["results"]) and answer["results"][0]["offering"]["id"] in case["relevant"]
        )
        replay = client.get(f"/v1/recommendations/{answer['id']}", headers=auth).json()
        assert replay == answer | {"outcome": None}
    assert winners >= len(NEEDS) // 2  # a smoke check that the engine is the real one
    audit = client.get("/v1/insights/audit", headers=auth).json()
    assert audit["checked"] == len(NEEDS)
    assert audit["differing"] == 0, audit["findings"]


def test_the_language_area_is_read_shown_disregarded_and_given(
    demo: tuple[TestClient, dict[str, str]],
) -> None:
    """A need in French that names no place is from where French is spoken: the response says
    so, ``ignore`` drops it, and a request may give it; an unknown language is a 422."""
    client, auth = demo
    need = "Nous cherchons un logiciel de paie pour nos 12 salariés"

    def post(constraints: dict[str, object]) -> dict[str, object]:
        body = {"need": need, "constraints": constraints}
        response = client.post("/v1/recommendations", json=body, headers=auth)
        assert response.status_code == 201, response.text
        return dict(response.json())

    read = post({})["interpreted"]
    assert read["constraints"]["language_area"] == "fr"  # type: ignore[index]
    assert {"name": "language_area", "value": "fr", "source": "language"}.items() <= next(
        s
        for s in read["stated"]
        if s["name"] == "language_area"  # type: ignore[index]
    ).items()
    dropped = post({"ignore": ["language_area"]})["interpreted"]
    assert dropped["constraints"]["language_area"] is None  # type: ignore[index]
    given = post({"language_area": "DE"})
    assert given["interpreted"]["constraints"]["language_area"] == "de"  # type: ignore[index]
    for fit in given["results"]:  # type: ignore[attr-defined]
        assert "Available where German is spoken" in [v["detail"] for v in fit["constraints"]]
    bad = client.post(
        "/v1/recommendations",
        json={"need": need, "constraints": {"language_area": "xx"}},
        headers=auth,
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert "constraints.language_area" in bad.text
