"""The database's GROUP BYs equal a plain-Python count over the same facts, on SQLite and
PostgreSQL; facts are written with their record, rebuilt and purged with it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session

from referral_api.insights.clusters import NeedReading
from referral_api.insights.gaps import GapFact, GapKind
from referral_api.insights.report import (
    GapCount,
    GapFilter,
    KindCount,
    WeekCount,
    count_facts,
    count_kind_weeks,
    count_kinds,
    count_weeks,
    gap_report,
    needs_per_week,
)
from referral_api.service.recommendations import store_records
from referral_api.service.recording import RecordBuffer
from referral_api.store import models
from referral_api.store.catalogs import store_snapshot
from referral_api.store.db import Database, make_engine
from referral_api.store.migrate import upgrade
from referral_api.store.repositories import (
    GapFactRepository,
    OutcomeRepository,
    RecommendationRepository,
)
from tests.factories import make_snapshot

START = dt.datetime(2026, 9, 7, tzinfo=dt.UTC)  # a Monday
SPAN_HOURS = 24 * 7 * 10
CAPABILITIES = ["invoicing", "payroll", "time-tracking"]
OFFERINGS = [None, ("pay-rival", "competitor"), ("books-partner", "partner")]


@pytest.fixture
def version_id(session: Session) -> int:
    return store_snapshot(session, make_snapshot(), actor="test", action="load").id


def records_strategy() -> st.SearchStrategy[list[dict[str, Any]]]:
    record = st.fixed_dictionaries(
        {
            "hours": st.integers(0, SPAN_HOURS),
            "channel": st.sampled_from(["api", "advocate", "widget"]),
            "segment": st.sampled_from([None, "small", "enterprise"]),
            "region": st.sampled_from([None, "DE", "US"]),
            "outcome": st.sampled_from([None, "accepted", "referred_elsewhere", "declined"]),
            "facts": st.lists(
                st.tuples(
                    st.sampled_from([*CAPABILITIES, None]),
                    st.sampled_from(list(GapKind)),
                    st.sampled_from(OFFERINGS),
                    st.sampled_from([None, "region", "budget"]),
                ),
                max_size=4,
            ),
        }
    )
    return st.lists(record, max_size=25)


def filters_strategy() -> st.SearchStrategy[GapFilter]:
    return st.builds(
        lambda start, length, channel, segment, region, capability: GapFilter(
            since=START + dt.timedelta(hours=start),
            until=START + dt.timedelta(hours=start + length),
            channel=channel,
            segment=segment,
            region=region,
            capability=capability,
        ),
        st.integers(-200, SPAN_HOURS),
        st.integers(1, SPAN_HOURS + 400),
        st.sampled_from([None, "api", "widget"]),
        st.sampled_from([None, "small"]),
        st.sampled_from([None, "DE"]),
        st.sampled_from([None, *CAPABILITIES]),
    )


def store_history(
    session: Session, version_id: int, history: list[dict[str, Any]]
) -> tuple[list[GapFact], dict[str, str]]:
    """Write records, facts and outcomes straight into the tables; the facts and outcomes."""
    facts: list[GapFact] = []
    outcomes: dict[str, str] = {}
    for number, item in enumerate(history):
        created = START + dt.timedelta(hours=item["hours"])
        record_id = f"rec_{number:04d}"
        session.add(make_record(record_id, created, item["channel"], version_id))
        if item["outcome"]:
            outcomes[record_id] = item["outcome"]
        kinds_seen: set[GapKind] = set()
        capabilities_seen: set[str] = set()
        for index, (capability, kind, other, missed) in enumerate(item["facts"]):
            if kind is not GapKind.NOT_UNDERSTOOD and capability is not None:
                if capability in capabilities_seen:
                    continue  # as derived: one fact per need and capability
                capabilities_seen.add(capability)
            first_of_kind = kind not in kinds_seen
            kinds_seen.add(kind)
            facts.append(
                GapFact(
                    recommendation_id=record_id,
                    created_at=created,
                    week=(created - dt.timedelta(days=created.weekday())).date(),
                    channel=item["channel"],
                    segment=item["segment"],
                    region=item["region"],
                    catalog_version_id=version_id,
                    kind=kind,
                    capability=None if kind is GapKind.NOT_UNDERSTOOD else capability,
                    term="words" if kind is GapKind.NOT_UNDERSTOOD else None,
                    other_offering_id=other[0] if other else None,
                    other_relationship=other[1] if other else None,
                    missed_constraint=missed,
                    lead=1 if index == 0 else 0,
                    kind_lead=int(first_of_kind),
                    outcome=item["outcome"],
                )
            )
    session.flush()
    if facts:  # written without outcomes: recording them below copies them onto the facts
        rows = [{**f.as_row(), "outcome": None} for f in facts]
        session.execute(insert(models.GapFact), rows)
    for record_id, outcome in outcomes.items():
        OutcomeRepository(session).add(
            models.Outcome(
                recommendation_id=record_id,
                outcome=outcome,
                recorded_by="test",
                recorded_at=START,
            )
        )
    session.flush()
    return facts, outcomes


@dataclass
class InMemory:
    """The report's source over facts in a list: the obviously-correct reference."""

    facts: list[GapFact]

    def counts(self, where: GapFilter) -> list[GapCount]:
        return count_facts(self.facts, where)

    def kinds(self, where: GapFilter) -> list[KindCount]:
        return count_kinds(self.facts, where)

    def weekly(self, where: GapFilter) -> list[WeekCount]:
        return count_weeks(self.facts, where)

    def examples(
        self, where: GapFilter, capability: str | None, kind: GapKind, *, limit: int = 3
    ) -> list[str]:
        return []

    def readings(self, where: GapFilter, kind: GapKind, *, limit: int = 2000) -> list[NeedReading]:
        return []


