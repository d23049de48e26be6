"""Gap facts derived again with the corrected kinds, and ``kind_lead`` to count needs per kind.

The kinds changed (issue 18): a capability whose covering offerings all fail a must-have is
``unserved`` (it was ``partly_served`` whenever our own offering failed one), a competitor's
fit where ours fails a must-have is ``served_elsewhere``, and a not-understood fact says
whether the whole ask or a part of it was not understood (the report index now holds the
coverage column, so the report tells the two apart). ``kind_lead`` is 1 on one fact per
(recommendation, kind), so that the weekly trend sums needs, not facts, from the covering
index alone. Every record's facts are derived again here (``referral gaps --rebuild`` does
the same at any later time).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

from referral_api.insights.gaps import derive_gap_facts
from referral_api.store.records import record_from_row

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
BATCH = 1000
REPORT_COLUMNS = ["created_at", "week", "kind", "capability", "other_offering_id",
                  "other_relationship", "missed_constraint", "outcome", "lead"]  # fmt: skip


def upgrade() -> None:
    op.add_column(
        "gap_facts", sa.Column("kind_lead", sa.Integer(), nullable=False, server_default="0")
    )
    op.drop_index("ix_gap_facts_report", table_name="gap_facts")
    # the report's GROUP BY now splits by coverage too (not understood: whole or in part)
    op.create_index(
        "ix_gap_facts_report",
        "gap_facts",
        [*REPORT_COLUMNS[:-1], "coverage", "lead", "kind_lead"],
    )
    _derive_again()


def _derive_again() -> None:
    """Every record's facts again, in batches (keyset on id), then the outcomes copied."""
    gap_facts = sa.table("gap_facts", *(sa.column(name) for name in _FACT_COLUMNS))
    records = sa.table(
        "recommendations",
        sa.column("id", sa.String()),
        sa.column("created_at", TIMESTAMP),
        sa.column("channel", sa.String()),
        sa.column("catalog_version_id", sa.Integer()),
        sa.column("need_text", sa.Text()),
        sa.column("response", sa.JSON()),
    )
    connection = op.get_bind()
    connection.execute(sa.delete(gap_facts))
    after = ""
    while True:
        query = sa.select(records).where(records.c.id > after).order_by(records.c.id)
        rows = connection.execute(query.limit(BATCH)).mappings().all()
        if not rows:
            break
        facts: list[dict[str, object]] = []
        for row in rows:
            record = dict(row)
            created_at = record["created_at"]
            if created_at.tzinfo is None:  # SQLite keeps UTC without the offset
                record["created_at"] = created_at.replace(tzinfo=dt.UTC)
            for fact in derive_gap_facts(record_from_row(record)):
                values = fact.as_row()
                facts.append({name: values[name] for name in _FACT_COLUMNS})
        if facts:
            connection.execute(sa.insert(gap_facts), facts)
        after = rows[-1]["id"]
    op.execute(
        "UPDATE gap_facts SET outcome = (SELECT outcomes.outcome FROM outcomes"
        " WHERE outcomes.recommendation_id = gap_facts.recommendation_id)"
    )


_FACT_COLUMNS = ("recommendation_id", "created_at", "week", "channel", "segment", "region",
                 "catalog_version_id", "kind", "capability", "term", "own_offering_id",
                 "other_offering_id", "other_relationship", "missed_constraint", "coverage",
                 "lead", "kind_lead", "outcome")  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_gap_facts_report", table_name="gap_facts")
    op.create_index("ix_gap_facts_report", "gap_facts", REPORT_COLUMNS)
    with op.batch_alter_table("gap_facts") as batch:
        batch.drop_column("kind_lead")
