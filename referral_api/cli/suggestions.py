"""``referral suggestions``: phrases customers use that the catalogue does not know yet."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from referral_api.cli.app import app
from referral_api.cli.common import (
    DatabaseOpt,
    actor,
    open_database,
    refuse_options,
    settings_with,
)
from referral_api.errors import InputError, ReferralError

if TYPE_CHECKING:
    from referral_api.schemas.suggestions import SuggestionsPublic


@app.command("suggestions")
def suggestions(
    since: Annotated[
        str | None,
        typer.Option(
            help="Read needs from this time on, ISO 8601 (default: 90 days before until)."
        ),
    ] = None,
    until: Annotated[str | None, typer.Option(help="Window end, ISO 8601 (default: now).")] = None,
    status: Annotated[
        str, typer.Option(help="open (proposed), accepted or rejected (decisions).")
    ] = "open",
    min_support: Annotated[int, typer.Option(help="Fewest needs a phrase must recur in.")] = 2,
    limit: Annotated[int, typer.Option(help="Most suggestions to show (1–200).")] = 50,
    accept: Annotated[
        str | None,
        typer.Option(
            help="Accept this suggestion id: its phrase becomes a synonym in a new "
            "active catalogue version."
        ),
    ] = None,
    reject: Annotated[
        str | None, typer.Option(help="Reject this suggestion id: it is not proposed again.")
    ] = None,
    capability: Annotated[
        str | None, typer.Option(help="With --accept: add it to this capability instead.")
    ] = None,
    phrase: Annotated[
        str | None, typer.Option(help="With --accept: add this wording instead.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the v1 JSON body.")] = False,
    database_url: DatabaseOpt = None,
) -> None:
    """Vocabulary suggestions: phrases of needs not understood, proposed as synonyms of the
    capability they point to, with the evidence (as GET /v1/insights/suggestions)."""
    from pydantic import ValidationError

    from referral_api.schemas.suggestions import (
        SuggestionAccept,
        SuggestionQuery,
        SuggestionsPublic,
        SuggestionStatus,
        decision_public,
        suggestion_public,
    )
    from referral_api.service.catalogue import rebuild
    from referral_api.service.suggestions import (
        accept_suggestion,
        capability_labels_of,
        decisions,
        open_suggestions,
        reject_suggestion,
    )
    from referral_api.store.models import utcnow
    from referral_api.store.repositories import CatalogVersionRepository

    params = {"since": since, "until": until, "status": status, "min_support": min_support,
              "limit": limit}  # fmt: skip
    try:
        query = SuggestionQuery.model_validate({k: v for k, v in params.items() if v is not None})
        body = SuggestionAccept(capability=capability, phrase=phrase)
    except ValidationError as exc:
        refuse_options(exc)
    if accept and reject:
        typer.echo("--accept and --reject: give one of them", err=True)
        raise typer.Exit(2)
    now = utcnow()
    since_at, until_at = query.window(now)
    database = open_database(settings_with(database_url=database_url))
    try:
        with database.session() as session:
            version = CatalogVersionRepository(session).active()
            if version is None:
                typer.echo("no active catalogue version: run `referral catalog load` first",
                           err=True)  # fmt: skip
                raise typer.Exit(1)
            snapshot = rebuild(version)
            labels = capability_labels_of(snapshot.catalog)
            if accept or reject:
                decided = (
                    accept_suggestion(session, accept, actor=actor(), now=now,
                                      capability=body.capability, phrase=body.phrase)
                    if accept
                    else reject_suggestion(session, str(reject), actor=actor(), now=now,
                                           catalog=snapshot.catalog, rules=snapshot.rules)
                )  # fmt: skip
                public = decision_public(decided, labels)
                if as_json:
                    typer.echo(public.model_dump_json(indent=2))
                else:
                    where = f" in catalogue version {public.catalog_version_id}" if accept else ""
                    typer.echo(f"{public.status.value} {public.id}: “{public.phrase}” "
                               f"({public.language}) → {public.capability}{where}")  # fmt: skip
                return
            if query.status is SuggestionStatus.OPEN:
                found = open_suggestions(
                    session, snapshot.catalog, snapshot.rules, since=since_at, until=until_at,
                    min_support=query.min_support, limit=query.limit,
                )  # fmt: skip
                data = [suggestion_public(s, labels) for s in found.suggestions]
                scanned = found.scanned
            else:
                decided_list = decisions(session, status=query.status.value, limit=query.limit)
                data = [decision_public(d, labels) for d in decided_list]
                scanned = 0
    except ReferralError as exc:
        typer.echo(exc.detail, err=True)
        for problem in exc.fields:
            typer.echo(f"  {problem['field']}: {problem['message']}", err=True)
        raise typer.Exit(2 if isinstance(exc, InputError) else 1) from exc
    result = SuggestionsPublic(
        data=data, count=len(data), scanned=scanned, since=since_at, until=until_at
    )
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
    else:
        _print(result)


def _print(result: SuggestionsPublic) -> None:
    typer.echo(
        f"suggestions from {result.scanned} need(s) recorded {result.since:%Y-%m-%d} – "
        f"{result.until:%Y-%m-%d}: {result.count}"
    )
    for item in result.data:
        decided = f"  [{item.status.value} by {item.decided_by}]" if item.decided_by else ""
        typer.echo(
            f"\n{item.id}  “{item.phrase}” ({item.language}) → {item.capability_label} "
            f"[{item.capability}]{decided}"
        )
        typer.echo(
            f"  {item.support} need(s), agreement {item.strength:.0%}, "
            f"{item.from_outcomes} by recorded outcome"
        )
        for example in item.examples:
            typer.echo(f"  e.g. {example[:100]!r}")
    if not result.data:
        typer.echo("nothing to suggest: no phrase recurs in the needs not understood yet")
