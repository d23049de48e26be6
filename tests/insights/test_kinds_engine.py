"""Gap kinds of labelled needs answered by the real engine over the demo catalogue.

Each label is read off the catalogue's facts (``catalog/offerings/*.yaml``), not off the engine's
output: which offerings cover the capability, whose they are and where they are available.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from referral_api.curation.snapshot import snapshot_from_dirs
from referral_api.domain import Catalog, Need, Rules
from referral_api.domain.record import record_of
from referral_api.insights.gaps import GapFact, GapKind, derive_gap_facts
from referral_api.insights.report import GapFilter, gap_report
from referral_api.matching import Engine
from referral_api.schemas import RecommendationCreate
from referral_api.service.engines import LoadedEngine
from referral_api.service.recommendations import make_recommendation, store_records
from referral_api.store import models
from referral_api.store.catalogs import store_snapshot
from referral_api.store.repositories import GapFactRepository
from tests.conftest import CATALOG_DIR, RULES_DIR

UNSERVED = GapKind.UNSERVED
ELSEWHERE = GapKind.SERVED_ELSEWHERE
PARTLY = GapKind.PARTLY_SERVED
SERVED = GapKind.SERVED
NOT_UNDERSTOOD = GapKind.NOT_UNDERSTOOD


@dataclass(frozen=True)
class Label:
    """What the catalogue says one need's facts must be."""

    need: str
    #: (capability, kind, who serves it instead, which must-have is missed)
    facts: tuple[tuple[str, GapKind, str | None, str | None], ...] = ()
    #: None: the ask was understood (leftover words may add one not-understood fact);
    #: "whole": the ask was not understood, so this fact is the need's only fact
    not_understood: str | None = None


LABELS = (
    # ledgerly-payroll (ours) is US-only; kyuyo-cloud (competitor) serves JP
    Label("payroll for my team in Japan", (("payroll", ELSEWHERE, "kyuyo-cloud", "region"),)),
    Label(
        "Lohnabrechnung für mein Team in Japan", (("payroll", ELSEWHERE, "kyuyo-cloud", "region"),)
    ),
    # nomina-mx (competitor) serves MX
    Label("nóminas para mi empresa en México", (("payroll", ELSEWHERE, "nomina-mx", "region"),)),
    # ledgerly-pos (ours) is US/CA; opentill (other) is global
    Label("a point of sale in Kenya", (("point-of-sale", ELSEWHERE, "opentill", "region"),)),
    # the only crypto offerings are sold nowhere in Nigeria: unserved, for want of the region
    Label(
        "crypto payments for my online shop in Nigeria",
        (("crypto-payments", UNSERVED, None, "region"),),
    ),
    # no offering covers currency hedging at all
    Label("currency hedging for my firm", (("fx-hedging", UNSERVED, None, None),)),
    # ledgerly-payroll serves the US fully
    Label("run payroll for my staff in Texas", (("payroll", SERVED, None, None),)),
    # ledgerly-pos covers gift cards and loyalty only partly, and nobody else in the US better
    Label(
        "gift cards and loyalty for my store in the US",
        (("gift-cards-loyalty", PARTLY, None, None),),
    ),
    # half served: payroll (a competitor ranks first), and a website builder nothing names
    Label(
        "payroll for my 5 staff and also a website builder",
        (("payroll", ELSEWHERE, "roo-payroll", None),),
    ),
    # out of domain: one not-understood fact, never demand for a capability
    Label("help me write a wedding speech", not_understood="whole"),
    Label("translate Klingon poetry and water my plants automatically", not_understood="whole"),
    Label("how do I adopt a llama", not_understood="whole"),
    # a language the rules do not read: one not-understood fact (it used to leave no gap)
    Label("給与計算ソフトが必要です", not_understood="whole"),
)


@pytest.fixture(scope="module")
def engine(demo_catalog: Catalog, rules: Rules) -> Engine:
    return Engine(demo_catalog, rules)


def check(label: Label, facts: list[GapFact]) -> None:
    """Every fact of the need is the labelled one; a not-understood fact never names a
    capability, and a need not understood has no other fact."""
    shown = [
        (f.capability, f.kind, f.other_offering_id, f.missed_constraint)
        for f in facts
        if f.kind is not NOT_UNDERSTOOD
    ]
    assert shown == list(label.facts), label.need
    unread = [f for f in facts if f.kind is NOT_UNDERSTOOD]
    assert len(unread) <= 1, label.need  # one per need, never one per phrase
    assert all(f.capability is None for f in unread)
    if label.not_understood == "whole":
        assert [f.coverage for f in unread] == ["whole"]
        assert len(facts) == 1
    else:
        assert all(f.coverage == "part" for f in unread)
    assert sum(f.lead for f in facts) == 1  # one lead fact: sums of leads count needs


