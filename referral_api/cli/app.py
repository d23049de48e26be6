"""The ``referral`` application and its command groups (each group's commands live in a module
of this package)."""

from __future__ import annotations

import typer

# Plain help (click's formatter), not rich's panels: rich reads "[env …]" in help texts as
# markup and drops it, and labels every flag, --help included, with a "<bool>" type.
PLAIN = None

app = typer.Typer(
    help="Honest Referral: the best fit for a customer's need — ours or not — and why.",
    rich_markup_mode=PLAIN,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
catalog_app = typer.Typer(
    help="Validate and load the curated catalogue.", no_args_is_help=True, rich_markup_mode=PLAIN
)
db_app = typer.Typer(help="The database: migrations.", no_args_is_help=True, rich_markup_mode=PLAIN)
keys_app = typer.Typer(
    help="API keys: create, list, revoke.", no_args_is_help=True, rich_markup_mode=PLAIN
)
records_app = typer.Typer(
    help="Recommendation records: retention.", no_args_is_help=True, rich_markup_mode=PLAIN
)
app.add_typer(catalog_app, name="catalog")
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(records_app, name="records")
