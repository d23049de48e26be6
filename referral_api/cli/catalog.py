"""``referral catalog validate`` and ``referral catalog load``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from referral_api.cli.app import catalog_app
from referral_api.cli.common import (
    DatabaseOpt,
    RulesOpt,
    actor,
    fail,
    open_database,
    print_problems,
    settings_with,
)
from referral_api.curation import Problem, load_catalog, load_rules
from referral_api.errors import ReferralError


@catalog_app.command("validate")
def catalog_validate(
    directory: Annotated[
        Path | None, typer.Argument(help="Catalogue directory (default: REFERRAL_CATALOG_DIR).")
    ] = None,
    rules: RulesOpt = None,
    all_warnings: Annotated[bool, typer.Option(help="List every warning.")] = False,
) -> None:
    """Check a catalogue and rules; print every problem as file:line: field: message."""
    settings = settings_with(catalog_dir=directory, rules_dir=rules)
    rules_load = load_rules(settings.rules_dir)
    problems = list(rules_load.problems)
    catalog_load = load_catalog(settings.catalog_dir, rules_load.rules)
    problems += [
        Problem(f"{settings.catalog_dir}/{p.file}", p.line, p.field, p.message, p.severity)
        for p in catalog_load.problems
    ]
    print_problems(problems, all_warnings=all_warnings)
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    if errors or rules_load.rules is None or catalog_load.catalog is None:
        typer.echo(f"invalid: {errors} error(s), {warnings} warning(s)", err=True)
        raise typer.Exit(1)
    catalog = catalog_load.catalog
    active = sum(o.active for o in catalog.offerings)
    typer.echo(
        f"ok: {catalog.info.company} catalogue {catalog.info.version}: "
        f"{len(catalog.capabilities)} capabilities, {active} active offerings "
        f"({len(catalog.offerings) - active} retired); {warnings} warning(s)"
    )


@catalog_app.command("load")
def catalog_load(
    directory: Annotated[
        Path | None, typer.Argument(help="Catalogue directory (default: REFERRAL_CATALOG_DIR).")
    ] = None,
    rules: RulesOpt = None,
    database_url: DatabaseOpt = None,
    if_changed: Annotated[
        bool, typer.Option("--if-changed", help="Do nothing when the active version is the same.")
    ] = False,
    note: Annotated[str, typer.Option(help="A note kept with the version.")] = "",
) -> None:
    """Validate, then store as the new active version in one transaction (failure: no change)."""
    from referral_api.curation.snapshot import snapshot_from_dirs
    from referral_api.store.catalogs import store_snapshot
    from referral_api.store.repositories import CatalogVersionRepository

    settings = settings_with(catalog_dir=directory, rules_dir=rules, database_url=database_url)
    try:
        snapshot = snapshot_from_dirs(settings.catalog_dir, settings.rules_dir)
        with open_database(settings).session() as session:
            active = CatalogVersionRepository(session).active()
            if if_changed and active is not None and active.content_hash == snapshot.content_hash:
                typer.echo(f"unchanged: version {active.id} is active")
                return
            version = store_snapshot(
                session, snapshot, actor=actor(), action="load",
                note=note or f"loaded from {settings.catalog_dir}",
            )  # fmt: skip
    except ReferralError as exc:
        fail(exc)
    info = snapshot.catalog.info
    typer.echo(
        f"loaded {info.company} catalogue {info.version} as version {version.id} (active): "
        f"{len(snapshot.catalog.offerings)} offerings, rules {snapshot.rules.version}"
    )
