"""``referral audit`` and ``referral gaps``: what the recorded recommendations show."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from referral_api.cli.app import app
from referral_api.cli.common import DatabaseOpt, open_database, refuse_options, settings_with
from referral_api.errors import InputError

if TYPE_CHECKING:
    from referral_api.insights.report import GapReport


@app.command("audit")
def audit(
    since: Annotated[
        datetime | None, typer.Option(help="Only records from this time on (ISO 8601).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Most records to re-rank.")] = None,
    database_url: DatabaseOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Self-preference audit: re-rank recorded needs with relationships masked."""
    from referral_api.service.audit import run_audit
    from referral_api.service.engines import default_engine_factory

    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    with open_database(settings_with(database_url=database_url)).session() as session:
        report = run_audit(session, default_engine_factory, since=since, limit=limit)
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        typer.echo(
            f"checked {report.checked}: identical {report.identical}, differing "
            f"{report.differing} (expected 0), skipped {report.skipped}, "
            f"not reproducible {report.not_reproducible}"
        )
        for finding in report.findings:
            typer.echo(
                f"  {finding.recommendation_id}: {' > '.join(finding.ranking)}  masked: "
                f"{' > '.join(finding.masked_ranking)}"
            )
    if report.differing:
        raise typer.Exit(1)


@app.command("gaps")
def gaps(
    since: Annotated[
        str | None, typer.Option(help="Window start, ISO 8601 (default: 28 days before until).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Window end, ISO 8601 (default: now).")] = None,
    channel: Annotated[str | None, typer.Option(help="api, advocate or widget.")] = None,
    segment: Annotated[str | None, typer.Option(help="Customer segment.")] = None,
    region: Annotated[str | None, typer.Option(help="Region code or group.")] = None,
    catalog_version: Annotated[
        int | None, typer.Option(help="Stored catalogue version id.")
    ] = None,
    capability: Annotated[str | None, typer.Option(help="One capability id.")] = None,
    kind: Annotated[
        list[str] | None,
        typer.Option(help="unserved, served_elsewhere, partly_served, not_understood, served."),
    ] = None,
    limit: Annotated[int, typer.Option(help="Most gaps to show (1–200).")] = 50,
    as_csv: Annotated[
        bool, typer.Option("--csv", help="Print CSV (as /v1/insights/gaps.csv).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the v1 JSON body.")] = False,
    rebuild_facts: Annotated[
        bool,
        typer.Option("--rebuild", help="First derive every record's gap facts again."),
    ] = False,
    database_url: DatabaseOpt = None,
) -> None:
    """The gap report: needs our own offerings do not serve, who serves them, how often."""
    from pydantic import ValidationError

    from referral_api.insights.export import gaps_csv
    from referral_api.insights.report import gap_report
    from referral_api.schemas import GapQuery, gaps_public
    from referral_api.service.catalogue import rebuild
    from referral_api.store.models import utcnow
    from referral_api.store.repositories import CatalogVersionRepository, GapFactRepository

    params = {
        "since": since, "until": until, "channel": channel, "segment": segment, "region": region,
        "catalog_version": catalog_version, "capability": capability, "kind": kind or [],
        "limit": limit,
    }  # fmt: skip
    try:
        query = GapQuery.model_validate({k: v for k, v in params.items() if v is not None})
        where = query.to_filter(utcnow())
    except ValidationError as exc:
        refuse_options(exc)
    except InputError as exc:
        for problem in exc.fields:
            typer.echo(f"--{problem['field']}: {problem['message']}", err=True)
        raise typer.Exit(2) from exc
    with open_database(settings_with(database_url=database_url)).session() as session:
        facts = GapFactRepository(session)
        if rebuild_facts:
            records, count = facts.rebuild()
            typer.echo(f"rebuilt {count} gap fact(s) from {records} record(s)", err=True)
        report = gap_report(facts, where, kinds=query.kinds(), limit=query.limit)
        version = CatalogVersionRepository(session).active()
        catalog = rebuild(version).catalog if version is not None else None
        labels = {c.id: c.label for c in catalog.capabilities.values()} if catalog else {}
        names = {o.id: o.name for o in catalog.offerings} if catalog else {}
    if as_csv:
        sys.stdout.write(gaps_csv(report, labels, names))
        return
    if as_json:
        typer.echo(gaps_public(report, labels, names).model_dump_json(indent=2))
        return
    _print_gaps(report, labels, names)


def _print_gaps(report: GapReport, labels: dict[str, str], names: dict[str, str]) -> None:
    from referral_api.insights.gaps import constraint_label

    where = report.where
    typer.echo(
        f"gaps {where.since:%Y-%m-%d %H:%M} – {where.until:%Y-%m-%d %H:%M} UTC: "
        f"{report.needs} need(s), {report.total_gaps} gap(s), {len(report.new_gaps)} new; "
        "counts are needs"
    )
    if not report.gaps:
        typer.echo("no gaps in this window")
        return
    header = f"{'kind':<17} {'capability':<24} {'needs':>6} {'share':>6} {'prev':>5}  details"
    typer.echo(header)
    typer.echo("-" * len(header))
    for gap in report.gaps:
        name = labels.get(gap.capability, gap.capability) if gap.capability else "—"
        details = []
        if gap.served_by:
            details.append(
                "by "
                + ", ".join(
                    f"{names.get(s.name, s.name)} ({s.relationship}) {s.count}"
                    for s in gap.served_by[:3]
                )
            )
        if gap.missed_constraints:
            details.append(
                "misses "
                + ", ".join(
                    f"{constraint_label(s.name)} {s.count}" for s in gap.missed_constraints[:3]
                )
            )
        if gap.examples:
            details.append(f"e.g. {gap.examples[0][:60]!r}")
        new = " new" if gap.is_new else ""
        typer.echo(
            f"{gap.kind.value:<17} {name[:24]:<24} {gap.count:>6} {gap.share:>6.0%} "
            f"{gap.previous_count:>5}{new}  {'; '.join(details)}"
        )
