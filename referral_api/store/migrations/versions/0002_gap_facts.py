"""Gap facts: one row per (recommendation, capability, gap kind), for the gap report.

Existing records are backfilled from their stored v1 responses (``referral gaps --rebuild``
does the same at any later time).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

from referral_api.insights.gaps import derive_gap_facts
from referral_api.store.records import record_from_row

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
BATCH = 1000


def upgrade() -> None:
    gap_facts = op.create_table(
        "gap_facts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recommendation_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("segment", sa.String(length=40), nullable=True),
        sa.Column("region", sa.String(length=40), nullable=True),
        sa.Column("catalog_version_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("capability", sa.String(length=200), nullable=True),
        sa.Column("term", sa.String(length=200), nullable=True),
        sa.Column("own_offering_id", sa.String(length=200), nullable=True),
        sa.Column("other_offering_id", sa.String(length=200), nullable=True),
        sa.Column("other_relationship", sa.String(length=20), nullable=True),
        sa.Column("missed_constraint", sa.String(length=40), nullable=True),
        sa.Column("coverage", sa.String(length=20), nullable=True),
        sa.Column("lead", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=True),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendations.id"],
            name=op.f("fk_gap_facts_recommendation_id_recommendations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gap_facts")),
    )
    op.create_index(op.f("ix_gap_facts_recommendation_id"), "gap_facts", ["recommendation_id"])
    op.create_index(
        "ix_gap_facts_report",
        "gap_facts",
        ["created_at", "week", "kind", "capability", "other_offering_id", "other_relationship",
         "missed_constraint", "outcome", "lead"],
    )  # fmt: skip
    op.create_index(
        "ix_gap_facts_kind_capability_created_at", "gap_facts", ["kind", "capability", "created_at"]
    )
    _backfill(gap_facts)


def _backfill(gap_facts: sa.Table) -> None:
    """Facts for the records stored before this revision, in batches (keyset on id)."""
    records = sa.table(
        "recommendations",
        sa.column("id", sa.String()),
        sa.column("created_at", TIMESTAMP),
        sa.column("channel", sa.String()),
        sa.column("catalog_version_id", sa.Integer()),
        sa.column("response", sa.JSON()),
    )
    connection = op.get_bind()
    after = ""
    while True:
        rows = (
            connection.execute(
                sa.select(records).where(records.c.id > after).order_by(records.c.id).limit(BATCH)
            )
            .mappings()
            .all()
        )
        if not rows:
            break
        facts: list[dict[str, object]] = []
        for row in rows:
            record = dict(row)
            created_at = record["created_at"]
            if created_at.tzinfo is None:  # SQLite keeps UTC without the offset
                record["created_at"] = created_at.replace(tzinfo=dt.UTC)
            # only this revision's columns: later revisions add some (0004: kind_lead)
            facts.extend(
                {k: v for k, v in fact.as_row().items() if k in gap_facts.c}
                for fact in derive_gap_facts(record_from_row(record))
            )
        if facts:
            connection.execute(sa.insert(gap_facts), facts)
        after = rows[-1]["id"]
    _copy_outcomes()


def _copy_outcomes() -> None:
    op.execute(
        "UPDATE gap_facts SET outcome = (SELECT outcomes.outcome FROM outcomes"
        " WHERE outcomes.recommendation_id = gap_facts.recommendation_id)"
    )


def downgrade() -> None:
    op.drop_table("gap_facts")
