"""The scan's shortcuts decide only how much work a request does, never what it sees.

The scan first takes the offerings above a cut guessed from a sample of bounds, then the rest.
The 1,348-offering catalogue's needs reach about a hundred offerings each, so the tests also
shrink the first tier to make sure both tiers and the seam between them are exercised.
"""

from __future__ import annotations

import numpy as np
import pytest

from referral_api.domain import Catalog, Need, Rules
from referral_api.matching import Engine, retrieve
from referral_api.matching.constraints import ConstraintChecker
from referral_api.matching.retrieve import Scan


@pytest.fixture(scope="module")
def engine(selfhosted_catalog: Catalog, rules: Rules) -> Engine:
    return Engine(selfhosted_catalog, rules)


def scan_for(engine: Engine, text: str) -> Scan:
    interpretation = engine.interpret(Need(text))
    checker = ConstraintChecker(
        interpretation.constraints, engine.rules, engine.catalog.info.currency
    )
    return Scan(engine.index, interpretation, checker, engine.rules.thresholds.min_score)


def needs(engine: Engine) -> list[str]:
    labels = [c.label for c in engine.catalog.capabilities.values()]
    return [
        *labels[:12],
        *(f"{a} and {b} for a small team" for a, b in zip(labels[::7], labels[3::7], strict=False)),
        "cheap online tool",
    ]


@pytest.mark.parametrize(("stride", "tier"), [(32, 256), (4, 16)])
def test_offerings_come_in_exact_bound_order_across_both_tiers(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, stride: int, tier: int
) -> None:
    monkeypatch.setattr(retrieve, "SAMPLE_STRIDE", stride)
    monkeypatch.setattr(retrieve, "FIRST_TIER", tier)
    tiered = 0
    for text in needs(engine):
        scan = scan_for(engine, text)
        reached = np.flatnonzero(scan.bound > scan.floor)
        expected = reached[np.lexsort((engine.index.facts.id_rank[reached], -scan.bound[reached]))]
        order = []
        while (position := scan._take()) is not None:
            order.append(position)
        assert order == expected.tolist(), text
        tiered += len(reached) > 2 * tier
    if tier == 16:
        assert tiered >= 5  # the cut and the rest after it are both exercised


def test_a_scan_stopped_early_and_resumed_sees_the_same_order(engine: Engine) -> None:
    for text in needs(engine)[:8]:
        whole = scan_for(engine, text).everything()
        scan = scan_for(engine, text)
        scan.top(3)
        scan.down_to(0.0)
        assert [s.position for s in scan.scanned()] == [s.position for s in whole]
