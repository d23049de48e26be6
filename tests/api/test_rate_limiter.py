"""Rate limits: counted in the database, reserved a few at a time, never exceeded."""

from __future__ import annotations

import pytest

from referral_api.api.security import Admission
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
