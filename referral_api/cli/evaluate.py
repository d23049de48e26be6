"""``referral eval``: matching quality on labelled needs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from referral_api.cli.app import app
from referral_api.cli.common import CatalogOpt, RulesOpt, load_engine_inputs
from referral_api.errors import InputError


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

    loaded_catalog, loaded_rules = load_engine_inputs(catalog, rules)
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
