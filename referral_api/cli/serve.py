"""``referral openapi`` and ``referral serve``: the composed server."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from referral_api.cli.app import app
from referral_api.cli.common import CatalogOpt, RulesOpt, settings_with


@app.command("openapi")
def openapi() -> None:
    """Print the OpenAPI document (committed as openapi/openapi.json)."""
    from referral_api.config import Settings
    from referral_api.server import create_app

    document = create_app(Settings(database_url="sqlite://")).openapi()
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))


@app.command("serve")
def serve(
    database_url: Annotated[str | None, typer.Option(help="[env REFERRAL_DATABASE_URL]")] = None,
    catalog: CatalogOpt = None,
    rules: RulesOpt = None,
    host: Annotated[str | None, typer.Option(help="[env REFERRAL_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="[env REFERRAL_PORT]")] = None,
    allowed_hosts: Annotated[
        str | None,
        typer.Option(
            help="Host names to answer for, comma-separated ('*.example.com', '*'); "
            "others get a 400. [env REFERRAL_ALLOWED_HOSTS]"
        ),
    ] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1)] = 1,
) -> None:
    """Serve the HTTP API (uvicorn); several workers share the database and follow its catalogue."""
    import uvicorn

    from referral_api.server import create_app

    overrides = {
        "database_url": database_url, "catalog_dir": catalog, "rules_dir": rules,
        "host": host, "port": port, "allowed_hosts": allowed_hosts,
    }  # fmt: skip
    settings = settings_with(**overrides)
    if workers == 1:
        uvicorn.run(create_app(settings), host=settings.host, port=settings.port)
        return
    # Workers are new processes that read settings from REFERRAL_*: hand the flags over in an
    # env file uvicorn loads before it starts them.
    with tempfile.NamedTemporaryFile("w", suffix=".env", delete=False) as env_file:
        for name, value in overrides.items():
            if value is not None:
                env_file.write(f"REFERRAL_{name.upper()}={value}\n")
    try:
        uvicorn.run(
            "referral_api.server:app_from_environment",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=workers,
            env_file=env_file.name,
        )
    finally:
        Path(env_file.name).unlink(missing_ok=True)  # it may hold the database password
