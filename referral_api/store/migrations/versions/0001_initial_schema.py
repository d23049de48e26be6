"""Initial schema: catalogue versions, keys, rate-limit windows, records, outcomes, change log.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copies of the model types: a migration must not change when the models do.
JSON = sa.JSON()
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "catalog_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("catalog_version", sa.String(length=200), nullable=False),
        sa.Column("rules_version", sa.String(length=200), nullable=False),
        sa.Column("company", sa.String(length=200), nullable=False),
        sa.Column("documents", JSON, nullable=False),
        sa.Column("rules_texts", JSON, nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("offering_count", sa.Integer(), nullable=False),
        sa.Column("loaded_by", sa.String(length=200), nullable=False),
        sa.Column("loaded_at", TIMESTAMP, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_versions")),
    )
    op.create_index(op.f("ix_catalog_versions_content_hash"), "catalog_versions", ["content_hash"])
    op.create_index(
        "uq_catalog_versions_active",
        "catalog_versions",
        ["active"],
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("publishable", sa.Boolean(), nullable=False),
        sa.Column("scopes", JSON, nullable=False),
        sa.Column("origins", JSON, nullable=False),
        sa.Column("rate_limit_per_minute", sa.Integer(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("last_used_at", TIMESTAMP, nullable=True),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
    )
    op.create_table(
        "rate_limit_windows",
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("window", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key_id", "window", name=op.f("pk_rate_limit_windows")),
    )
    op.create_table(
        "catalog_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("catalog_version_id", sa.Integer(), nullable=True),
        sa.Column("offering_id", sa.String(length=200), nullable=True),
        sa.Column("detail", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["catalog_version_id"],
            ["catalog_versions.id"],
            name=op.f("fk_catalog_changes_catalog_version_id_catalog_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_changes")),
    )
    op.create_index(op.f("ix_catalog_changes_at"), "catalog_changes", ["at"])
    op.create_table(
        "recommendations",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("api_key_id", sa.String(length=32), nullable=True),
        sa.Column("need_text", sa.Text(), nullable=False),
        sa.Column("request", JSON, nullable=False),
        sa.Column("interpretation", JSON, nullable=False),
        sa.Column("ranking", JSON, nullable=False),
        sa.Column("best_own", JSON, nullable=True),
        sa.Column("unmet", JSON, nullable=False),
        sa.Column("winner_offering_id", sa.String(length=200), nullable=True),
        sa.Column("winner_relationship", sa.String(length=20), nullable=True),
        sa.Column("response", JSON, nullable=False),
        sa.Column("catalog_version_id", sa.Integer(), nullable=False),
        sa.Column("catalog_version", sa.String(length=200), nullable=False),
        sa.Column("rules_version", sa.String(length=200), nullable=False),
        sa.Column("engine_version", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["catalog_version_id"],
            ["catalog_versions.id"],
            name=op.f("fk_recommendations_catalog_version_id_catalog_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendations")),
    )
    op.create_index(
        op.f("ix_recommendations_catalog_version_id"), "recommendations", ["catalog_version_id"]
    )
    op.create_index(op.f("ix_recommendations_created_at"), "recommendations", ["created_at"])
    op.create_table(
        "outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recommendation_id", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("offering_id", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendations.id"],
            name=op.f("fk_outcomes_recommendation_id_recommendations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcomes")),
        sa.UniqueConstraint("recommendation_id", name=op.f("uq_outcomes_recommendation_id")),
    )


def downgrade() -> None:
    op.drop_table("outcomes")
    op.drop_table("recommendations")
    op.drop_table("catalog_changes")
    op.drop_table("rate_limit_windows")
    op.drop_table("api_keys")
    op.drop_table("catalog_versions")
