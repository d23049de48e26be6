"""Nothing fits: the smallest sets of hard constraints whose relaxation would let something fit.

A minimal-diagnosis search in the spirit of FastDiag, made exact by the engine's evidence: each
relevant offering already knows which hard constraints it fails, so a relaxation that admits it
is exactly that set, and the *minimal* relaxations are the sets no smaller one is contained in.
The search is bounded in time; nothing is ever relaxed silently — it is only proposed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

from referral_api.domain import ConstraintKind, Constraints, Relaxation
from referral_api.domain.constraint_kinds import KIND_OF
from referral_api.matching.constraints import (
    display_name,
    format_money,
    language_name,
    region_name,
)
from referral_api.matching.explain import join
from referral_api.matching.score import Scored

SHOWN = 3
ADMITTED = 3
RELEVANT_SHARE = 0.6


def find_relaxations(
    candidates: Sequence[Scored],
    describe: Callable[[str, Sequence[Scored]], str],
    budget_ms: float,
) -> tuple[Relaxation, ...]:
    """Minimal relaxations, smallest first, each naming the best offerings it would admit.

    ``candidates`` are relevant offerings in rank order; ``describe`` words one relaxed
    constraint given the offerings it admits ("a budget of €40/month").
    """
    deadline = time.perf_counter() + budget_ms / 1000
    if not candidates:
        return ()
    # only offerings that would be worth recommending once admitted
    relevant = [s for s in candidates if s.score >= RELEVANT_SHARE * candidates[0].score]
    failed_sets: dict[frozenset[str], list[Scored]] = {}
    for scored in relevant:
        failed = frozenset(scored.failed)
        if failed:
            failed_sets.setdefault(failed, []).append(scored)
        if time.perf_counter() > deadline:
            break
    minimal: list[frozenset[str]] = []
    for failed in sorted(failed_sets, key=lambda s: (len(s), -failed_sets[s][0].score, sorted(s))):
        if not any(kept <= failed for kept in minimal):
            minimal.append(failed)
        if len(minimal) == SHOWN:
            break
    relaxations = []
    for relaxed in minimal:
        admitted = [s for s in relevant if s.failed and frozenset(s.failed) <= relaxed][:ADMITTED]
        names = join([a.offering.name for a in admitted])
        verb = "fits" if len(admitted) == 1 else "fit"
        changes = join([describe(name, admitted) for name in sorted(relaxed)])
        relaxations.append(
            Relaxation(
                relax=tuple(sorted(relaxed)),
                admits=tuple(a.offering.id for a in admitted),
                detail=f"{changes[0].upper()}{changes[1:]}, {names} {verb}.",
            )
        )
    return tuple(relaxations)


def describer(
    constraints: Constraints, currency: str, monthly_cost: Callable[[Scored], float | None]
) -> Callable[[str, Sequence[Scored]], str]:
    """Words for relaxing one of ``constraints``, e.g. "if €40/month is possible"; a
    constraint of one value is named by its value ("if it need not be available in Germany")."""

    def describe(name: str, admitted: Sequence[Scored]) -> str:
        field, _, value = name.partition(":")
        if field == "budget_monthly":
            costs = [c for c in (monthly_cost(s) for s in admitted) if c is not None]
            if costs:
                return f"if {format_money(math.ceil(min(costs)), currency)}/month is possible"
        kind = KIND_OF.get(field)
        if kind is None:
            return f"without {name}"
        if not value and not kind.many:
            value = str(getattr(constraints, field) or "")
        shown = value
        if kind.vocabulary is ConstraintKind.PLATFORM:
            shown = display_name(value)
        elif kind.vocabulary is ConstraintKind.COMPLIANCE:
            shown = display_name(value, acronym=True)
        elif kind.vocabulary is ConstraintKind.PRICE_MODEL:
            shown = value.replace("_", " ")
        elif kind.vocabulary is ConstraintKind.LANGUAGE and value:
            shown = language_name(value)
        return kind.relax.format(value=shown, region=region_name(constraints.region or ""))

    return describe
