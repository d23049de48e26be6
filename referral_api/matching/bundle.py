"""Bundles: when no single fit covers everything asked for, the best small sets that do."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations, product

import numpy as np
import numpy.typing as npt

from referral_api.domain import Bundle, Weights
from referral_api.matching.score import Scored

POOL = 20
SHOWN = 3
SIZE_PENALTY = 0.05


def _mask(fit: Scored, bits: Mapping[str, int]) -> int:
    """The requested capabilities a fit covers itself (fully or partly), as bits: those it
    lists (its coverage of them is full or partial; anything else comes through the graph)."""
    mask = 0
    for capability in fit.offering.capabilities:
        bit = bits.get(capability)
        if bit is not None:
            mask |= bit
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
    # Members with the same mask never combine (neither would add anything), so which
    # combinations qualify — each member adding something, covering the most — is decided
    # over the few distinct masks; only qualifying ones are expanded into members and scored.
    groups: dict[int, list[int]] = {}
    for i, (_, m) in enumerate(pool):
        groups.setdefault(m, []).append(i)
    most, qualifying = 0, []
    for size in range(2, max(2, max_size) + 1):
        for combo in combinations(groups, size):
            if any(m & ~_others(combo, i) == 0 for i, m in enumerate(combo)):
                continue  # a member that adds nothing
            covered = _others(combo, -1).bit_count()
            if covered > most:
                most, qualifying = covered, [combo]
            elif covered == most:
                qualifying.append(combo)
    scores = np.array([f.score for f, _ in pool], dtype=np.float64)
    linked_pairs = _integration_matrix([f for f, _ in pool])
    # every choice of one member per mask, each in pool order as combinations() gives it,
    # scored together for each size
    rows: dict[int, list[tuple[int, ...]]] = {}
    unions: dict[int, list[int]] = {}
    for combo in qualifying:
        chosen = list(product(*(groups[m] for m in combo)))
        rows.setdefault(len(combo), []).extend(chosen)
        unions.setdefault(len(combo), []).extend([_others(combo, -1)] * len(chosen))
    candidates: list[tuple[float, tuple[Scored, ...], int]] = []
    for size, chosen in rows.items():
        members = np.sort(np.array(chosen, dtype=np.intp), axis=1)
        pairs = size * (size - 1) // 2
        # the same float operations, in the same order, as scoring one combination at a time
        total = scores[members[:, 0]]
        for i in range(1, size):
            total = total + scores[members[:, i]]
        linked = np.zeros(len(members), dtype=np.int64)
        for a, b in combinations(range(size), 2):
            linked += linked_pairs[members[:, a], members[:, b]]
        bonus = weights.integration_bonus * linked / pairs
        score = total / size + bonus - SIZE_PENALTY * (size - 2)
        top = np.arange(len(score))
        if len(score) > SHOWN:  # only those scoring at least the SHOWN-th best can be shown
            top = np.flatnonzero(score >= np.partition(score, -SHOWN)[-SHOWN])
        candidates += [
            (float(score[i]), tuple(pool[j][0] for j in members[i].tolist()), unions[size][i])
            for i in top.tolist()
        ]
    best = sorted(candidates, key=lambda item: (-item[0], [f.offering.id for f in item[1]]))
    return tuple(
        _bundle(score, members, [c for c, bit in bits.items() if union & bit], bits, labels)
        for score, members, union in best[:SHOWN]
    )


def _others(masks: Sequence[int], skip: int) -> int:
    """The union of ``masks`` but the one at ``skip``."""
    union = 0
    for i, m in enumerate(masks):
        if i != skip:
            union |= m
    return union


def _integration_matrix(fits: Sequence[Scored]) -> npt.NDArray[np.bool_]:
    """``[i, j]``: whether fits i and j integrate (in either direction)."""
    linked = np.zeros((len(fits), len(fits)), dtype=bool)
    where = {f.offering.id: i for i, f in enumerate(fits)}
    for i, fit in enumerate(fits):
        for other in fit.offering.integrations:
            j = where.get(other)
            if j is not None:
                linked[i, j] = linked[j, i] = True
    return linked


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
