"""``referral keys``: create, list, revoke, and the first start's bootstrap."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from referral_api.cli.app import keys_app
from referral_api.cli.common import DatabaseOpt, fail, open_database, settings_with
from referral_api.errors import NotFound, ReferralError


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who or what uses the key.")],
    scopes: Annotated[str, typer.Option(help="Comma-separated: recommend,advocate,curator,…")],
    origins: Annotated[str, typer.Option(help="Comma-separated allowed origins.")] = "",
    publishable: Annotated[
        bool, typer.Option(help="A widget key (pk_…): scope recommend only, needs origins.")
    ] = False,
    rate_limit: Annotated[
        int | None, typer.Option(help="Requests per minute (default: the setting).")
    ] = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Create a key; the secret is printed once, as the last line."""
    from referral_api.service.keys import create_key

    settings = settings_with(database_url=database_url)
    try:
        with open_database(settings).session() as session:
            created = create_key(
                session,
                name=name,
                scopes=[s for s in scopes.split(",") if s.strip()],
                origins=[o for o in origins.split(",") if o.strip()],
                publishable=publishable,
                rate_limit_per_minute=rate_limit,
            )
    except ReferralError as exc:
        fail(exc)
    key = created.key
    typer.echo(f"created key {key.id} ({key.name}): scopes {','.join(key.scopes)}")
    typer.echo(created.secret)


@keys_app.command("list")
def keys_list(
    all_keys: Annotated[bool, typer.Option("--all", help="Include revoked keys.")] = False,
    database_url: DatabaseOpt = None,
) -> None:
    """List keys (never their secrets)."""
    from referral_api.store.repositories import ApiKeyRepository

    with open_database(settings_with(database_url=database_url)).session() as session:
        for key in ApiKeyRepository(session).list(include_revoked=all_keys):
            state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
            used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never"
            typer.echo(
                f"{key.id}  {key.name}  scopes={','.join(key.scopes)}  "
                f"origins={','.join(key.origins) or '-'}  last used {used}  {state}"
            )


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (the part after rk_/pk_).")],
    database_url: DatabaseOpt = None,
) -> None:
    """Revoke a key; it stops working at once on every worker."""
    from referral_api.store.models import utcnow
    from referral_api.store.repositories import ApiKeyRepository

    with open_database(settings_with(database_url=database_url)).session() as session:
        keys = ApiKeyRepository(session)
        key = keys.get(key_id)
        if key is None:
            fail(NotFound(f"no key {key_id}"))
        keys.revoke(key, utcnow())
    typer.echo(f"revoked {key_id}")


@keys_app.command("bootstrap")
def keys_bootstrap(
    database_url: DatabaseOpt = None,
    host: Annotated[str | None, typer.Option(help="[env REFERRAL_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="[env REFERRAL_PORT]")] = None,
) -> None:
    """On first start (no keys at all): create a local admin key and print a curl to try; on
    later starts, print where the console and the widget demo are and how to get a key."""
    from referral_api.service.keys import create_key
    from referral_api.store.models import utcnow
    from referral_api.store.repositories import ApiKeyRepository

    settings = settings_with(database_url=database_url, host=host, port=port)
    base = f"http://{settings.host}:{settings.port}"
    with open_database(settings).session() as session:
        keys = ApiKeyRepository(session)
        first_start = not keys.has_active()
        if first_start:
            created = create_key(session, name="local admin", scopes=["admin"])
        # The widget demo page is served by this server: a publishable key for its own origin.
        # Only a hash of a key is kept, so a later start replaces the demo key it made before
        # (and makes none where there was none: a database set up otherwise keeps its keys).
        demo_keys = [
            key
            for key in keys.list()
            if key.name == WIDGET_DEMO_KEY and key.publishable and list(key.origins) == [base]
        ]
        for old in demo_keys:
            keys.revoke(old, utcnow())
        widget = None
        if first_start or demo_keys:
            widget = create_key(
                session, name=WIDGET_DEMO_KEY, scopes=["recommend"], publishable=True,
                origins=[base],
            )  # fmt: skip
    referral = _program()
    if first_start:
        url = f"{base}/v1/recommendations"
        body = '{"need": "I need to send invoices and accept card payments, on my iPhone"}'
        typer.echo("First start: created a local admin key (shown once; keep it safe).")
        typer.echo(f"  REFERRAL_KEY={created.secret}")
        typer.echo(f"Advocate console: {base}/console (sign in with that key)")
    else:
        typer.echo("Keys exist (a key's secret is shown only when it is made).")
        typer.echo(f"Advocate console: {base}/console (sign in with an admin or advocate key)")
    if widget is not None:
        renewed = "" if first_start else " (a new demo key; the previous one is revoked)"
        typer.echo(f"Support widget demo: {base}/widget-demo?key={widget.secret}{renewed}")
    if first_start:
        typer.echo("Try the API:")
        typer.echo(
            f"  curl -s {url} -H 'Authorization: Bearer {created.secret}' "
            f"-H 'Content-Type: application/json' -d '{body}'"
        )
    else:
        typer.echo(
            f"A new key (its secret is the last line): {referral} keys create --name me "
            "--scopes admin"
        )


#: the name of the publishable key the first start makes for the widget demo page
WIDGET_DEMO_KEY = "local widget demo"


def _program() -> str:
    """How this command was called (``.venv/bin/referral`` from ``make run``), to print commands
    that work as pasted."""
    called = sys.argv[0] if sys.argv else ""
    return called if Path(called).name == "referral" else "referral"
