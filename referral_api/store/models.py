"""Tables, as typed SQLAlchemy 2 models. Schema changes go through Alembic (``migrations/``).

Relationships between rows are loaded explicitly (``lazy="raise"``): a repository that needs
related rows says so in its query, so no request runs surprise queries.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: plain JSON on both backends: PostgreSQL keeps its text as given (JSONB would reorder keys,
#: and the order of rules files and of stored responses is part of what is reproduced)
JSONType = JSON()


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A tz-aware timestamp; SQLite returns naive values, which are UTC by construction."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: timestamps must be timezone-aware")
        return value.astimezone(dt.UTC) if value is not None else None

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UTCDateTime()}


class CatalogVersion(Base):
    """A loaded catalogue and rules, as a snapshot any worker can rebuild. Exactly one is active."""

    __tablename__ = "catalog_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    catalog_version: Mapped[str] = mapped_column(String(200))
    rules_version: Mapped[str] = mapped_column(String(200))
    company: Mapped[str] = mapped_column(String(200))
    #: the catalogue's documents (``catalog_documents``) and the rules files' texts by name
    documents: Mapped[dict[str, Any]] = mapped_column(JSONType)
    rules_texts: Mapped[dict[str, Any]] = mapped_column(JSONType)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    offering_count: Mapped[int] = mapped_column(Integer)
    loaded_by: Mapped[str] = mapped_column(String(200))
    loaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        # "exactly one active", held by the database itself on both backends
        Index(
            "uq_catalog_versions_active",
            "active",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )


class ApiKey(Base):
    """An API key. Only a SHA-256 hash of the secret is stored; ``lookup`` finds the row."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # the public lookup part
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(64))
    publishable: Mapped[bool] = mapped_column(Boolean, default=False)
    scopes: Mapped[list[str]] = mapped_column(JSONType)
    origins: Mapped[list[str]] = mapped_column(JSONType)
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]


class RateLimitWindow(Base):
    """Requests counted per key and fixed one-minute window, shared by every worker."""

    __tablename__ = "rate_limit_windows"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    window: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # epoch minute
    count: Mapped[int] = mapped_column(Integer)


class AuthFailure(Base):
    """Failed authentications per subject (``addr:<client address>`` or ``key:<key id>``) and
    fixed one-minute window, shared by every worker: too many in a window throttle the
    subject until the window ends."""

    __tablename__ = "auth_failures"

    subject: Mapped[str] = mapped_column(String(100), primary_key=True)
    window: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # epoch minute
    count: Mapped[int] = mapped_column(Integer)


class PageSession(Base):
    """A page sign-in (console, gap report). The signed cookie carries its id; every page
    request checks that it has not ended, so signing out ends it on every worker."""

    __tablename__ = "page_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    ended_at: Mapped[dt.datetime | None]


class RecommendationRecord(Base):
    """One answered need: what was asked (redacted), understood, ranked, and under which data."""

    __tablename__ = "recommendations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    channel: Mapped[str] = mapped_column(String(20))
    api_key_id: Mapped[str | None] = mapped_column(String(32))
    need_text: Mapped[str] = mapped_column(Text)
    request: Mapped[dict[str, Any]] = mapped_column(JSONType)  # constraints and limit as asked
    interpretation: Mapped[dict[str, Any]] = mapped_column(JSONType)
    #: [{offering_id, rank, score, relationship}] in rank order
    ranking: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    best_own: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    unmet: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    winner_offering_id: Mapped[str | None] = mapped_column(String(200))
    winner_relationship: Mapped[str | None] = mapped_column(String(20))
    #: the full public response, so that GET explains the decision exactly as it was made
    response: Mapped[dict[str, Any]] = mapped_column(JSONType)
    catalog_version_id: Mapped[int] = mapped_column(ForeignKey("catalog_versions.id"), index=True)
    catalog_version: Mapped[str] = mapped_column(String(200))
    rules_version: Mapped[str] = mapped_column(String(200))
    engine_version: Mapped[str] = mapped_column(String(200))

    outcome: Mapped[Outcome | None] = relationship(
        back_populates="recommendation", lazy="raise", passive_deletes=True
    )


class Outcome(Base):
    """What the customer did after a recommendation; recorded once per recommendation."""

    __tablename__ = "outcomes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recommendation_id: Mapped[str] = mapped_column(
        ForeignKey("recommendations.id", ondelete="CASCADE"), unique=True
    )
    outcome: Mapped[str] = mapped_column(String(30))
    offering_id: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    recommendation: Mapped[RecommendationRecord] = relationship(
        back_populates="outcome", lazy="raise"
    )


class CatalogChange(Base):
    """The audit log of catalogue changes: loads, edits through the API, activations."""

    __tablename__ = "catalog_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    catalog_version_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_versions.id"))
    offering_id: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType)


class GapFact(Base):
    """One (recommendation, capability, gap kind) row: what the gap report counts.

    Written with its record in the same unit of work (see ``insights/gaps.py`` for the kinds);
    the filter columns are copied from the record so that every report is one GROUP BY here.
    """

    __tablename__ = "gap_facts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recommendation_id: Mapped[str] = mapped_column(
        ForeignKey("recommendations.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime]
    #: the Monday of the record's ISO week (UTC), for weekly trends
    week: Mapped[dt.date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(20))
    segment: Mapped[str | None] = mapped_column(String(40))
    region: Mapped[str | None] = mapped_column(String(40))
    catalog_version_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    capability: Mapped[str | None] = mapped_column(String(200))
    term: Mapped[str | None] = mapped_column(String(200))
    own_offering_id: Mapped[str | None] = mapped_column(String(200))
    other_offering_id: Mapped[str | None] = mapped_column(String(200))
    other_relationship: Mapped[str | None] = mapped_column(String(20))
    missed_constraint: Mapped[str | None] = mapped_column(String(40))
    coverage: Mapped[str | None] = mapped_column(String(20))
    #: 1 on one fact per recommendation: ``sum(lead)`` counts needs without a DISTINCT
    lead: Mapped[int] = mapped_column(Integer, default=0)
    #: 1 on one fact per (recommendation, kind): ``sum(kind_lead)`` counts needs of a kind
    kind_lead: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: the recommendation's outcome, copied here when it is recorded (no join to report it)
    outcome: Mapped[str | None] = mapped_column(String(30))

    __table_args__ = (
        # every GROUP BY of the report reads a time range of this index alone (it covers them)
        Index(
            "ix_gap_facts_report",
            "created_at",
            "week",
            "kind",
            "capability",
            "other_offering_id",
            "other_relationship",
            "missed_constraint",
            "outcome",
            "coverage",
            "lead",
            "kind_lead",
        ),
        # examples and clusters: the newest facts of one kind (and capability)
        Index("ix_gap_facts_kind_capability_created_at", "kind", "capability", "created_at"),
    )


class SuggestionDecision(Base):
    """A curator's decision on a vocabulary suggestion (``insights/suggestions.py``): accepted
    (the phrase was added in ``catalog_version_id``) or rejected (hidden from then on)."""

    __tablename__ = "suggestion_decisions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # the suggestion's id
    status: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(8))
    phrase: Mapped[str] = mapped_column(String(200))
    capability: Mapped[str] = mapped_column(String(200))
    decided_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    catalog_version_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_versions.id"))
    #: the evidence as it stood when decided (support, strength, examples)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONType)
