"""The ``referral`` command line: curate the catalogue, ask for recommendations, run the service."""

from __future__ import annotations

import getpass
import json
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from referral_api.config import Settings, load_settings
from referral_api.curation import Problem, load_catalog, load_rules
from referral_api.domain import Catalog, Constraints, Need, Recommendation, Rules
from referral_api.domain.constraint_kinds import CONSTRAINT_KINDS
from referral_api.errors import InputError, NotFound, ReferralError

if TYPE_CHECKING:
    from referral_api.insights.report import GapReport
    from referral_api.schemas import RecommendationCreate
    from referral_api.store.db import Database

app = typer.Typer(
    help="Honest Referral: the best fit for a customer's need — ours or not — and why.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
catalog_app = typer.Typer(help="Validate and load the curated catalogue.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")

CatalogOpt = Annotated[
    Path | None, typer.Option("--catalog", help="Catalogue directory [env REFERRAL_CATALOG_DIR].")
]
RulesOpt = Annotated[
    Path | None, typer.Option("--rules", help="Rules directory [env REFERRAL_RULES_DIR].")
]


def _settings(**overrides: object) -> Settings:
    return load_settings(**overrides)


WARNINGS_PER_KIND = 5


def _print_problems(problems: list[Problem], *, all_warnings: bool = False) -> None:
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


@catalog_app.command("validate")
def catalog_validate(
    directory: Annotated[
        Path | None, typer.Argument(help="Catalogue directory (default: REFERRAL_CATALOG_DIR).")
    ] = None,
    rules: RulesOpt = None,
    all_warnings: Annotated[bool, typer.Option(help="List every warning.")] = False,
) -> None:
    """Check a catalogue and rules; print every problem as file:line: field: message."""
    settings = _settings(catalog_dir=directory, rules_dir=rules)
    rules_load = load_rules(settings.rules_dir)
    problems = list(rules_load.problems)
    catalog_load = load_catalog(settings.catalog_dir, rules_load.rules)
    problems += [
        Problem(f"{settings.catalog_dir}/{p.file}", p.line, p.field, p.message, p.severity)
        for p in catalog_load.problems
    ]
    _print_problems(problems, all_warnings=all_warnings)
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


# --- engine commands: recommend, batch, eval -------------------------------------------------


def _load_engine_inputs(catalog: Path | None, rules: Path | None) -> tuple[Catalog, Rules]:
    """The catalogue and rules from files, or a message naming every problem and exit 1."""
    settings = _settings(catalog_dir=catalog, rules_dir=rules)
    rules_load = load_rules(settings.rules_dir)
    if rules_load.rules is None:
        _print_problems(list(rules_load.problems))
        raise typer.Exit(1)
    catalog_load = load_catalog(settings.catalog_dir, rules_load.rules)
    if catalog_load.catalog is None:
        _print_problems(
            [
                Problem(f"{settings.catalog_dir}/{p.file}", p.line, p.field, p.message, p.severity)
                for p in catalog_load.errors
            ]
        )
        raise typer.Exit(1)
    return catalog_load.catalog, rules_load.rules


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
    loaded_catalog, loaded_rules = _load_engine_inputs(catalog, rules)
    rec = Engine(loaded_catalog, loaded_rules).recommend(Need(need), limit=limit)
    if as_json:
        typer.echo(json.dumps(_v1(rec), ensure_ascii=False, indent=2))
    else:
        _print_recommendation(rec)


def _v1(rec: Recommendation, record_id: str | None = None) -> dict[str, object]:
    """The v1 response body, exactly as the API would render it."""
    from referral_api.schemas import recommendation_public

    return recommendation_public(rec, record_id=record_id).model_dump(mode="json")


def _batch_line(line: str, number: int) -> tuple[str, Need | None, int, ReferralError | None]:
    """One input line → (id, need, limit) or the error it deserves."""
    from pydantic import ValidationError

    from referral_api.schemas import RecommendationCreate
    from referral_api.schemas.problems import input_error

    fallback_id = f"line-{number}"
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return fallback_id, None, 0, InputError(f"line {number}: not valid JSON: {exc.msg}")
    if not isinstance(data, dict):
        return fallback_id, None, 0, InputError(f"line {number}: expected a JSON object")
    line_id = data.get("id")
    line_id = str(line_id) if line_id is not None else fallback_id
    try:
        # other keys (a ticket's metadata, an evaluation label) travel along unread
        fields = {k: data[k] for k in ("need", "constraints", "limit") if k in data}
        body = RecommendationCreate.model_validate(fields)
    except ValidationError as exc:
        return line_id, None, 0, input_error(exc.errors())
    return line_id, body.to_need(), body.limit, None


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
    engine = Engine(*_load_engine_inputs(catalog, rules))
    show_progress = sys.stderr.isatty()
    failures = 0
    with typer.progressbar(
        lines, label="recommending", file=sys.stderr, hidden=not show_progress
    ) as progress:
        for number, line in enumerate(progress, start=1):
            if not line.strip():
                continue
            line_id, need, line_limit, error = _batch_line(line, number)
            if need is not None:
                try:
                    explicit = limit if limit is not None and '"limit"' not in line else line_limit
                    rec = engine.recommend(need, limit=explicit)
                except InputError as exc:
                    error = exc
                else:
                    out = {"id": line_id, "response": _v1(rec)}
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


def _backlog_fields(line: str, number: int, source: str) -> tuple[datetime | None, str]:
    """``created_at`` and ``channel`` of a backlog line; InputError naming file and line."""
    data = json.loads(line)
    where = f"{source}:{number}"
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

    settings = _settings(database_url=database_url)
    database = _database(settings)
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

    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        line_id, need, line_limit, error = _batch_line(line, number)
        if need is not None:
            try:
                created_at, channel = _backlog_fields(line, number, source)
                explicit = limit if limit is not None and '"limit"' not in line else line_limit
                body = _request_of(line, explicit)
                made = make_recommendation(
                    loaded,
                    body,
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


def _request_of(line: str, limit: int) -> RecommendationCreate:
    from referral_api.schemas import RecommendationCreate

    data = json.loads(line)
    fields = {k: data[k] for k in ("need", "constraints") if k in data}
    return RecommendationCreate.model_validate({**fields, "limit": limit})


@app.command("eval")
def evaluate_cases(
    cases: Annotated[Path, typer.Option("--cases", help="Labelled needs, one JSON object a line.")],
    catalog: CatalogOpt = None,
    rules: RulesOpt = None,
    baseline: Annotated[
        bool, typer.Option("--baseline", help="Also score plain BM25 (bm25s), in the same run.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
) -> None:
    """P@1, nDCG@10, MRR@10, right, empty and violation rates per kind (and a BM25 baseline).

    ``right``: a relevant first result; no fit claimed where nothing fits; for a half-served
    need, a fit and its unserved part named. Cases with ``exclude`` are ranked without those
    offerings in the catalogue (leave-one-out); ``engine-kept`` keeps them, as before.
    """
    from referral_api.matching.evaluation import (
        bm25_ranker,
        engine_ranker,
        evaluate,
        format_reports,
        read_cases,
    )

    loaded_catalog, loaded_rules = _load_engine_inputs(catalog, rules)
    try:
        lines = cases.read_text(encoding="utf-8").splitlines()
        labelled = list(read_cases(lines, str(cases)))
    except OSError as exc:
        typer.echo(f"{cases}: cannot read: {exc.strerror}", err=True)
        raise typer.Exit(1) from exc
    except InputError as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(1) from exc
    rankers = [("engine", engine_ranker(loaded_catalog, loaded_rules))]
    if any(case.exclude for case in labelled):
        # the older protocol beside the headline: excluded offerings stay in the catalogue
        kept = engine_ranker(loaded_catalog, loaded_rules, leave_out=False)
        rankers.append(("engine-kept", kept))
    if baseline:
        try:
            rankers.append(("bm25", bm25_ranker(loaded_catalog)))
        except ImportError as exc:
            typer.echo("the BM25 baseline needs the 'eval' extra: pip install '.[eval]'", err=True)
            raise typer.Exit(1) from exc
    reports = [
        evaluate(name, labelled, ranker, loaded_catalog, loaded_rules) for name, ranker in rankers
    ]
    if as_json:
        typer.echo(json.dumps({r.name: r.rows() for r in reports}, indent=2))
    else:
        typer.echo(format_reports(reports))


# --- store and service commands: serve, db, catalog load, keys, audit, records, openapi --------


db_app = typer.Typer(help="The database: migrations.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)
records_app = typer.Typer(help="Recommendation records: retention.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(records_app, name="records")

DatabaseOpt = Annotated[
    str | None, typer.Option("--database-url", help="[env REFERRAL_DATABASE_URL]")
]


def _database(settings: Settings) -> Database:
    from referral_api.store.db import Database

    return Database.from_url(settings.database_url)


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _fail(error: ReferralError) -> NoReturn:
    typer.echo(f"error: {error.detail}", err=True)
    for field in error.fields:
        where = f"{field['at']}: " if field.get("at") else ""
        typer.echo(f"  {where}{field['field']}: {field['message']}", err=True)
    raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseOpt = None) -> None:
    """Create or migrate the database schema to the newest version."""
    from referral_api.store.migrate import upgrade

    database = _database(_settings(database_url=database_url))
    upgrade(database.engine)
    typer.echo(f"database at the newest schema ({database.backend})")


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

    settings = _settings(catalog_dir=directory, rules_dir=rules, database_url=database_url)
    try:
        snapshot = snapshot_from_dirs(settings.catalog_dir, settings.rules_dir)
        with _database(settings).session() as session:
            active = CatalogVersionRepository(session).active()
            if if_changed and active is not None and active.content_hash == snapshot.content_hash:
                typer.echo(f"unchanged: version {active.id} is active")
                return
            version = store_snapshot(
                session, snapshot, actor=_actor(), action="load",
                note=note or f"loaded from {settings.catalog_dir}",
            )  # fmt: skip
    except ReferralError as exc:
        _fail(exc)
    info = snapshot.catalog.info
    typer.echo(
        f"loaded {info.company} catalogue {info.version} as version {version.id} (active): "
        f"{len(snapshot.catalog.offerings)} offerings, rules {snapshot.rules.version}"
    )


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

    settings = _settings(database_url=database_url)
    try:
        with _database(settings).session() as session:
            created = create_key(
                session,
                name=name,
                scopes=[s for s in scopes.split(",") if s.strip()],
                origins=[o for o in origins.split(",") if o.strip()],
                publishable=publishable,
                rate_limit_per_minute=rate_limit,
            )
    except ReferralError as exc:
        _fail(exc)
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

    with _database(_settings(database_url=database_url)).session() as session:
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

    with _database(_settings(database_url=database_url)).session() as session:
        keys = ApiKeyRepository(session)
        key = keys.get(key_id)
        if key is None:
            _fail(NotFound(f"no key {key_id}"))
        keys.revoke(key, utcnow())
    typer.echo(f"revoked {key_id}")


@keys_app.command("bootstrap")
def keys_bootstrap(
    database_url: DatabaseOpt = None,
    host: Annotated[str | None, typer.Option(help="[env REFERRAL_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="[env REFERRAL_PORT]")] = None,
) -> None:
    """On first start (no keys at all): create a local admin key and print a curl to try."""
    from referral_api.service.keys import create_key
    from referral_api.store.repositories import ApiKeyRepository

    settings = _settings(database_url=database_url, host=host, port=port)
    with _database(settings).session() as session:
        if ApiKeyRepository(session).has_active():
            typer.echo("keys exist; create more with: referral keys create --name … --scopes …")
            return
        created = create_key(session, name="local admin", scopes=["admin"])
        base = f"http://{settings.host}:{settings.port}"
        # the widget demo page is served by this server: a publishable key for its own origin
        widget = create_key(
            session,
            name="local widget demo",
            scopes=["recommend"],
            publishable=True,
            origins=[base],
        )
    url = f"{base}/v1/recommendations"
    body = '{"need": "I need to send invoices and accept card payments, on my iPhone"}'
    typer.echo("First start: created a local admin key (shown once; keep it safe).")
    typer.echo(f"  REFERRAL_KEY={created.secret}")
    typer.echo(f"Advocate console: {base}/console (sign in with that key)")
    typer.echo(f"Support widget demo: {base}/widget-demo?key={widget.secret}")
    typer.echo("Try the API:")
    typer.echo(
        f"  curl -s {url} -H 'Authorization: Bearer {created.secret}' "
        f"-H 'Content-Type: application/json' -d '{body}'"
    )


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
    with _database(_settings(database_url=database_url)).session() as session:
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
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]) or "query"
            typer.echo(f"--{field.replace('_', '-')}: {error['msg']}", err=True)
        raise typer.Exit(2) from exc
    except InputError as exc:
        for problem in exc.fields:
            typer.echo(f"--{problem['field']}: {problem['message']}", err=True)
        raise typer.Exit(2) from exc
    with _database(_settings(database_url=database_url)).session() as session:
        facts = GapFactRepository(session)
        if rebuild_facts:
            records, count = facts.rebuild()
            typer.echo(f"rebuilt {count} gap fact(s) from {records} record(s)", err=True)
        report = gap_report(facts, where, kinds=query.kinds(), limit=query.limit)
        version = CatalogVersionRepository(session).active()
        labels = (
            {c.id: c.label for c in rebuild(version).catalog.capabilities.values()}
            if version is not None
            else {}
        )
    if as_csv:
        sys.stdout.write(gaps_csv(report, labels))
        return
    if as_json:
        typer.echo(gaps_public(report, labels).model_dump_json(indent=2))
        return
    _print_gaps(report, labels)


def _print_gaps(report: GapReport, labels: dict[str, str]) -> None:
    where = report.where
    typer.echo(
        f"gaps {where.since:%Y-%m-%d %H:%M} – {where.until:%Y-%m-%d %H:%M} UTC: "
        f"{report.needs} need(s), {report.total_gaps} gap(s), {len(report.new_gaps)} new"
    )
    if not report.gaps:
        typer.echo("no gaps in this window")
        return
    header = f"{'kind':<17} {'capability':<24} {'count':>6} {'share':>6} {'prev':>5}  details"
    typer.echo(header)
    typer.echo("-" * len(header))
    for gap in report.gaps:
        name = labels.get(gap.capability, gap.capability) if gap.capability else "—"
        details = []
        if gap.served_by:
            details.append(
                "by "
                + ", ".join(f"{s.name} ({s.relationship}) {s.count}" for s in gap.served_by[:3])
            )
        if gap.missed_constraints:
            details.append(
                "misses " + ", ".join(f"{s.name} {s.count}" for s in gap.missed_constraints[:3])
            )
        if gap.examples:
            details.append(f"e.g. {gap.examples[0][:60]!r}")
        new = " new" if gap.is_new else ""
        typer.echo(
            f"{gap.kind.value:<17} {name[:24]:<24} {gap.count:>6} {gap.share:>6.0%} "
            f"{gap.previous_count:>5}{new}  {'; '.join(details)}"
        )


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

    settings = _settings(database_url=database_url)
    days = settings.retention_days if older_than_days is None else older_than_days
    if days <= 0:
        typer.echo("retention is 0 (keep forever): nothing purged")
        return
    now = utcnow()
    with _database(settings).session() as session:
        removed = RecommendationRepository(session).purge_before(now - timedelta(days=days))
        RateLimitRepository(session).purge_before(int(now.timestamp()) // 60 - 60)
        AuthFailureRepository(session).purge_before(int(now.timestamp()) // 60 - 60)
        PageSessionRepository(session).purge_before(now)
    typer.echo(f"purged {removed} record(s) older than {days} day(s)")


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
    settings = _settings(**overrides)
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


def main() -> None:
    """Entry point of the ``referral`` console script."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        sys.exit(130)