def make_record(
    record_id: str, created: dt.datetime, channel: str, version_id: int, **extra: Any
) -> models.RecommendationRecord:
    values: dict[str, Any] = {
        "id": record_id,
        "created_at": created,
        "channel": channel,
        "api_key_id": None,
        "need_text": f"need {record_id}",
        "request": {},
        "interpretation": {},
        "ranking": [],
        "best_own": None,
        "unmet": [],
        "winner_offering_id": None,
        "winner_relationship": None,
        "response": {},
        "catalog_version_id": version_id,
        "catalog_version": "test-1",
        "rules_version": "r",
        "engine_version": "e",
    }
    values.update(extra)
    return models.RecommendationRecord(**values)


@contextmanager
def rolled_back(session: Session) -> Iterator[None]:
    """One hypothesis example inside a savepoint of the test's transaction."""
    nested = session.begin_nested()
    try:
        yield
    finally:
        nested.rollback()


class TestAggregationEqualsReference:
    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(history=records_strategy(), where=filters_strategy())
    def test_sql_counts_equal_python_counts(
        self, session: Session, version_id: int, history: list[dict[str, Any]], where: GapFilter
    ) -> None:
        """For any history and any filter, every GROUP BY equals counting facts in Python."""
        with rolled_back(session):
            facts, _ = store_history(session, version_id, history)
            repository = GapFactRepository(session)
            assert repository.counts(where) == count_facts(facts, where)
            assert repository.kinds(where.previous) == count_kinds(facts, where.previous)
            assert repository.weekly(where) == count_weeks(facts, where)
            weekly = repository.weekly(where)
            assert needs_per_week(weekly, where) == count_kind_weeks(facts, where)
            report = gap_report(repository, where, examples=0)
            assert report == gap_report(InMemory(facts), where, examples=0)
            if where.capability is None:
                matching = {f.recommendation_id for f in facts if where.matches(f)}
                assert report.needs == len(matching)

    def test_a_known_history(self, session: Session, version_id: int) -> None:
        history = [
            # two weeks of payroll served elsewhere; the second week also asks for time-tracking
            {"hours": 1, "channel": "api", "segment": None, "region": "DE",
             "outcome": "referred_elsewhere",
             "facts": [("payroll", GapKind.SERVED_ELSEWHERE, OFFERINGS[1], None)]},
            {"hours": 2, "channel": "widget", "segment": None, "region": "DE", "outcome": None,
             "facts": [("payroll", GapKind.SERVED_ELSEWHERE, OFFERINGS[1], None)]},
            {"hours": 24 * 7 + 1, "channel": "widget", "segment": None, "region": "US",
             "outcome": "declined",
             "facts": [("payroll", GapKind.SERVED_ELSEWHERE, OFFERINGS[2], None),
                       ("time-tracking", GapKind.UNSERVED, None, None)]},
            {"hours": 24 * 7 + 2, "channel": "api", "segment": None, "region": "US",
             "outcome": None, "facts": [("payroll", GapKind.SERVED, None, None)]},
        ]  # fmt: skip
        store_history(session, version_id, history)
        second_week = GapFilter(
            since=START + dt.timedelta(days=7), until=START + dt.timedelta(days=14)
        )
        report = gap_report(GapFactRepository(session), second_week, examples=1)
        by_key = {(g.capability, g.kind): g for g in report.gaps}
        payroll = by_key[("payroll", GapKind.SERVED_ELSEWHERE)]
        assert (payroll.count, payroll.requests, payroll.previous_count) == (1, 2, 2)
        assert not payroll.is_new
        assert [(s.name, s.relationship) for s in payroll.served_by] == [
            ("books-partner", "partner")
        ]
        assert [(s.name, s.count) for s in payroll.outcomes] == [("declined", 1)]
        tracking = by_key[("time-tracking", GapKind.UNSERVED)]
        assert tracking.is_new
        assert tracking.examples == ("need rec_0002",)
        assert [g.capability for g in report.new_gaps] == ["time-tracking"]
        assert ("payroll", GapKind.SERVED) not in by_key  # served is a denominator only
        assert report.needs == 2

        both = GapFilter(since=START, until=START + dt.timedelta(days=14), channel="widget")
        report = gap_report(GapFactRepository(session), both, examples=0)
        trend = [(p.label, p.capability, p.count) for p in report.trend]
        assert trend == [
            ("2026-W37", "payroll", 1),
            ("2026-W38", "payroll", 1),
            ("2026-W38", "time-tracking", 1),
        ]
        assert [w.isoformat() for w in report.weeks] == ["2026-09-07", "2026-09-14"]


