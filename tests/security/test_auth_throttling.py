"""Failed authentication is throttled per client address and per key id (issue 16, defect 6).

An outside test sent 300 wrong keys to /sign-in and 300 wrong secrets for a real key id to
the API: every one was a 401, the real key worked at once. Now failures are counted in the
database per one-minute window; past ``REFERRAL_AUTH_FAILURES_PER_MINUTE`` (20) every attempt
of that address or key id is a 429 with ``Retry-After`` until the window ends — then the real
key works again. On SQLite and PostgreSQL (the ``database`` fixture), with two apps (two
workers) sharing the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from referral_api.config import Environment, Settings
from referral_api.server import create_app
from referral_api.store.db import Database
from tests.api.conftest import NOW, WIDGET_ORIGIN, Keys
from tests.web.conftest import csrf_of

LIMIT: int = Settings.model_fields["auth_failures_per_minute"].default
ATTEMPTS = 300


class Clock:
    """The apps' clock, which a test moves to the next window."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _app(database: Database, clock: Clock) -> FastAPI:
    settings = Settings(env=Environment.TEST, rate_limit_per_minute=100_000)
    return create_app(settings, database=database, poll=False, clock=clock)


@pytest.fixture
def workers(database: Database, keys: Keys, clock: Clock) -> Iterator[list[FastAPI]]:
    """Two apps over one database, as two workers (started: clients of any address may call
    them without starting them again)."""
    apps = [_app(database, clock), _app(database, clock)]
    with TestClient(apps[0]), TestClient(apps[1]):
        yield apps


def _client(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, client=(address, 50_000))


@pytest.fixture
def attacker(workers: list[FastAPI]) -> Iterator[list[TestClient]]:
    """One address, speaking to both workers."""
    clients = [_client(app, "203.0.113.7") for app in workers]
    yield clients
    for client in clients:
        client.close()


def _auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _assert_throttled(response: object) -> None:
    assert response.status_code == 429, response.text  # type: ignore[attr-defined]
    headers = response.headers  # type: ignore[attr-defined]
    assert headers["content-type"] == "application/problem+json"
    assert 1 <= int(headers["retry-after"]) <= 60
    assert response.json()["status"] == 429  # type: ignore[attr-defined]


def _wrong_secret_of(secret: str) -> str:
    prefix, key_id, _ = secret.split("_", 2)
    return f"{prefix}_{key_id}_wrong-secret"


def test_wrong_keys_from_one_address_are_throttled_across_workers(
    attacker: list[TestClient], workers: list[FastAPI], keys: Keys, clock: Clock
) -> None:
    statuses = [
        attacker[n % 2].get("/v1/capabilities", headers=_auth(f"rk_{n:012x}_guess{n}")).status_code
        for n in range(ATTEMPTS)
    ]
    assert statuses[:LIMIT] == [401] * LIMIT
    assert statuses[LIMIT:] == [429] * (ATTEMPTS - LIMIT)
    refused = attacker[0].get("/v1/capabilities", headers=_auth("rk_000000000000_again"))
    _assert_throttled(refused)
    # the address is refused even with a right key: guessing learns nothing
    _assert_throttled(attacker[1].get("/v1/capabilities", headers=_auth(keys.admin)))
    # another address is not
    with _client(workers[0], "198.51.100.1") as other:
        assert other.get("/v1/capabilities", headers=_auth(keys.admin)).status_code == 200
    # a window later the address is let in again
    clock.now += dt.timedelta(seconds=60)
    assert attacker[0].get("/v1/capabilities", headers=_auth(keys.admin)).status_code == 200


def test_wrong_secrets_for_a_key_id_are_throttled_from_any_address(
    workers: list[FastAPI], keys: Keys, clock: Clock
) -> None:
    wrong = _wrong_secret_of(keys.admin)
    statuses = []
    for n in range(ATTEMPTS):  # a different address each time: only the key id is shared
        with _client(workers[n % 2], f"10.0.{n // 250}.{n % 250}") as client:
            statuses.append(client.get("/v1/capabilities", headers=_auth(wrong)).status_code)
    assert statuses[:LIMIT] == [401] * LIMIT
    assert statuses[LIMIT:] == [429] * (ATTEMPTS - LIMIT)
    with _client(workers[0], "198.51.100.2") as owner:
        _assert_throttled(owner.get("/v1/capabilities", headers=_auth(keys.admin)))
        # other keys are untouched
        assert owner.get("/v1/capabilities", headers=_auth(keys.advocate)).status_code == 200
        # not locked out for ever: the next window lets the real key in at once
        clock.now += dt.timedelta(seconds=60)
        assert owner.get("/v1/capabilities", headers=_auth(keys.admin)).status_code == 200


def test_a_publishable_key_id_is_never_throttled(workers: list[FastAPI], keys: Keys) -> None:
    """A widget key is public (the page shows it whole): wrong secrets for its id throttle the
    addresses that send them, never the key, or anyone could switch a shop's widget off."""
    wrong = _wrong_secret_of(keys.widget)
    for n in range(LIMIT * 2):
        with _client(workers[0], f"10.1.0.{n}") as client:
            response = client.get(
                "/v1/capabilities", headers=_auth(wrong) | {"Origin": WIDGET_ORIGIN}
            )
            assert response.status_code == 401
    with _client(workers[1], "198.51.100.3") as shop:
        answer = shop.post(
            "/v1/recommendations",
            json={"need": "invoices"},
            headers=_auth(keys.widget) | {"Origin": WIDGET_ORIGIN},
        )
        assert answer.status_code == 201, answer.text


def test_a_right_key_is_never_counted(attacker: list[TestClient], keys: Keys) -> None:
    for _ in range(LIMIT * 2):
        assert attacker[0].get("/v1/capabilities", headers=_auth(keys.admin)).status_code == 200
    assert attacker[0].get("/v1/capabilities", headers=_auth("rk_x_y")).status_code == 401


def test_wrong_keys_to_the_sign_in_form_are_throttled(
    attacker: list[TestClient], keys: Keys
) -> None:
    statuses = []
    for n in range(ATTEMPTS // 5):
        client = attacker[n % 2]
        form = client.get("/sign-in")
        response = client.post(
            "/sign-in", data={"key": f"rk_{n:012x}_guess", "csrf_token": csrf_of(form.text)}
        )
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert 1 <= int(response.headers["retry-after"]) <= 60
    assert statuses[:LIMIT] == [401] * LIMIT
    assert set(statuses[LIMIT:]) == {429}
    # and the address cannot sign in with a right key either, until the window ends
    form = attacker[0].get("/sign-in")
    refused = attacker[0].post(
        "/sign-in", data={"key": keys.advocate, "csrf_token": csrf_of(form.text)}
    )
    assert refused.status_code == 429
    assert "try again" in refused.text


def test_a_throttled_answer_is_not_readable_by_other_sites(
    attacker: list[TestClient], keys: Keys
) -> None:
    """The throttle answers before any key or origin is checked: CORS lets no site read it."""
    for n in range(LIMIT):
        attacker[0].get("/v1/capabilities", headers=_auth(f"rk_{n:012x}_guess"))
    refused = attacker[0].get(
        "/v1/capabilities", headers=_auth(keys.widget) | {"Origin": "https://evil.example"}
    )
    _assert_throttled(refused)
    assert "access-control-allow-origin" not in refused.headers
