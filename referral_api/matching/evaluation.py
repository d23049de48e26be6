"""Measuring match quality on labelled needs: P@1, nDCG@10, MRR@10, empty and violation rates.

The case format and the metrics are those of ``../shared/eval/README.md``. Violations are judged
independently of the engine's own verdicts, from the catalogue's facts: a returned offering that
is retired, or that lacks a platform, region, standard or capability the case requires.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from referral_api.domain import Catalog, Constraints, Need, Offering, PriceModel, Rules
from referral_api.domain.rules import ConstraintKind
from referral_api.errors import InputError

K = 10


@dataclass(frozen=True)
class Case:
    """One labelled need."""

    id: str
    kind: str
    need: str
    relevant: Mapping[str, int]
    constraints: Mapping[str, Any] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()


def read_cases(lines: Iterable[str], source: str = "cases") -> Iterator[Case]:
    """Cases from JSON lines; a malformed line raises :class:`InputError` naming it."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            yield Case(
                id=str(data["id"]),
                kind=str(data.get("kind", "all")),
                need=str(data["need"]),
                relevant={str(k): int(v) for k, v in data.get("relevant", {}).items()},
                constraints=dict(data.get("constraints") or {}),
                exclude=tuple(str(x) for x in data.get("exclude", ())),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(f"{source}:{number}: not a valid case ({exc})") from exc


def constraints_from(data: Mapping[str, Any]) -> Constraints:
    """Structured constraints from the v1 request's ``constraints`` object."""
    known = {f for f in Constraints.__dataclass_fields__ if f != "soft"}
    unknown = set(data) - known
    if unknown:
        raise InputError(f"unknown constraint(s): {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for key, value in data.items():
        if value is None:
            continue
        if key in ("price_models", "excluded_price_models"):
            values[key] = tuple(PriceModel(v) for v in value)
        elif isinstance(value, list):
            values[key] = tuple(str(v) for v in value)
        elif key == "budget_monthly":
            values[key] = float(value)
        else:
            values[key] = str(value)
    return Constraints(**values)


def violates(offering: Offering, constraints: Constraints, rules: Rules) -> bool:
    """Whether the offering breaks a hard structured constraint, judged from catalogue facts."""
    if not offering.active:
        return True
    platforms = {rules.canonical(ConstraintKind.PLATFORM, p) for p in constraints.platforms}
    if not platforms <= set(offering.platforms):
        return True
    excluded = {rules.canonical(ConstraintKind.PLATFORM, p) for p in constraints.excluded_platforms}
    if excluded - rules.interchangeable_platforms & set(offering.platforms):
        return True
    standards = {rules.canonical(ConstraintKind.COMPLIANCE, c) for c in constraints.compliance}
    if not standards <= set(offering.compliance):
        return True
    if not set(constraints.must_have) <= set(offering.capabilities):
        return True
    if constraints.region:
        region = rules.canonical(ConstraintKind.REGION, constraints.region)
        groups = rules.region_groups
        available = (
            "global" in offering.regions
            or region in offering.regions
            or any(region in groups.get(r, ()) for r in offering.regions)
        )
        if not available:
            return True
    return False


def dcg(grades: Sequence[int]) -> float:
    return float(sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(grades[:K])))


@dataclass
class Scores:
    """Sums of per-case metrics, for one kind of case (or all)."""

    cases: int = 0
    p_at_1: float = 0.0
    ndcg: float = 0.0
    mrr: float = 0.0
    empty: int = 0
    returned: int = 0
    violations: int = 0

    def add(self, grades: Sequence[int], ideal: Sequence[int], violated: int) -> None:
        self.cases += 1
        self.p_at_1 += 1.0 if grades and grades[0] > 0 else 0.0
        best = dcg(sorted(ideal, reverse=True))
        self.ndcg += dcg(grades) / best if best > 0 else 0.0
        first = next((i for i, g in enumerate(grades[:K]) if g > 0), None)
        self.mrr += 1.0 / (first + 1) if first is not None else 0.0
        self.empty += 0 if grades else 1
        self.returned += len(grades[:K])
        self.violations += violated

    def row(self) -> dict[str, float]:
        n = max(1, self.cases)
        return {
            "cases": self.cases,
            "p@1": round(self.p_at_1 / n, 3),
            "ndcg@10": round(self.ndcg / n, 3),
            "mrr@10": round(self.mrr / n, 3),
            "empty": round(self.empty / n, 3),
            "violations": round(self.violations / max(1, self.returned), 3),
        }