class TestWrittenWithTheRecord:
    def test_purging_a_record_removes_its_facts(self, session: Session, version_id: int) -> None:
        history = [{"hours": 0, "channel": "api", "segment": None, "region": None,
                    "outcome": "accepted",
                    "facts": [("payroll", GapKind.UNSERVED, None, None)]}]  # fmt: skip
        store_history(session, version_id, history)
        removed = RecommendationRepository(session).purge_before(START + dt.timedelta(hours=1))
        assert removed == 1
        assert session.scalar(select(func.count()).select_from(models.GapFact)) == 0

    def test_rebuild_derives_facts_from_stored_responses(
        self, session: Session, version_id: int
    ) -> None:
        response = {
            "interpreted": {"capabilities": [{"id": "payroll"}], "constraints": {},
                            "not_understood": ["llamas"]},
            "results": [], "rejected": [], "best_own": None,
            "unmet": [{"capability": "payroll", "detail": "…"}],
        }  # fmt: skip
        session.add(make_record("rec_old", START, "api", version_id, response=response))
        session.flush()
        assert GapFactRepository(session).rebuild(batch=1) == (1, 2)
        kinds = session.scalars(select(models.GapFact.kind).order_by(models.GapFact.kind)).all()
        assert kinds == ["not_understood", "unserved"]
        assert GapFactRepository(session).rebuild() == (1, 2)  # again: replaced, not doubled


def test_the_migration_backfills_records_made_before_it(tmp_path: Any) -> None:
    """Upgrading a database of the first revision gives its records their gap facts."""
    engine: Engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        upgrade(engine, "0001")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO catalog_versions (id, catalog_version, rules_version, company,"
                    " documents, rules_texts, content_hash, offering_count, loaded_by,"
                    " loaded_at, note, active) VALUES (1, 'v', 'r', 'c', '{}', '{}', 'h', 0,"
                    " 't', '2026-09-07 00:00:00', '', 1)"
                )
            )
            response = (
                '{"interpreted": {"capabilities": [{"id": "payroll"}], "constraints":'
                ' {"region": "de"}, "not_understood": []}, "results": [], "rejected": [],'
                ' "best_own": null, "unmet": [{"capability": "payroll", "detail": "x"}]}'
            )
            connection.execute(
                text(
                    "INSERT INTO recommendations (id, created_at, channel, need_text, request,"
                    " interpretation, ranking, unmet, response, catalog_version_id,"
                    " catalog_version, rules_version, engine_version) VALUES ('rec_1',"
                    " '2026-09-08 10:00:00.000000', 'widget', 'payroll please', '{}', '{}',"
                    " '[]', '[]', :response, 1, 'v', 'r', 'e')"
                ),
                {"response": response},
            )
        upgrade(engine)
        with Session(engine) as session:
            (fact,) = session.scalars(select(models.GapFact)).all()
            assert (fact.capability, fact.kind, fact.region, fact.channel) == (
                "payroll",
                "unserved",
                "DE",
                "widget",
            )
            assert fact.week == dt.date(2026, 9, 7)
            assert fact.created_at == dt.datetime(2026, 9, 8, 10, tzinfo=dt.UTC)
    finally:
        engine.dispose()


