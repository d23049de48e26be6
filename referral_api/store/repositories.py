"""Repositories: the only place with SQL. Bound to a session; they flush, never commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Executable,
    Table,
    bindparam,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from referral_api.domain import RecommendationRecord as DomainRecord
from referral_api.errors import Conflict
from referral_api.insights.clusters import NeedReading
from referral_api.insights.gaps import GapKind, derive_gap_facts
from referral_api.insights.report import (
    NO_OUTCOME,
    GapCount,
    GapFilter,
    KindCount,
    WeekCount,
    sort_rows,
)
from referral_api.store.db import Database
from referral_api.store.models import (
    ApiKey,
    AuthFailure,
    Base,
    CatalogChange,
    CatalogVersion,
    GapFact,
    Outcome,
    PageSession,
    RateLimitWindow,
    RecommendationRecord,
    utcnow,
)
from referral_api.store.records import record_from_row


def _table(model: type[Base]) -> Table:
    """A model's table, for Core statements (no ORM bookkeeping on hot paths)."""
    return model.metadata.tables[model.__tablename__]


class Repository:
    def __init__(self, session: Session) -> None:
        self.session = session


#: the PostgreSQL advisory lock that serialises catalogue changes (any 64-bit number of ours)
CATALOG_CHANGE_LOCK = 0x5245_4643_4154  # "REFCAT"


class CatalogVersionRepository(Repository):
    """Catalogue snapshots; exactly one is active (a partial unique index holds it)."""

    def lock_changes(self) -> None:
        """Wait for, then hold until this unit ends, the right to change the active version.

        Taken before the active version is read, so that a change is made on top of every
        change committed before it (PostgreSQL's READ COMMITTED reads each statement afresh
        once the lock is held). PostgreSQL: a transaction-level advisory lock, released by
        COMMIT or ROLLBACK, on every worker and machine. SQLite needs nothing more: write
        units begin with ``BEGIN IMMEDIATE`` and so hold the database's one write lock from
        their first statement (``store.db``), across processes too.
        """
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(select(func.pg_advisory_xact_lock(CATALOG_CHANGE_LOCK)))

    def active(self) -> CatalogVersion | None:
        return self.session.scalars(select(CatalogVersion).where(CatalogVersion.active)).first()

    def active_id(self) -> int | None:
        return self.session.scalars(select(CatalogVersion.id).where(CatalogVersion.active)).first()

    def get(self, version_id: int) -> CatalogVersion | None:
        return self.session.get(CatalogVersion, version_id)

    def list(self, *, limit: int = 50) -> Sequence[CatalogVersion]:
        query = select(CatalogVersion).order_by(CatalogVersion.id.desc()).limit(limit)
        return self.session.scalars(query).all()

    def count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(CatalogVersion)) or 0

    def add_active(self, version: CatalogVersion) -> CatalogVersion:
        """Store ``version`` as the active one, deactivating the previous one, in this unit."""
        self._deactivate_all()
        version.active = True
        self.session.add(version)
        self._flush_or_conflict()
        return version

    def activate(self, version: CatalogVersion) -> None:
        self._deactivate_all()
        version.active = True
        self._flush_or_conflict()

    def _deactivate_all(self) -> None:
        self.session.execute(
            update(CatalogVersion).where(CatalogVersion.active).values(active=False)
        )

    def _flush_or_conflict(self) -> None:
        try:
            with self.session.begin_nested():
                self.session.flush()
        except IntegrityError as exc:
            raise Conflict("another catalogue version was activated at the same time") from exc