Ranker = Callable[[Case, int], list[str]]


@dataclass
class Report:
    """Metrics per kind and overall, with the time spent ranking."""

    name: str
    by_kind: dict[str, Scores] = field(default_factory=dict)
    overall: Scores = field(default_factory=Scores)
    seconds: float = 0.0

    def rows(self) -> dict[str, dict[str, float]]:
        rows = {kind: s.row() for kind, s in sorted(self.by_kind.items())}
        rows["overall"] = self.overall.row()
        return rows


def evaluate(
    name: str, cases: Sequence[Case], ranker: Ranker, catalog: Catalog, rules: Rules
) -> Report:
    """Run ``ranker`` over ``cases``; score its top 10 once each case's exclusions are removed."""
    by_id = {o.id: o for o in catalog.offerings}
    report = Report(name)
    started = time.perf_counter()
    for case in cases:
        ranked = [i for i in ranker(case, K + len(case.exclude)) if i not in case.exclude][:K]
        constraints = constraints_from(case.constraints)
        violated = sum(1 for i in ranked if i in by_id and violates(by_id[i], constraints, rules))
        grades = [case.relevant.get(i, 0) for i in ranked]
        ideal = list(case.relevant.values())
        report.by_kind.setdefault(case.kind, Scores()).add(grades, ideal, violated)
        report.overall.add(grades, ideal, violated)
    report.seconds = time.perf_counter() - started
    return report


def engine_ranker(catalog: Catalog, rules: Rules) -> Ranker:
    """The engine as a ranker: the ids of its fits, best first."""
    from referral_api.matching.engine import Engine

    engine = Engine(catalog, rules)

    def rank(case: Case, limit: int) -> list[str]:
        need = Need(case.need, constraints_from(case.constraints))
        return [fit.offering.id for fit in engine.recommend(need, limit=limit).results]

    return rank


def bm25_ranker(catalog: Catalog) -> Ranker:
    """The baseline: plain BM25 (bm25s) over name, summary and capability labels."""
    import bm25s

    active = [o for o in catalog.offerings if o.active]
    corpus = [
        " ".join(
            [o.name, o.summary or "", *(catalog.capabilities[c].label for c in o.capabilities)]
        )
        for o in active
    ]
    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize(corpus, stopwords="en", show_progress=False), show_progress=False
    )

    def rank(case: Case, limit: int) -> list[str]:
        tokens = bm25s.tokenize([case.need], stopwords="en", show_progress=False)
        if not tokens.vocab:
            return []
        k = min(limit, len(active))
        docs, scores = retriever.retrieve(tokens, k=k, show_progress=False)
        return [active[int(d)].id for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

    return rank


def format_reports(reports: Sequence[Report]) -> str:
    """A plain table: one block per ranker, a row per kind."""
    lines = []
    lines.append(
        f"{'ranker':<10} {'kind':<22} {'cases':>5} {'p@1':>6} {'ndcg@10':>8} {'mrr@10':>7} "
        f"{'empty':>6} {'violations':>10}"
    )
    for report in reports:
        for kind, row in report.rows().items():
            lines.append(
                f"{report.name:<10} {kind:<22} {row['cases']:>5} {row['p@1']:>6.3f} "
                f"{row['ndcg@10']:>8.3f} {row['mrr@10']:>7.3f} {row['empty']:>6.3f} "
                f"{row['violations']:>10.3f}"
            )
        lines.append(f"{report.name:<10} {'(seconds)':<22} {report.seconds:>5.1f}")
    return "\n".join(lines)
