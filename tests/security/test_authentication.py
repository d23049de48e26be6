"""OWASP API2 (broken authentication): hashed keys, constant-time checks, revocation, no leaks."""

from __future__ import annotations

import hashlib
import hmac
import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from referral_api.service import keys as security
from referral_api.service.keys import create_key
from referral_api.store.db import Database
from referral_api.store.models import ApiKey, utcnow
from referral_api.store.repositories import ApiKeyRepository
from tests.security.conftest import Keys, csrf_of, secret_part

NEED = {"need": "We send invoices to our clients"}


def test_only_a_hash_of_the_key_is_stored(database: Database) -> None:
    with database.session() as session:
        created = create_key(session, name="hashed", scopes=["recommend"])
    with database.session(write=False) as session:
        row = session.scalars(select(ApiKey).where(ApiKey.id == created.key.id)).one()
        stored = [str(getattr(row, column.key)) for column in ApiKey.__table__.columns]
    assert row.secret_hash == hashlib.sha256(created.secret.encode()).hexdigest()
    secret = secret_part(created.secret)
    assert all(secret not in value for value in stored), "the secret is stored"


class TestConstantTime:
    def test_the_hashes_are_compared_with_compare_digest(
        self, monkeypatch: pytest.MonkeyPatch, client: TestClient, keys: Keys
    ) -> None:
        compared: list[tuple[str, str]] = []
        compare = hmac.compare_digest

        def spy(a: str, b: str) -> bool:
            compared.append((a, b))
            return compare(a, b)

        monkeypatch.setattr(security.hmac, "compare_digest", spy)
        assert client.get("/v1/capabilities", headers=keys.auth(keys.admin)).status_code == 200
        assert len(compared) == 1
        assert compared[0][0] == compared[0][1] == security.hash_secret(keys.admin)

    @pytest.mark.parametrize(
        "secret",
        [
            "rk_000000000000_unknown",  # no such key id
            "rk_{id}_wrong-secret",  # a real id, a wrong secret
            "not-even-a-key",  # no id at all
        ],
    )
    def test_a_refused_key_costs_the_same_comparison(
        self, monkeypatch: pytest.MonkeyPatch, client: TestClient, keys: Keys, secret: str
    ) -> None:
        """Unknown ids and wrong secrets take the same path: one compare_digest of two hashes,
        so response times do not tell which key ids exist."""
        calls: list[tuple[str, str]] = []
        monkeypatch.setattr(
            security.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or False
        )
        key_id = keys.admin.split("_")[1]
        response = client.get("/v1/capabilities", headers=keys.auth(secret.replace("{id}", key_id)))
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert len(calls) == 1
        assert all(len(value) == 64 for value in calls[0])


@pytest.mark.parametrize("how", ["repository", "page session"])
def test_a_revoked_key_is_refused_at_once(
    database: Database, client: TestClient, keys: Keys, how: str
) -> None:
    headers = keys.auth(keys.admin)
    assert client.post("/v1/recommendations", json=NEED, headers=headers).status_code == 201
    if how == "page session":
        form = client.get("/sign-in")
        client.post("/sign-in", data={"key": keys.admin, "csrf_token": csrf_of(form.text)})
        assert client.get("/console", follow_redirects=False).status_code == 200
    with database.session() as session:
        repository = ApiKeyRepository(session)
        key = repository.get(keys.admin.split("_")[1])
        assert key is not None
        repository.revoke(key, utcnow())  # what `referral keys revoke <id>` does
    refused = client.post("/v1/recommendations", json=NEED, headers=headers)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    if how == "page session":
        page = client.get("/console", follow_redirects=False)
        assert page.status_code == 303
        assert page.headers["location"].startswith("/sign-in")


def test_keys_are_never_logged(
    caplog: pytest.LogCaptureFixture, client: TestClient, keys: Keys
) -> None:
    """Every log record made while keys are used, accepted or refused, is free of them."""
    wrong = keys.admin[:-4] + "AAAA"
    caplog.set_level(logging.DEBUG)
    for secret in (keys.admin, keys.limited, wrong, keys.widget):
        for _ in range(3):  # the limited key hits its rate limit on the third
            client.post("/v1/recommendations", json=NEED, headers=keys.auth(secret))
        client.get("/v1/offerings", headers=keys.auth(secret))
        form = client.get("/sign-in")
        client.post("/sign-in", data={"key": secret, "csrf_token": csrf_of(form.text)})
    assert caplog.records, "nothing was logged: the capture is not working"
    text = "\n".join(
        f"{record.getMessage()} {record.exc_text or ''}"
        for record in caplog.records
        if not record.name.startswith("httpx")  # the test client's own log of its requests
    )
    for secret in (keys.admin, keys.limited, wrong, keys.widget):
        assert secret not in text
        assert secret_part(secret) not in text
