"""``referral recommend`` and ``referral batch`` (JSONL or CSV; with ``--record``, a backlog of
needs imported into the database)."""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
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
    """One input line (or CSV row) of needs, read and checked: the request to answer, or why
    not.

    ``data`` is the whole object (other keys — a ticket's metadata, an evaluation label, a
    backlog's ``created_at`` and ``channel`` — travel along unread by the request).
    """

    id: str
    data: dict[str, Any]
    request: RecommendationCreate | None
    error: ReferralError | None


def need_line(data: Any, number: int, *, default_limit: int | None) -> NeedLine:
    """One input object → the request (with ``default_limit`` when it gives none) or the error
    it deserves; what every JSONL line and CSV row goes through."""
    from pydantic import ValidationError

    from referral_api.schemas import RecommendationCreate
    from referral_api.schemas.problems import input_error

    fallback_id = f"line-{number}"
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


def read_need_line(line: str, number: int, *, default_limit: int | None) -> NeedLine:
    """One JSON line → :func:`need_line` of its object (or why it is not one)."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        error = InputError(f"line {number}: not valid JSON: {exc.msg}")
        return NeedLine(f"line-{number}", {}, None, error)
    return need_line(data, number, default_limit=default_limit)


def read_need_lines(
    lines: Iterable[str], *, default_limit: int | None
) -> Iterator[tuple[int, NeedLine]]:
    """Every line that is not blank, numbered as in the file, read by :func:`read_need_line`."""
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield number, read_need_line(line, number, default_limit=default_limit)


# --- CSV backlogs ----------------------------------------------------------------------------

#: columns of a CSV backlog besides the constraints' (which are ConstraintsCreate's fields)
CSV_COLUMNS = ("id", "need", "limit", "created_at", "channel")


def _constraint_columns() -> dict[str, bool]:
    """The constraint columns a CSV may have → whether the field holds several values."""
    from typing import get_origin

    from referral_api.schemas.recommendations import ConstraintsCreate

    return {
        name: get_origin(field.annotation) is list
        for name, field in ConstraintsCreate.model_fields.items()
    }


def read_csv_needs(text: str, *, default_limit: int | None) -> Iterator[tuple[int, NeedLine]]:
    """Every row of a CSV backlog (a header row first: ``need`` and optional ``id``, ``limit``,
    ``created_at``, ``channel`` and constraint columns named like the JSONL ``constraints``
    keys; several values in one cell separated by ``;`` or ``,``), numbered by the line it
    starts on and read by :func:`need_line`. :class:`InputError` when the header is unusable;
    a row the CSV reader cannot read ends the file there (its line is reported)."""
    import csv
    import difflib
    import io
    import re

    constraint_columns = _constraint_columns()
    known = (*CSV_COLUMNS, *constraint_columns)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        return
    except csv.Error as exc:
        raise InputError(f"line 1: not valid CSV: {exc}") from exc
    if "need" not in header:
        raise InputError(
            f"line 1: the header row has no 'need' column (it has: {', '.join(header) or 'none'})"
        )
    for name in header:
        if name not in known:
            near = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else f" (known: {', '.join(known)})"
            raise InputError(f"line 1: unknown column '{name}'{hint}")
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            error = InputError(f"line {start}: not valid CSV: {exc}")
            yield start, NeedLine(f"line-{start}", {}, None, error)
            return
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            error = InputError(
                f"line {start}: {len(cells)} cells, but the header names {len(header)} columns"
            )
            yield start, NeedLine(f"line-{start}", {}, None, error)
            continue
        data: dict[str, Any] = {}
        constraints: dict[str, Any] = {}
        for name, cell in zip(header, cells, strict=False):
            value = cell.strip()
            if not value:
                continue
            if name in constraint_columns:
                many = constraint_columns[name]
                constraints[name] = [v.strip() for v in re.split(r"[;,]", value) if v.strip()] \
                    if many else value  # fmt: skip
            else:
                data[name] = value
        if constraints:
            data["constraints"] = constraints
        yield start, need_line(data, start, default_limit=default_limit)


class InputFormat(StrEnum):
    AUTO = "auto"
    JSONL = "jsonl"
    CSV = "csv"


def read_backlog(
    text: str, source: Path | None, fmt: InputFormat, *, default_limit: int | None
) -> list[tuple[int, NeedLine]]:
    """Every need of the input, numbered by line: CSV when asked, or (``auto``) when the file's
    name ends in ``.csv``; JSON lines otherwise. :class:`InputError` for an unusable CSV header."""
    csv_input = fmt is InputFormat.CSV or (
        fmt is InputFormat.AUTO and source is not None and source.suffix.lower() == ".csv"
    )
    if csv_input:
        return list(read_csv_needs(text, default_limit=default_limit))
    return list(read_need_lines(text.splitlines(), default_limit=default_limit))


def _reason(error: ReferralError, where: str) -> str:
    """``file:line: field: message`` for every failing field (the error's detail otherwise)."""
    if error.fields:
        return f"{where}: " + "; ".join(f"{f['field']}: {f['message']}" for f in error.fields)
    return error.detail if error.detail.startswith(where) else f"{where}: {error.detail}"


def _summary(done: str, count: int, rejected: list[str]) -> None:
    """The end of a batch on stderr: how many were done, and every rejected line with why."""
    typer.echo(f"{done} {count} need(s); {len(rejected)} line(s) failed", err=True)
    for reason in rejected:
        typer.echo(f"  {reason}", err=True)


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
        Path | None,
        typer.Option(
            "--input",
            help="Read this file instead of stdin (JSONL, or CSV when its name ends in .csv).",
        ),
    ] = None,
    input_format: Annotated[
        InputFormat,
        typer.Option(
            "--format", help="jsonl or csv; auto: by the --input file's name (stdin: jsonl)."
        ),
    ] = InputFormat.AUTO,
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="With --record [env REFERRAL_DATABASE_URL]")
    ] = None,
) -> None:
    """Recommend for every need of the input; write one JSON line per need, in order.

    JSONL input: one {"id": …, "need": …, "constraints": {…}?, "limit": N?} per line. CSV
    input: a header row naming the columns — need (required), id, limit, created_at, channel,
    and any constraint as a column named like its JSONL key (region, budget_monthly, currency,
    platforms, must_have, compliance, segment, …; several values in one cell separated by ";"
    or ","). Output lines: {"id": …, "response": <v1 response>} or {"id": …, "error":
    <problem>}; a bad line never stops the batch. The catalogue is loaded once. With --record,
    lines may also carry "created_at" (ISO 8601; default now) and "channel" (api, advocate or
    widget; default api), and every answer is stored as a recommendation record with its gap
    facts, in batches: what was recorded stays recorded whatever comes after. A progress bar
    is shown when stderr is a terminal; the end prints a summary on stderr (every failed line
    with its number and reason) and the exit status is 1 when any line failed.
    """
    from referral_api.matching import Engine
    from referral_api.schemas.problems import problem_body

    source = str(input_file) if input_file is not None else "stdin"
    try:
        text = input_file.read_text(encoding="utf-8-sig") if input_file else sys.stdin.read()
        items = read_backlog(text, input_file, input_format, default_limit=limit)
    except (OSError, UnicodeError) as exc:
        typer.echo(f"{source}: cannot read: {exc}", err=True)
        raise typer.Exit(1) from exc
    except InputError as exc:
        typer.echo(f"{source}: {exc.detail}", err=True)
        raise typer.Exit(1) from exc
    if record:
        _record_backlog(items, source, database_url=database_url)
        return
    engine = Engine(*load_engine_inputs(catalog, rules))
    rejected: list[str] = []
    answered = 0
    with _progress(items, "recommending") as progress:
        for number, read in progress:
            line_id, request, error = read.id, read.request, read.error
            if request is not None:
                try:
                    rec = engine.recommend(request.to_need(), limit=request.limit)
                except InputError as exc:
                    error = exc
                else:
                    out = {"id": line_id, "response": response_body(rec)}
                    sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
                    answered += 1
                    continue
            assert error is not None
            where = f"{source}:{number}"
            rejected.append(_reason(error, where))
            problem = problem_body(error, where)
            sys.stdout.write(
                json.dumps({"id": line_id, "error": problem}, ensure_ascii=False) + "\n"
            )
    _summary("answered", answered, rejected)
    if rejected:
        raise typer.Exit(1)


