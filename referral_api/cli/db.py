"""``referral db upgrade`` and ``referral records purge``."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from referral_api.cli.app import db_app, records_app
from referral_api.cli.common import DatabaseOpt, open_database, settings_with


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseOpt = None) -> None:
    """Create or migrate the database schema to the newest version."""
    from referral_api.store.migrate import upgrade

    database = open_database(settings_with(database_url=database_url))
    upgrade(database.engine)
    typer.echo(f"database at the newest schema ({database.backend})")


@records_app.command("purge")
def records_purge(
    older_than_days: Annotated[
        int | None, typer.Option(help="Default: REFERRAL_RETENTION_DAYS.")
    ] = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Delete recommendation records (and outcomes) older than the retention period."""
    from referral_api.store.models import utcnow
    from referral_api.store.repositories import (
        AuthFailureRepository,
        PageSessionRepository,
        RateLimitRepository,
        RecommendationRepository,
    )

    settings = settings_with(database_url=database_url)
    days = settings.retention_days if older_than_days is None else older_than_days
    if days <= 0:
        typer.echo("retention is 0 (keep forever): nothing purged")
        return
    now = utcnow()
    with open_database(settings).session() as session:
        removed = RecommendationRepository(session).purge_before(now - timedelta(days=days))
        RateLimitRepository(session).purge_before(int(now.timestamp()) // 60 - 60)
        AuthFailureRepository(session).purge_before(int(now.timestamp()) // 60 - 60)
        PageSessionRepository(session).purge_before(now)
    typer.echo(f"purged {removed} record(s) older than {days} day(s)")
