"""The self-preference audit's report on the wire."""

from __future__ import annotations

import datetime as dt

from referral_api.schemas.common import (
    Schema,
    described,
)


class AuditFindingPublic(Schema):
    recommendation_id: str = described("The record.", "rec_3f9a")
    created_at: dt.datetime = described("When it was made.", "2026-11-23T10:00:00Z")
    ranking: list[str] = described("Offering ids as ranked.", ["a", "b"])
    masked_ranking: list[str] = described("As ranked with relationships masked.", ["b", "a"])


class AuditPublic(Schema):
    since: dt.datetime | None = described("Records from this time on.", "2026-11-01T00:00:00Z")
    checked: int = described("Records re-ranked.", 120)
    identical: int = described("Rankings unchanged by masking.", 120)
    differing: int = described("Rankings that changed (expected: 0).", 0)
    skipped: int = described("Records that could not be re-ranked.", 0)
    not_reproducible: int = described(
        "Records whose unmasked re-ranking differs from what was recorded.", 0
    )
    findings: list[AuditFindingPublic] = described("Every differing ranking.", [])
