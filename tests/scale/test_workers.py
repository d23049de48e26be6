"""Several workers over one PostgreSQL: catalogue changes reach all of them, limits are shared.

Starts ``referral serve --workers 2`` as a real process on a loopback port, against a schema of
its own in the test PostgreSQL database. Slow: runs under CI=true (or REFERRAL_TEST_SLOW=1).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from referral_api.schemas import OfferingUpdate
from tests.conftest import CATALOG_DIR, RULES_DIR, postgres_schema

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
REFERRAL = str(Path(sys.executable).parent / "referral")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _referral(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run([REFERRAL, *args], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def environment() -> Iterator[dict[str, str]]:
    """A fresh schema, migrated and loaded with the bundled catalogue."""
    with postgres_schema("workers") as url:
        env = {
            **os.environ,
            "REFERRAL_DATABASE_URL": url,
            "REFERRAL_CATALOG_DIR": str(CATALOG_DIR),
            "REFERRAL_RULES_DIR": str(RULES_DIR),
            "REFERRAL_RELOAD_INTERVAL_SECONDS": "1",
        }
        _referral("db", "upgrade", env=env)
        _referral("catalog", "load", env=env)
        yield env


@pytest.fixture(scope="module")
def server(environment: dict[str, str]) -> Iterator[str]:
    """``referral serve --workers 2`` on a free loopback port, ready."""
    port = _free_port()
    process = subprocess.Popen(
        [REFERRAL, "serve", "--workers", "2", "--port", str(port)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while len(_workers_ready(base, tries=20)) < 2:
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("two workers did not become ready within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _readyz(base: str) -> dict[str, object] | None:
    """/readyz over a new connection, so that either worker may answer."""
    try:
        response = httpx.get(f"{base}/readyz", timeout=2)
    except httpx.TransportError:
        return None
    return response.json() if response.status_code == 200 else None


def _workers_ready(base: str, *, tries: int) -> dict[int, int]:
    """Worker pid → catalogue version it serves, from ``tries`` fresh connections."""
    seen: dict[int, int] = {}
    for _ in range(tries):
        body = _readyz(base)
        if body is not None:
            seen[int(body["worker"])] = int(body["catalog_version_id"])  # type: ignore[call-overload]
    return seen


def test_a_change_through_one_worker_reaches_every_worker_within_5_seconds(
    server: str, environment: dict[str, str]
) -> None:
    curator = _referral(
        "keys", "create", "--name", "curator", "--scopes", "curator", env=environment
    )
    headers = {"Authorization": f"Bearer {curator}"}
    before = set(_workers_ready(server, tries=20).values())
    assert len(before) == 1
    offering = httpx.get(f"{server}/v1/offerings/ledgerly-books", headers=headers).json()
    edited = {k: v for k, v in offering.items() if k in OfferingUpdate.model_fields}
    edited["summary"] = "Cloud bookkeeping for small businesses, edited by a curator."
    response = httpx.put(f"{server}/v1/offerings/ledgerly-books", headers=headers, json=edited)
    assert response.status_code == 200, response.text
    changed = time.monotonic()
    new_version = max(before) + 1
    while True:
        seen = _workers_ready(server, tries=20)
        if len(seen) >= 2 and set(seen.values()) == {new_version}:
            break
        assert time.monotonic() - changed < 5, f"not every worker serves it yet: {seen}"
        time.sleep(0.1)


def test_rate_limits_hold_across_workers(server: str, environment: dict[str, str]) -> None:
    """Ten requests a minute means ten, however many workers share the key's traffic."""
    key = _referral(
        "keys", "create", "--name", "limited", "--scopes", "recommend", "--rate-limit", "10",
        env=environment,
    )  # fmt: skip
    now = dt.datetime.now(dt.UTC)
    if now.second > 40:  # keep the whole burst inside one rate-limit window
        time.sleep(61 - now.second)
    statuses = []
    for _ in range(30):
        response = httpx.post(
            f"{server}/v1/recommendations",
            headers={"Authorization": f"Bearer {key}"},
            json={"need": "send invoices"},
            timeout=10,
        )
        statuses.append(response.status_code)
    assert statuses.count(201) == 10
    assert statuses.count(429) == 20