def test_revision_0004_derives_old_facts_again_with_the_new_kinds(tmp_path: Any) -> None:
    """A fact written as partly_served because ours missed the region, while a competitor
    fits, is served_elsewhere after the upgrade, and leads its kind."""
    engine: Engine = make_engine(f"sqlite:///{tmp_path / 'kinds.db'}")
    try:
        upgrade(engine, "0003")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO catalog_versions (id, catalog_version, rules_version, company,"
                    " documents, rules_texts, content_hash, offering_count, loaded_by,"
                    " loaded_at, note, active) VALUES (1, 'v', 'r', 'c', '{}', '{}', 'h', 0,"
                    " 't', '2026-09-07 00:00:00', '', 1)"
                )
            )
            response = (
                '{"interpreted": {"capabilities": [{"id": "payroll"}], "constraints":'
                ' {"region": "JP"}, "not_understood": []}, "results": [{"offering":'
                ' {"id": "kyuyo-cloud", "relationship": "competitor"}, "coverage":'
                ' [{"capability": "payroll", "status": "full"}]}], "rejected": [],'
                ' "best_own": {"offering_id": "ours", "rank": null, "does_not_meet":'
                ' ["region"]}, "unmet": []}'
            )
            connection.execute(
                text(
                    "INSERT INTO recommendations (id, created_at, channel, need_text, request,"
                    " interpretation, ranking, unmet, response, catalog_version_id,"
                    " catalog_version, rules_version, engine_version) VALUES ('rec_1',"
                    " '2026-09-08 10:00:00.000000', 'api', 'payroll in Japan', '{}', '{}',"
                    " '[]', '[]', :response, 1, 'v', 'r', 'e')"
                ),
                {"response": response},
            )
            connection.execute(
                text(
                    "INSERT INTO gap_facts (recommendation_id, created_at, week, channel,"
                    " catalog_version_id, kind, capability, missed_constraint, lead) VALUES"
                    " ('rec_1', '2026-09-08 10:00:00.000000', '2026-09-07', 'api', 1,"
                    " 'partly_served', 'payroll', 'region', 1)"
                )
            )
        upgrade(engine)
        with Session(engine) as session:
            (fact,) = session.scalars(select(models.GapFact)).all()
            assert (fact.kind, fact.other_offering_id, fact.missed_constraint) == (
                "served_elsewhere",
                "kyuyo-cloud",
                "region",
            )
            assert (fact.lead, fact.kind_lead) == (1, 1)
    finally:
        engine.dispose()


def test_records_written_by_the_outage_buffer_get_their_facts(
    database: Database, session: Session, version_id: int
) -> None:
    """The outage buffer writes (now or after an outage) through store_records: facts follow."""
    response = {
        "interpreted": {"capabilities": [{"id": "payroll"}], "constraints": {},
                        "not_understood": []},
        "results": [], "rejected": [], "best_own": None,
        "unmet": [{"capability": "payroll", "detail": "…"}],
    }  # fmt: skip
    record = {
        column.name: getattr(make_record("rec_buf", START, "widget", version_id), column.name)
        for column in models.RecommendationRecord.__table__.columns
    }
    record["response"] = response
    session.commit()  # the buffer writes in a unit of work of its own
    buffer = RecordBuffer(database, store_records, capacity=10, retry_seconds=60)
    assert buffer.record(record) == "stored"
    with database.session(write=False) as reader:
        kinds = reader.scalars(
            select(models.GapFact.kind).where(models.GapFact.recommendation_id == "rec_buf")
        ).all()
    assert kinds == ["unserved"]
