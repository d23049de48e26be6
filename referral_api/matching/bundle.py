"""Bundles: when no single fit covers everything asked for, the best small sets that do."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations

from referral_api.domain import Bundle, CoverageStatus, Weights
from referral_api.matching.score import Scored

POOL = 20
SHOWN = 3
SIZE_PENALTY = 0.05

_DIRECT = (CoverageStatus.FULL, CoverageStatus.PARTIAL)


def _mask(fit: Scored, bits: Mapping[str, int]) -> int:
    """The requested capabilities a fit covers itself (fully or partly), as bits."""
    mask = 0
    for coverage in fit.coverage:
        if coverage.status in _DIRECT and coverage.capability in bits:
            mask |= bits[coverage.capability]
    return mask


def find_bundles(
    fits: Sequence[Scored],
    requested: Sequence[str],
    weights: Weights,
    max_size: int,
    labels: Mapping[str, str],
) -> tuple[Bundle, ...]:
    """The best 2–``max_size`` combinations of fits that together cover ``requested``.

    ``fits`` are offerings meeting every hard constraint, best first. Each member must add a
    capability the others lack; members that integrate with each other earn a bonus. When no
    combination covers everything, those covering the most are offered. Ownership plays no part.
    """
    bits = {cap: 1 << i for i, cap in enumerate(dict.fromkeys(requested))}
    everything = (1 << len(bits)) - 1
    if len(bits) < 2:
        return ()
    masks = [_mask(f, bits) for f in fits]
    if any(m == everything for m in masks):
        return ()
    pool = [(f, m) for f, m in zip(fits, masks, strict=True) if m][:POOL]
    found: list[tuple[float, int, tuple[Scored, ...], int]] = []
    for size in range(2, max(2, max_size) + 1):
        for members in combinations(pool, size):
            union = 0
            for _, m in members:
                union |= m
            if any(m & ~_others(members, i) == 0 for i, (_, m) in enumerate(members)):
                continue  # a member that adds nothing
            fits_in = tuple(f for f, _ in members)
            pairs = list(combinations(fits_in, 2))
            linked = sum(1 for a, b in pairs if _integrates(a, b))
            score = (
                sum(f.score for f in fits_in) / size
                + weights.integration_bonus * linked / len(pairs)
                - SIZE_PENALTY * (size - 2)
            )
            found.append((score, union.bit_count(), fits_in, union))
    if not found:
        return ()
    most = max(item[1] for item in found)
    best = sorted(
        (item for item in found if item[1] == most),
        key=lambda item: (-item[0], [f.offering.id for f in item[2]]),
    )
    return tuple(
        _bundle(score, members, [c for c, bit in bits.items() if union & bit], bits, labels)
        for score, _, members, union in best[:SHOWN]
    )


def _others(members: Sequence[tuple[Scored, int]], skip: int) -> int:
    union = 0
    for i, (_, m) in enumerate(members):
        if i != skip:
            union |= m
    return union


def _integrates(a: Scored, b: Scored) -> bool:
    return b.offering.id in a.offering.integrations or a.offering.id in b.offering.integrations


def _bundle(
    score: float,
    members: Sequence[Scored],
    covers: Sequence[str],
    bits: Mapping[str, int],
    labels: Mapping[str, str],
) -> Bundle:
    from referral_api.matching.explain import join

    ordered = sorted(covers)
    reasons = [f"Together they cover {join([labels.get(c, c) for c in ordered])}"]
    for member in members:
        own = [c for c in ordered if _mask(member, bits) & bits[c]]
        reasons.append(f"{member.offering.name} covers {join([labels.get(c, c) for c in own])}")
    for a, b in combinations(members, 2):
        if _integrates(a, b):
            reasons.append(f"{a.offering.name} integrates with {b.offering.name}")
    return Bundle(
        offerings=tuple(m.offering.id for m in members),
        covers=tuple(ordered),
        reasons=tuple(reasons),
        score=round(score, 6),
    )