@contextmanager
def _progress(
    items: list[tuple[int, NeedLine]], label: str
) -> Iterator[Iterable[tuple[int, NeedLine]]]:
    """The items to answer, through a progress bar on stderr drawn only when stderr is a
    terminal (never into a pipe).

    Meanwhile the engine's index (millions of long-lived objects) is out of the cyclic
    collector's sight, as in a serving worker: otherwise every full collection walks it again,
    and a batch that keeps more objects alive (records waiting to be written) pays most."""
    gc.collect()
    gc.freeze()
    try:
        with typer.progressbar(
            items, label=label, file=sys.stderr, hidden=not sys.stderr.isatty()
        ) as progress:
            yield progress
    finally:
        gc.unfreeze()


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


#: records written per unit of work: large enough that a commit is a small share of the cost,
#: small enough that an interrupted import loses at most this many answers (never a recorded one)
RECORD_BATCH = 500


def _record_backlog(
    items: list[tuple[int, NeedLine]], source: str, *, database_url: str | None
) -> None:
    """Answer and record every need with the active catalogue version (``batch --record``)."""
    from referral_api.schemas.problems import problem_body
    from referral_api.service.catalogue import rebuild
    from referral_api.service.engines import LoadedEngine, default_engine_factory
    from referral_api.service.recommendations import Recorded, make_recommendation, store_records
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
    recorded = 0
    rejected: list[str] = []
    pending: list[Recorded] = []

    def flush() -> None:
        nonlocal recorded
        if pending:
            with database.session() as session:  # one unit of work, bulk inserts
                store_records(session, pending)
            recorded += len(pending)
            pending.clear()

    try:
        with _progress(items, "recording") as progress:
            for number, read in progress:
                line_id, request, error = read.id, read.request, read.error
                where = f"{source}:{number}"
                if request is not None:
                    try:
                        created_at, channel = _backlog_fields(read.data, where)
                        made = make_recommendation(
                            loaded,
                            request,
                            channel=channel,
                            key_id=None,
                            redact_needs=settings.redact_needs,
                            created_at=created_at.astimezone(UTC) if created_at else None,
                        )
                    except InputError as exc:
                        error = exc
                    else:
                        pending.append(made)
                        out = {"id": line_id, "response": made.body}
                        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
                        if len(pending) >= RECORD_BATCH:
                            flush()
                        continue
                assert error is not None
                rejected.append(_reason(error, where))
                problem = problem_body(error, where)
                sys.stdout.write(
                    json.dumps({"id": line_id, "error": problem}, ensure_ascii=False) + "\n"
                )
    finally:
        flush()  # whatever stops the import (an interrupt too), what was answered is kept
    _summary("recorded", recorded, rejected)
    if rejected:
        raise typer.Exit(1)