class CatalogChangeRepository(Repository):
    """The audit log of catalogue changes."""

    def record(
        self,
        *,
        actor: str,
        action: str,
        version_id: int | None,
        offering_id: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> CatalogChange:
        change = CatalogChange(
            actor=actor,
            action=action,
            catalog_version_id=version_id,
            offering_id=offering_id,
            detail=detail or {},
            at=utcnow(),
        )
        self.session.add(change)
        self.session.flush()
        return change

    def list(self, *, limit: int = 100) -> Sequence[CatalogChange]:
        query = select(CatalogChange).order_by(CatalogChange.id.desc()).limit(limit)
        return self.session.scalars(query).all()


_KEY_BY_ID = select(_table(ApiKey)).where(_table(ApiKey).c.id == bindparam("key_id"))


def read_key(database: Database, key_id: str) -> ApiKey | None:
    """The key's facts as they are in the database now, detached: read on every authenticated
    request, so one Core statement on its own (:meth:`Database.read_row`), no ORM load."""
    row = database.read_row(_KEY_BY_ID, {"key_id": key_id})
    return ApiKey(**row._mapping) if row is not None else None


_AUTH_FAILURES = _table(AuthFailure)
_ONE = select(literal(1).label("one")).subquery("one")
_KEY_AND_FAILURES = select(
    _table(ApiKey),
    select(func.max(_AUTH_FAILURES.c.count))
    .where(
        _AUTH_FAILURES.c.window == bindparam("window"),
        or_(
            _AUTH_FAILURES.c.subject == bindparam("address"),
            _AUTH_FAILURES.c.subject == bindparam("key_subject"),
        ),
    )
    .scalar_subquery()
    .label("auth_failures"),
).select_from(_ONE.outerjoin(_table(ApiKey), _table(ApiKey).c.id == bindparam("key_id")))


def read_key_and_failures(
    database: Database, key_id: str, *, window: int, address: str, key_subject: str
) -> tuple[ApiKey | None, int]:
    """The key (as :func:`read_key`) and the most failed authentications of ``address`` or
    ``key_subject`` in ``window``, in one statement: the success path of a bearer check costs
    the same single round trip as before failures were counted."""
    parameters = {
        "key_id": key_id, "window": window, "address": address, "key_subject": key_subject,
    }  # fmt: skip
    row = database.read_row(_KEY_AND_FAILURES, parameters)
    if row is None:  # pragma: no cover - the outer join always yields one row
        return None, 0
    values = dict(row._mapping)
    failures = int(values.pop("auth_failures") or 0)
    return (ApiKey(**values) if values["id"] is not None else None), failures


class AuthFailureRepository(Repository):
    """Failed authentications per subject and fixed window, counted atomically."""

    def hit(self, subjects: Sequence[str], window: int) -> None:
        """Count one more failure for each of ``subjects`` in ``window``."""
        keys = [AuthFailure.subject, AuthFailure.window]
        for subject in subjects:
            values = {"subject": subject, "window": window, "count": 1}
            increment = {"count": AuthFailure.count + 1}
            upsert: Executable
            if self.session.get_bind().dialect.name == "postgresql":
                upsert = (
                    pg_insert(AuthFailure)
                    .values(values)
                    .on_conflict_do_update(index_elements=keys, set_=increment)
                )
            else:
                upsert = (
                    sqlite_insert(AuthFailure)
                    .values(values)
                    .on_conflict_do_update(index_elements=keys, set_=increment)
                )
            self.session.execute(upsert)

    def purge_before(self, window: int) -> int:
        result = self.session.execute(delete(AuthFailure).where(AuthFailure.window < window))
        return int(result.rowcount)  # type: ignore[attr-defined]


_SESSION_BY_ID = select(_table(PageSession)).where(_table(PageSession).c.id == bindparam("id"))


def read_page_session_row(database: Database, session_id: str) -> PageSession | None:
    """A page session as it is in the database now (one statement, like :func:`read_key`)."""
    row = database.read_row(_SESSION_BY_ID, {"id": session_id})
    return PageSession(**row._mapping) if row is not None else None


class PageSessionRepository(Repository):
    def start(
        self, session_id: str, key_id: str, *, now: dt.datetime, expires_at: dt.datetime
    ) -> None:
        self.session.add(
            PageSession(id=session_id, key_id=key_id, created_at=now, expires_at=expires_at)
        )
        self.session.flush()

    def end(self, session_id: str, now: dt.datetime) -> None:
        self.session.execute(
            update(PageSession)
            .where(PageSession.id == session_id, PageSession.ended_at.is_(None))
            .values(ended_at=now)
        )

    def purge_before(self, before: dt.datetime) -> int:
        """Delete sessions that expired before ``before``; how many."""
        result = self.session.execute(delete(PageSession).where(PageSession.expires_at < before))
        return int(result.rowcount)  # type: ignore[attr-defined]


class ApiKeyRepository(Repository):
    def add(self, key: ApiKey) -> ApiKey:
        self.session.add(key)
        self.session.flush()
        return key

    def get(self, key_id: str) -> ApiKey | None:
        return self.session.get(ApiKey, key_id)

    def list(self, *, include_revoked: bool = False) -> Sequence[ApiKey]:
        query = select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)
        if not include_revoked:
            query = query.where(ApiKey.revoked_at.is_(None))
        return self.session.scalars(query).all()

    def has_active(self) -> bool:
        query = select(ApiKey.id).where(ApiKey.revoked_at.is_(None)).limit(1)
        return self.session.scalars(query).first() is not None

    def allowed_origins(self) -> set[str]:
        """Every origin some active key allows (CORS preflights carry no key)."""
        query = select(ApiKey.origins).where(ApiKey.revoked_at.is_(None))
        return {origin for origins in self.session.scalars(query) for origin in origins}

    def mark_used(self, key_id: str, now: dt.datetime) -> None:
        """Record that the key was used (callers do it at most once a minute per worker)."""
        self.session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))

    def revoke(self, key: ApiKey, now: dt.datetime) -> None:
        if key.revoked_at is None:
            key.revoked_at = now
            self.session.flush()


