"""The self-preference audit: would any recorded ranking change if nobody owned anything?

Each recorded need is ranked twice with the catalogue version that answered it: once as it is,
once with every offering's relationship masked (set to ``other``, referral terms removed).
Ranking is ownership-blind, so the two must agree; every case where they do not is reported.
The unmasked ranking is also compared with the one recorded, which tells whether a past
decision still reproduces (it may not after an engine upgrade; that is not self-preference).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from referral_api.domain import Catalog, Need, Relationship
from referral_api.errors import InputError


def mask_relationships(catalog: Catalog) -> Catalog:
    """The same catalogue with every relationship set to ``other`` and no referral terms."""
    masked = tuple(
        dataclasses.replace(offering, relationship=Relationship.OTHER, referral=None)
        for offering in catalog.offerings
    )
    return Catalog.build(catalog.info, catalog.capabilities, masked)


@dataclass(frozen=True)
class AuditCase:
    """One recorded need and the ranking it got."""

    record_id: str
    created_at: dt.datetime
    need: Need
    limit: int
    recorded: tuple[str, ...]
    catalog_key: int


@dataclass(frozen=True)
class AuditFinding:
    record_id: str
    created_at: dt.datetime
    ranking: tuple[str, ...]
    masked_ranking: tuple[str, ...]


@dataclass(frozen=True)
class AuditReport:
    checked: int
    identical: int
    not_reproducible: int
    skipped: int
    findings: tuple[AuditFinding, ...]

    @property
    def differing(self) -> int:
        return len(self.findings)


#: ranks a need with the catalogue of ``catalog_key``, masked or not: offering ids in order
Ranker = Callable[[Need, int, int, bool], tuple[str, ...]]


def audit_rankings(cases: Iterable[AuditCase], rank: Ranker) -> AuditReport:
    """Re-rank every case with and without relationships; report each ranking that differs.

    ``rank(need, limit, catalog_key, masked)`` returns offering ids in rank order; it may raise
    ``LookupError``, ``ValueError`` or ``InputError`` for a case it cannot re-rank (skipped).
    """
    checked = identical = not_reproducible = skipped = 0
    findings: list[AuditFinding] = []
    for case in cases:
        try:
            plain = rank(case.need, case.limit, case.catalog_key, False)
            masked = rank(case.need, case.limit, case.catalog_key, True)
        except (LookupError, ValueError, InputError):
            skipped += 1
            continue
        checked += 1
        if plain != case.recorded:
            not_reproducible += 1
        if plain == masked:
            identical += 1
        else:
            findings.append(AuditFinding(case.record_id, case.created_at, plain, masked))
    return AuditReport(checked, identical, not_reproducible, skipped, tuple(findings))
