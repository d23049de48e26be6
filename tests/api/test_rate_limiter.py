"""Rate limits: counted in the database, reserved a few at a time, never exceeded."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest

from referral_api.errors import RateLimited
from referral_api.service.keys import Admission, authenticate, create_key
from referral_api.store.db import Database
from referral_api.store.repositories import RateLimitRepository


class FakeCounts:
    """The database's atomic per-window counter, shared by every worker."""

    def __init__(self) -> None:
        self.count = 0
        self.writes = 0

    def hit(self, key_id: str, window: int, requests: int = 1) -> int:
        self.count += requests
        self.writes += 1
        return self.count


def admit(admission: Admission, counts: FakeCounts, limit: int) -> bool:
    repository: RateLimitRepository = counts  # type: ignore[assignment]
    return admission.take("k", 1) or admission.reserve(repository, "k", 1, limit)


@pytest.mark.parametrize(
    ("limit", "workers", "requests"),
    [
        (10, 1, 30),  # small limits count one by one: exact
        (10, 3, 30),
        (5_000, 1, 6_000),  # large limits reserve batches
        (5_000, 4, 6_000),
        (250, 3, 400),  # a batch that straddles the limit is granted only in part
    ],
)
def test_never_admits_more_than_the_limit(limit: int, workers: int, requests: int) -> None:
    counts = FakeCounts()
    limiters = [Admission() for _ in range(workers)]
    admitted = sum(admit(limiters[i % workers], counts, limit) for i in range(requests))
    assert admitted <= limit
    # at most (batch - 1) reserved and unspent per worker
    batch = max(1, min(Admission.MAX_BATCH, limit // Admission.RESERVE_EVERY))
    assert admitted >= limit - workers * (batch - 1)


def test_small_limits_write_every_request_large_ones_in_batches() -> None:
    small, large = FakeCounts(), FakeCounts()
    admission = Admission()
    for _ in range(50):
        admit(admission, small, 120)
    admission = Admission()
    for _ in range(160):
        admit(admission, large, 100_000)
    assert small.writes == 50
    assert large.writes == 10  # 16 at a time


def test_a_new_window_starts_afresh() -> None:
    counts = FakeCounts()
    admission = Admission()
    repository: RateLimitRepository = counts  # type: ignore[assignment]
    assert admission.reserve(repository, "k", 1, 10_000)
    assert not admission.take("k", 2)  # the reservation belonged to window 1


# --- concurrent callers on a real database (issue 16, defect 3) ------------------------------
# 16 threads ask at once, as a busy worker's thread pool does. Concurrent reservations used to
# overwrite each other's unspent requests, so a key was refused under its limit (800 of 1,000
# admitted less 56; 400 asked of 250 admitted only 232). Each simulated worker is an Admission
# and a Database of its own, sharing the database's counts.

CALLERS = 16
#: a window that never turns over mid-test
AT = dt.datetime(2026, 11, 23, 10, 0, 30, tzinfo=dt.UTC)


def _ask_concurrently(url: str, *, limit: int, requests: int, workers: int) -> int:
    """How many of ``requests`` (spread over ``workers``, asked by 16 threads) were admitted."""
    setup = Database.from_url(url)
    with setup.session() as session:
        secret = create_key(
            session, name="busy", scopes=["recommend"], rate_limit_per_minute=limit
        ).secret
    setup.dispose()
    databases = [Database.from_url(url) for _ in range(workers)]
    admissions = [Admission() for _ in range(workers)]

    def ask(n: int) -> bool:
        worker = n % workers
        try:
            authenticate(
                databases[worker], secret, origin=None, default_rate_limit=120,
                admission=admissions[worker], now=AT,
            )  # fmt: skip
        except RateLimited:
            return False
        return True

    try:
        with ThreadPoolExecutor(CALLERS) as pool:
            return sum(pool.map(ask, range(requests)))
    finally:
        for database in databases:
            database.dispose()


@pytest.mark.parametrize(
    ("limit", "requests", "workers"),
    [
        (1000, 800, 1),  # batches of 10: under the limit, nothing refused
        (200, 180, 1),  # batches of 2
        (250, 400, 1),  # over the limit: exactly the limit admitted
        (1000, 1200, 1),
        (1000, 960, 2),  # two workers: under the limit by more than the bound
        (1000, 1200, 2),  # over it: the limit, less at most workers × (batch - 1)
    ],
)
def test_concurrent_callers_are_refused_only_over_the_limit(
    committed_url: str, limit: int, requests: int, workers: int
) -> None:
    admitted = _ask_concurrently(committed_url, limit=limit, requests=requests, workers=workers)
    batch = max(1, min(Admission.MAX_BATCH, limit // Admission.RESERVE_EVERY))
    if workers == 1:
        assert admitted == min(limit, requests)
    else:
        assert min(limit, requests) - workers * (batch - 1) <= admitted <= min(limit, requests)
