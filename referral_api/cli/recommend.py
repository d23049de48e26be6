"""``referral recommend`` and ``referral batch`` (with ``--record``, a backlog of needs)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from referral_api.cli.app import app
from referral_api.cli.common import (
    CatalogOpt,
    RulesOpt,
    load_engine_inputs,
    open_database,
    settings_with,
)
from referral_api.domain import Constraints, Need, Recommendation
from referral_api.domain.constraint_kinds import CONSTRAINT_KINDS
from referral_api.errors import InputError, ReferralError

if TYPE_CHECKING:
    from referral_api.schemas import RecommendationCreate


def _constraint_words(constraints: Constraints) -> list[str]:
    words = []
    for kind in CONSTRAINT_KINDS:
        name, value = kind.field, getattr(constraints, kind.field)
        if value in (None, ()):
            continue
        shown = ", ".join(str(v) for v in value) if isinstance(value, tuple) else str(value)
        if name == "budget_monthly" and constraints.currency:
            shown += f" {constraints.currency}"
        soft = " (preference)" if not kind.hard or constraints.is_soft(name) or (
            isinstance(value, tuple) and all(constraints.is_soft(name, v) for v in value)
        ) else ""  # fmt: skip
        words.append(f"{kind.label} {shown}{soft}")
    return words


def _print_recommendation(rec: Recommendation) -> None:
    interpretation = rec.interpretation
    caps = ", ".join(
        f"{c.id} ({c.confidence:.2f} “{c.matched}”)" for c in interpretation.capabilities
    )
    typer.echo(f"understood: {caps or 'no capability'}")
    if words := _constraint_words(interpretation.constraints):
        typer.echo(f"constraints: {'; '.join(words)}")
    if interpretation.not_understood:
        typer.echo(f"not understood: {'; '.join(interpretation.not_understood)}")
    if interpretation.language != "en":
        typer.echo(f"read in: {interpretation.language}")
    if interpretation.suggestions:
        nearest = ", ".join(cap_id for cap_id, _ in interpretation.suggestions)
        typer.echo(f"did you mean: {nearest}")
    typer.echo(rec.summary)
    for fit in rec.results:
        who = fit.offering.relationship.value
        typer.echo(f"\n{fit.rank:>2}. {fit.offering.name} [{who}]  score {fit.score:.2f}")
        for reason in fit.reasons:
            typer.echo(f"      + {reason}")
        for caveat in fit.caveats:
            typer.echo(f"      - {caveat}")
        typer.echo(f"      disclosure: {fit.disclosure.text}")
    for fit in rec.rejected:
        failed = "; ".join(v.detail for v in fit.failed)
        who = fit.offering.relationship.value
        typer.echo(f"\n    {fit.offering.name} [{who}] does not meet: {failed}")
    if rec.best_own:
        typer.echo(f"\nours: {rec.best_own.comparison}")
    for bundle in rec.bundles:
        typer.echo(f"bundle: {' + '.join(bundle.offerings)} — {'; '.join(bundle.reasons)}")
    for unmet in rec.unmet:
        typer.echo(f"unmet: {unmet.detail}")
    for relaxation in rec.relaxations:
        typer.echo(f"relax: {relaxation.detail}")
    considered = ", ".join(f"{n} {r.value}" for r, n in rec.coverage.considered.items())
    typer.echo(f"\n{rec.coverage.catalog} {rec.coverage.version}: considered {considered}")


@app.command("recommend")
def recommend_need(
    need: Annotated[str, typer.Argument(help="The customer's need, in their own words.")],
    catalog: CatalogOpt = None,
    rules: RulesOpt = None,
    limit: Annotated[int, typer.Option(min=1, max=50, help="How many fits to show.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the v1 response.")] = False,
) -> None:
    """Recommend for one need: a readable answer, or the v1 JSON response."""
    from referral_api.matching import Engine

    if not need.strip() or len(need) > 2000:
        typer.echo("need: must be 1 to 2,000 characters", err=True)
        raise typer.Exit(2)
    loaded_catalog, loaded_rules = load_engine_inputs(catalog, rules)
    rec = Engine(loaded_catalog, loaded_rules).recommend(Need(need), limit=limit)
    if as_json:
        typer.echo(json.dumps(response_body(rec), ensure_ascii=False, indent=2))
    else:
        _print_recommendation(rec)


def response_body(rec: Recommendation) -> dict[str, Any]:
    """The v1 response body, exactly as the API would render it (no record: no id)."""
    from referral_api.schemas import recommendation_body

    return recommendation_body(rec)


@dataclass(frozen=True)
class NeedLine:
    """One JSON line of needs, read and checked: the request to answer, or why not.

    ``data`` is the whole object (other keys — a ticket's metadata, an evaluation label, a
    backlog's ``created_at`` and ``channel`` — travel along unread by the request).
    """

    id: str
    data: dict[str, Any]
    request: RecommendationCreate | None
    error: ReferralError | None


def read_need_line(line: str, number: int, *, default_limit: int | None) -> NeedLine:
    """One input line → the request (with ``default_limit`` when the line gives none) or the
    error it deserves; the one reader of ``batch`` and ``batch --record``."""
    from pydantic import ValidationError

    from referral_api.schemas import RecommendationCreate
    from referral_api.schemas.problems import input_error

    fallback_id = f"line-{number}"
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        error = InputError(f"line {number}: not valid JSON: {exc.msg}")
        return NeedLine(fallback_id, {}, None, error)
    if not isinstance(data, dict):
        return NeedLine(fallback_id, {}, None, InputError(f"line {number}: expected a JSON object"))
    line_id = data.get("id")
    line_id = str(line_id) if line_id is not None else fallback_id
    try:
        fields = {k: data[k] for k in ("need", "constraints", "limit") if k in data}
        request = RecommendationCreate.model_validate(fields)
    except ValidationError as exc:
        return NeedLine(line_id, data, None, input_error(exc.errors()))
    if default_limit is not None and "limit" not in data:
        request = request.model_copy(update={"limit": default_limit})
    return NeedLine(line_id, data, request, None)


def read_need_lines(
    lines: Iterable[str], *, default_limit: int | None
) -> Iterator[tuple[int, NeedLine]]:
    """Every line that is not blank, numbered as in the file, read by :func:`read_need_line`."""
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield number, read_need_line(line, number, default_limit=default_limit)


@app.command("batch")
def batch(
    catalog: CatalogOpt = None,
    rules: RulesOpt = None,
    limit: Annotated[
        int | None, typer.Option(min=1, max=50, help="Default limit for lines without one.")
    ] = None,
    record: Annotated[
        bool,
        typer.Option(
            "--record",
            help="Record every answer in the database (a backlog of historical needs, answered "
            "by the active catalogue version) so that the gap report shows it.",
        ),
    ] = False,
    input_file: Annotated[
        Path | None, typer.Option("--input", help="Read this JSONL file instead of stdin.")
    ] = None,
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="With --record [env REFERRAL_DATABASE_URL]")
    ] = None,
) -> None:
    """Recommend for every JSON line on stdin; write one JSON line per input, in order.

    Input lines: {"id": …, "need": …, "constraints": {…}?, "limit": N?}. Output lines:
    {"id": …, "response": <v1 response>} or {"id": …, "error": <problem>}; a bad line never
    stops the batch. The catalogue is loaded once. With --record, lines may also carry
    "created_at" (ISO 8601; default now) and "channel" (api, advocate or widget; default api),
    and every answer is stored as a recommendation record with its gap facts.
    """
    from referral_api.matching import Engine
    from referral_api.schemas.problems import problem_body

    source = str(input_file) if input_file is not None else "stdin"
    try:
        text = input_file.read_text(encoding="utf-8") if input_file else sys.stdin.read()
    except (OSError, UnicodeError) as exc:
        typer.echo(f"{source}: cannot read: {exc}", err=True)
        raise typer.Exit(1) from exc
    lines = text.splitlines()
    if record:
        _record_backlog(lines, source, limit=limit, database_url=database_url)
        return
    engine = Engine(*load_engine_inputs(catalog, rules))
    show_progress = sys.stderr.isatty()
    failures = 0
    with typer.progressbar(
        lines, label="recommending", file=sys.stderr, hidden=not show_progress
    ) as progress:
        for number, read in read_need_lines(progress, default_limit=limit):
            line_id, request, error = read.id, read.request, read.error
            if request is not None:
                try:
                    rec = engine.recommend(request.to_need(), limit=request.limit)
                except InputError as exc:
                    error = exc
                else:
                    out = {"id": line_id, "response": response_body(rec)}
                    sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
                    continue
            assert error is not None
            failures += 1
            problem = problem_body(error, f"{source}:{number}")
            sys.stdout.write(
                json.dumps({"id": line_id, "error": problem}, ensure_ascii=False) + "\n"
            )
    if failures:
        typer.echo(f"{failures} line(s) failed; their errors are in the output", err=True)


def _backlog_fields(data: dict[str, Any], where: str) -> tuple[datetime | None, str]:
    """``created_at`` and ``channel`` of a backlog line; InputError naming file and line."""
    created_at: datetime | None = None
    raw = data.get("created_at")
    if raw is not None:
        try:
            created_at = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        except ValueError:
            created_at = None
        if created_at is None or not 1970 <= created_at.year < 2200:
            raise InputError(
                f"{where}: created_at: not an ISO 8601 time: {raw!r}",
                fields=[{"field": "created_at", "message": "not an ISO 8601 time", "at": where}],
            )
        if created_at.tzinfo is None:
            created_at = created_at.replace(tzinfo=UTC)
    channel = data.get("channel", "api")
    if channel not in ("api", "advocate", "widget"):
        raise InputError(
            f"{where}: channel: must be api, advocate or widget, not {channel!r}",
            fields=[
                {"field": "channel", "message": "must be api, advocate or widget", "at": where}
            ],
        )
    return created_at, str(channel)


def _record_backlog(
    lines: list[str], source: str, *, limit: int | None, database_url: str | None
) -> None:
    """Answer and record every line with the active catalogue version (``batch --record``)."""
    from referral_api.schemas.problems import problem_body
    from referral_api.service.catalogue import rebuild
    from referral_api.service.engines import LoadedEngine, default_engine_factory
    from referral_api.service.recommendations import Recorded, make_recommendation, store_record
    from referral_api.store.repositories import CatalogVersionRepository

    settings = settings_with(database_url=database_url)
    database = open_database(settings)
    with database.session(write=False) as session:
        version = CatalogVersionRepository(session).active()
        if version is None:
            typer.echo("no active catalogue version: run `referral catalog load` first", err=True)
            raise typer.Exit(1)
        snapshot = rebuild(version)
        loaded = LoadedEngine(version.id, default_engine_factory(snapshot.catalog, snapshot.rules))
    recorded = failures = 0
    pending: list[Recorded] = []

    def flush() -> None:
        with database.session() as session:
            for item in pending:
                store_record(session, item)
        pending.clear()

    for number, read in read_need_lines(lines, default_limit=limit):
        line_id, request, error = read.id, read.request, read.error
        if request is not None:
            try:
                created_at, channel = _backlog_fields(read.data, f"{source}:{number}")
                made = make_recommendation(
                    loaded,
                    request,
                    channel=channel,
                    key_id=None,
                    redact_needs=settings.redact_needs,
                    created_at=created_at.astimezone(UTC) if created_at is not None else None,
                )
            except InputError as exc:
                error = exc
            else:
                pending.append(made)
                recorded += 1
                out = {"id": line_id, "response": made.body}
                sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
                if len(pending) >= 500:
                    flush()
                continue
        assert error is not None
        failures += 1
        where = f"{source}:{number}"
        typer.echo(error.detail if error.detail.startswith(where) else f"{where}: {error.detail}",
                   err=True)  # fmt: skip
        problem = problem_body(error, f"{source}:{number}")
        sys.stdout.write(json.dumps({"id": line_id, "error": problem}, ensure_ascii=False) + "\n")
    flush()
    typer.echo(f"recorded {recorded} need(s); {failures} line(s) failed", err=True)
    if failures:
        raise typer.Exit(1)
