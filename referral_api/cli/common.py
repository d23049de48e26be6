"""What the commands share: the common options, settings, problems and failures."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from referral_api.config import Settings, load_settings
from referral_api.curation import Problem, load_catalog, load_rules
from referral_api.domain import Catalog, Rules
from referral_api.errors import ReferralError

if TYPE_CHECKING:
    from pydantic import ValidationError

    from referral_api.store.db import Database

CatalogOpt = Annotated[
    Path | None, typer.Option("--catalog", help="Catalogue directory [env REFERRAL_CATALOG_DIR].")
]
RulesOpt = Annotated[
    Path | None, typer.Option("--rules", help="Rules directory [env REFERRAL_RULES_DIR].")
]
DatabaseOpt = Annotated[
    str | None, typer.Option("--database-url", help="[env REFERRAL_DATABASE_URL]")
]


def settings_with(**overrides: object) -> Settings:
    """The settings, with the flags given on the command line over the environment."""
    return load_settings(**overrides)


WARNINGS_PER_KIND = 5


def print_problems(problems: list[Problem], *, all_warnings: bool = False) -> None:
    """Every error; warnings too, but at most a few of each kind unless asked for all."""
    shown: dict[str, int] = {}
    for problem in problems:
        kind = problem.field.split(".", 1)[-1]
        shown[kind] = shown.get(kind, 0) + (not problem.is_error)
        if problem.is_error or all_warnings or shown[kind] <= WARNINGS_PER_KIND:
            typer.echo(str(problem), err=True)
    for kind, count in shown.items():
        if not all_warnings and count > WARNINGS_PER_KIND:
            typer.echo(
                f"… and {count - WARNINGS_PER_KIND} more '{kind}' warnings (--all-warnings)",
                err=True,
            )


def load_engine_inputs(catalog: Path | None, rules: Path | None) -> tuple[Catalog, Rules]:
    """The catalogue and rules from files, or a message naming every problem and exit 1."""
    settings = settings_with(catalog_dir=catalog, rules_dir=rules)
    rules_load = load_rules(settings.rules_dir)
    if rules_load.rules is None:
        print_problems(list(rules_load.problems))
        raise typer.Exit(1)
    catalog_load = load_catalog(settings.catalog_dir, rules_load.rules)
    if catalog_load.catalog is None:
        print_problems(
            [
                Problem(f"{settings.catalog_dir}/{p.file}", p.line, p.field, p.message, p.severity)
                for p in catalog_load.errors
            ]
        )
        raise typer.Exit(1)
    return catalog_load.catalog, rules_load.rules


def open_database(settings: Settings) -> Database:
    from referral_api.store.db import Database

    return Database.from_url(settings.database_url)


def actor() -> str:
    return f"cli:{getpass.getuser()}"


def fail(error: ReferralError) -> NoReturn:
    typer.echo(f"error: {error.detail}", err=True)
    for field in error.fields:
        where = f"{field['at']}: " if field.get("at") else ""
        typer.echo(f"  {where}{field['field']}: {field['message']}", err=True)
    raise typer.Exit(1)


def refuse_options(exc: ValidationError) -> NoReturn:
    """Options that fail a query's validation, each named as its option ("--min-support: …");
    exit 2 as click does for a bad option."""
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "query"
        typer.echo(f"--{field.replace('_', '-')}: {error['msg']}", err=True)
    raise typer.Exit(2) from exc