class RateLimitRepository(Repository):
    """Fixed-window counters, incremented atomically so that every worker sees the same count."""

    def hit(self, key_id: str, window: int, requests: int = 1) -> int:
        """Count ``requests`` more in ``window``, atomically; the count including them."""
        values = {"key_id": key_id, "window": window, "count": requests}
        keys = [RateLimitWindow.key_id, RateLimitWindow.window]
        increment = {"count": RateLimitWindow.count + requests}
        upsert: Executable
        if self.session.get_bind().dialect.name == "postgresql":
            pg = pg_insert(RateLimitWindow).values(values)
            upsert = pg.on_conflict_do_update(index_elements=keys, set_=increment).returning(
                RateLimitWindow.count
            )
        else:
            lite = sqlite_insert(RateLimitWindow).values(values)
            upsert = lite.on_conflict_do_update(index_elements=keys, set_=increment).returning(
                RateLimitWindow.count
            )
        return int(self.session.execute(upsert).scalar_one())

    def purge_before(self, window: int) -> int:
        result = self.session.execute(
            delete(RateLimitWindow).where(RateLimitWindow.window < window)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


class RecommendationRepository(Repository):
    def add_values(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Insert records given as column values, in one statement (the hot path of every
        recommendation: no ORM objects, one round trip for a whole batch)."""
        if records:
            self.session.execute(insert(_table(RecommendationRecord)), list(records))

    def get(self, record_id: str) -> RecommendationRecord | None:
        query = (
            select(RecommendationRecord)
            .where(RecommendationRecord.id == record_id)
            .options(selectinload(RecommendationRecord.outcome))
        )
        return self.session.scalars(query).first()

    def since(
        self, since: dt.datetime | None, *, limit: int | None = None
    ) -> Iterator[RecommendationRecord]:
        """Records oldest first, from ``since`` on."""
        query = select(RecommendationRecord).order_by(
            RecommendationRecord.created_at, RecommendationRecord.id
        )
        if since is not None:
            query = query.where(RecommendationRecord.created_at >= since)
        if limit is not None:
            query = query.limit(limit)
        yield from self.session.scalars(query)

    def recent(
        self, *, key_id: str, channel: str, since: dt.datetime, limit: int = 20
    ) -> Sequence[RecommendationRecord]:
        """A key's records on one channel from ``since`` on, newest first, with outcomes."""
        query = (
            select(RecommendationRecord)
            .where(
                RecommendationRecord.api_key_id == key_id,
                RecommendationRecord.channel == channel,
                RecommendationRecord.created_at >= since,
            )
            .order_by(RecommendationRecord.created_at.desc(), RecommendationRecord.id.desc())
            .limit(limit)
            .options(selectinload(RecommendationRecord.outcome))
        )
        return self.session.scalars(query).all()

    def purge_before(self, before: dt.datetime) -> int:
        """Delete records (and their outcomes) created before ``before``; how many."""
        old = select(RecommendationRecord.id).where(RecommendationRecord.created_at < before)
        self.session.execute(delete(Outcome).where(Outcome.recommendation_id.in_(old)))
        self.session.execute(delete(GapFact).where(GapFact.created_at < before))
        result = self.session.execute(
            delete(RecommendationRecord).where(RecommendationRecord.created_at < before)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


class OutcomeRepository(Repository):
    def get_for(self, record_id: str) -> Outcome | None:
        query = select(Outcome).where(Outcome.recommendation_id == record_id)
        return self.session.scalars(query).first()

    def add(self, outcome: Outcome) -> Outcome:
        """Record an outcome; :class:`Conflict` when the recommendation already has one."""
        if self.get_for(outcome.recommendation_id) is not None:
            raise Conflict(f"recommendation {outcome.recommendation_id} already has an outcome")
        try:
            with self.session.begin_nested():
                self.session.add(outcome)
                self.session.flush()
        except IntegrityError as exc:  # recorded concurrently by another request
            raise Conflict(
                f"recommendation {outcome.recommendation_id} already has an outcome"
            ) from exc
        GapFactRepository(self.session).set_outcome(outcome.recommendation_id, outcome.outcome)
        return outcome


class GapFactRepository(Repository):
    """Gap facts (``insights/gaps.py``) and the report's aggregations: every count is a
    GROUP BY in the database over the indexed ``(created_at, kind, capability)`` columns."""

    def add_for_all(self, records: Sequence[DomainRecord]) -> int:
        """Write the facts of several records in one statement; how many facts."""
        rows = [fact.as_row() for record in records for fact in derive_gap_facts(record)]
        if rows:
            self.session.execute(insert(_table(GapFact)), rows)
        return len(rows)

    def rebuild(self, *, batch: int = 1000) -> tuple[int, int]:
        """Derive every record's facts again (records, facts); for records made before
        gap facts existed, or after the derivation changed."""
        self.session.execute(delete(GapFact))
        records = facts = 0
        after = ""
        while True:
            query = (
                select(*_table(RecommendationRecord).columns)
                .where(RecommendationRecord.id > after)
                .order_by(RecommendationRecord.id)
                .limit(batch)
            )
            rows = self.session.execute(query).mappings().all()
            if not rows:
                break
            values = [
                f.as_row() for row in rows for f in derive_gap_facts(record_from_row(dict(row)))
            ]
            if values:
                self.session.execute(insert(GapFact), values)
            records += len(rows)
            facts += len(values)
            after = rows[-1]["id"]
        recorded = (
            select(Outcome.outcome)
            .where(Outcome.recommendation_id == GapFact.recommendation_id)
            .scalar_subquery()
        )
        self.session.execute(update(GapFact).values(outcome=recorded))
        return records, facts

    @staticmethod
    def _where(where: GapFilter) -> list[ColumnElement[bool]]:
        conditions = [GapFact.created_at >= where.since, GapFact.created_at < where.until]
        equal = (
            (GapFact.channel, where.channel),
            (GapFact.segment, where.segment),
            (GapFact.region, where.region),
            (GapFact.catalog_version_id, where.catalog_version_id),
            (GapFact.capability, where.capability),
        )
        conditions.extend(column == value for column, value in equal if value is not None)
        return conditions

    def _room_to_aggregate(self) -> None:
        """On PostgreSQL, let this transaction's GROUP BYs hash in memory: with the default
        4 MB they sort on disk, several times slower (see bench/insights_bench.py)."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("SET LOCAL work_mem = '64MB'"))

    def counts(self, where: GapFilter) -> list[GapCount]:
        """Facts by capability, kind, who serves it instead, which constraint we miss, how
        the story ended and the coverage (for not_understood: whole or part), with the number
        of needs among them (``sum(lead)``)."""
        self._room_to_aggregate()
        keys = (
            GapFact.capability,
            GapFact.kind,
            GapFact.other_offering_id,
            GapFact.other_relationship,
            GapFact.missed_constraint,
            func.coalesce(GapFact.outcome, NO_OUTCOME),
            GapFact.coverage,
        )
        query = (
            select(*keys, func.count(), func.sum(GapFact.lead))
            .where(*self._where(where))
            .group_by(*keys)
        )
        return sort_rows(
            GapCount(*row[:8], int(row[8] or 0)) for row in self.session.execute(query)
        )

    def kinds(self, where: GapFilter) -> list[KindCount]:
        """Facts by capability and kind."""
        self._room_to_aggregate()
        keys = (GapFact.capability, GapFact.kind)
        query = select(*keys, func.count()).where(*self._where(where)).group_by(*keys)
        return sort_rows(KindCount(*row) for row in self.session.execute(query))

    def weekly(self, where: GapFilter) -> list[WeekCount]:
        """Facts by ISO week (its Monday), capability and kind, with the sum of their
        ``kind_lead`` (needs per week and kind come from these rows: ``needs_per_week``)."""
        self._room_to_aggregate()
        keys = (GapFact.week, GapFact.capability, GapFact.kind)
        query = (
            select(*keys, func.count(), func.sum(GapFact.kind_lead))
            .where(*self._where(where))
            .group_by(*keys)
        )
        return sort_rows(
            WeekCount(*row[:4], int(row[4] or 0)) for row in self.session.execute(query)
        )

    def set_outcome(self, recommendation_id: str, outcome: str) -> None:
        """Copy a recorded outcome onto the recommendation's facts."""
        self.session.execute(
            update(GapFact)
            .where(GapFact.recommendation_id == recommendation_id)
            .values(outcome=outcome)
        )

    def examples(
        self, where: GapFilter, capability: str | None, kind: GapKind, *, limit: int = 3
    ) -> list[str]:
        """The newest need texts behind one gap (already redacted when they were stored)."""
        query = (
            select(RecommendationRecord.need_text)
            .join(GapFact, GapFact.recommendation_id == RecommendationRecord.id)
            .where(*self._where(where), GapFact.kind == kind.value)
            .where(
                GapFact.capability.is_(None)
                if capability is None
                else GapFact.capability == capability
            )
            .order_by(GapFact.created_at.desc(), GapFact.id.desc())
            .limit(limit * 3)
        )
        needs: list[str] = []
        for need in self.session.scalars(query):
            if need not in needs:
                needs.append(need)
        return needs[:limit]

    def readings(self, where: GapFilter, kind: GapKind, *, limit: int = 2000) -> list[NeedReading]:
        """What the engine read in the newest needs (at most ``limit`` facts) with a gap of
        ``kind``, one reading per need: its capabilities of that kind, the phrases nothing
        understood, the missed must-have, its language and the customer's (redacted) words."""
        newest = (
            select(
                GapFact.recommendation_id,
                GapFact.capability,
                GapFact.term,
                GapFact.missed_constraint,
                GapFact.coverage,
            )
            .where(*self._where(where), GapFact.kind == kind.value)
            .order_by(GapFact.created_at.desc(), GapFact.id.desc())
            .limit(limit)
            .subquery()
        )
        query = select(
            newest,
            RecommendationRecord.need_text,
            RecommendationRecord.interpretation,
        ).join(RecommendationRecord, RecommendationRecord.id == newest.c.recommendation_id)
        gathered: dict[str, dict[str, Any]] = {}
        rows = self.session.execute(query)
        for rec_id, capability, term, missed, coverage, need_text, interpretation in rows:
            need = gathered.setdefault(
                rec_id,
                {
                    "text": need_text or "",
                    "language": str((interpretation or {}).get("language") or "en"),
                    "capabilities": [],
                    "phrases": [],
                    "missed": None,
                    "in_part": coverage == "part",
                },
            )
            if capability and capability not in need["capabilities"]:
                need["capabilities"].append(capability)
            if term:
                need["phrases"].extend(p for p in term.split(" … ") if p)
            need["missed"] = need["missed"] or missed
        return [
            NeedReading(
                kind=kind.value,
                text=need["text"],
                language=need["language"],
                capabilities=tuple(sorted(need["capabilities"])),
                phrases=tuple(need["phrases"]),
                missed=need["missed"],
                in_part=need["in_part"],
            )
            for need in gathered.values()
        ]