@pytest.mark.parametrize("label", LABELS, ids=lambda label: label.need)
def test_every_fact_of_a_labelled_need_has_its_kind(engine: Engine, label: Label) -> None:
    recommendation = engine.recommend(Need(label.need))
    record = record_of(
        recommendation,
        record_id="rec_1",
        created_at=dt.datetime(2026, 11, 25, tzinfo=dt.UTC),
        channel="api",
        catalog_version_id=1,
    )
    check(label, derive_gap_facts(record))


def test_the_half_served_need_keeps_what_was_not_understood(engine: Engine) -> None:
    need = "payroll for my 5 staff and also a website builder"
    record = record_of(
        engine.recommend(Need(need)),
        record_id="rec_1",
        created_at=dt.datetime(2026, 11, 25, tzinfo=dt.UTC),
        channel="api",
        catalog_version_id=1,
    )
    terms = [f.term for f in derive_gap_facts(record) if f.kind is NOT_UNDERSTOOD]
    assert terms == ["website builder"]


class TestSeededStream:
    """A seeded stream of labelled needs recorded through the service, read back from the
    database: every stored fact has its label's kind, and the report counts the needs."""

    def test_stream(self, session: Session, demo_catalog: Catalog, rules: Rules) -> None:
        version = store_snapshot(
            session, snapshot_from_dirs(CATALOG_DIR, RULES_DIR), actor="test", action="load"
        )
        loaded = LoadedEngine(version.id, Engine(demo_catalog, rules))
        rnd = random.Random(18)
        start = dt.datetime(2026, 10, 5, tzinfo=dt.UTC)  # a Monday
        labels: dict[str, Label] = {}
        recorded = []
        for _ in range(60):
            label = rnd.choice(LABELS)
            at = start + dt.timedelta(hours=rnd.randrange(24 * 7 * 6))
            item = make_recommendation(
                loaded,
                RecommendationCreate(need=label.need),
                channel="api",
                key_id=None,
                redact_needs=False,
                created_at=at,
            )
            labels[item.record.id] = label
            recorded.append(item)
        store_records(session, recorded)

        stored = session.scalars(select(models.GapFact).order_by(models.GapFact.id)).all()
        by_record: dict[str, list[GapFact]] = {}
        for row in stored:
            by_record.setdefault(row.recommendation_id, []).append(
                GapFact(
                    recommendation_id=row.recommendation_id,
                    created_at=row.created_at,
                    week=row.week,
                    channel=row.channel,
                    segment=row.segment,
                    region=row.region,
                    catalog_version_id=row.catalog_version_id,
                    kind=GapKind(row.kind),
                    capability=row.capability,
                    term=row.term,
                    other_offering_id=row.other_offering_id,
                    missed_constraint=row.missed_constraint,
                    coverage=row.coverage,
                    lead=row.lead,
                )
            )
        assert set(by_record) == set(labels)
        for record_id, facts in by_record.items():
            check(labels[record_id], facts)

        where = GapFilter(since=start, until=start + dt.timedelta(weeks=7))
        report = gap_report(GapFactRepository(session), where, limit=200, examples=0)
        expected: Counter[tuple[str | None, GapKind]] = Counter()
        for label in labels.values():
            for capability, kind, _, _ in label.facts:
                expected[(capability, kind)] += 1
        counted = {(g.capability, g.kind): g.count for g in report.gaps}
        for (capability, kind), count in expected.items():
            if kind is not SERVED:
                assert counted[(capability, kind)] == count
        unserved = sum(n for (_, kind), n in expected.items() if kind is UNSERVED)
        assert unserved > 0
        assert sum(g.count for g in report.gaps if g.kind is UNSERVED) == unserved
        assert report.needs == len(labels)
        # the weekly trend counts needs: a week's needs of one kind are at most its needs
        weekly_needs = sum(p.needs for p in report.kind_trend if p.kind is UNSERVED)
        assert weekly_needs == sum(
            1 for label in labels.values() if any(k is UNSERVED for _, k, _, _ in label.facts)
        )
