"""Measuring match quality on labelled needs, the way a customer would judge the answers.

The case format and the metrics are those of ``../shared/eval/README.md`` and
``../shared/eval/demo/README.md``:

- cases with relevant offerings: P@1, nDCG@10 and MRR@10 over the fits returned;
- cases with ``relevant: {}`` (nothing fits, out of domain): right when the answer claims no fit;
- half-served cases (``unserved``: a word of the part nothing serves): right when some fit is
  given *and* that word is named in what the answer says it did not understand or cannot serve;
- violations: the share of all returned fits that break a hard constraint of their case — the
  structured ``constraints`` and the ``hard`` ones the words state — or are retired, judged from
  the catalogue's facts, never from the engine's own verdicts.

Cases with ``exclude`` (the customer already has that offering) are ranked over a catalogue
without it (leave-one-out), so an offering's own words cannot find it; the older protocol,
which keeps it in the catalogue and only drops it from the answer, can be reported beside it.
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
from referral_api.matching.places import language_countries

K = 10
_LISTS = ("platforms", "excluded_platforms", "compliance", "must_have", "languages")


@dataclass(frozen=True)
class Case:
    """One labelled need."""

    id: str
    kind: str
    need: str
    relevant: Mapping[str, int]
    constraints: Mapping[str, Any] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    #: the must-haves the words state, with the request's keys (judged, never sent)
    hard: Mapping[str, Any] = field(default_factory=dict)
    #: a word of the part of a half-served need that nothing serves
    unserved: str | None = None

    @property
    def expects_no_fit(self) -> bool:
        return not self.relevant

    def judged(self) -> Constraints:
        """Every constraint a fit must meet: the structured ones and those the words state."""
        merged: dict[str, Any] = dict(self.hard)
        for key, value in self.constraints.items():
            if key in _LISTS and key in merged:
                merged[key] = [*merged[key], *(v for v in value if v not in merged[key])]
            else:
                merged[key] = value
        return constraints_from(merged)


@dataclass(frozen=True)
class Answer:
    """What a ranker answered: its fits, best first, and (lower-cased) what it said it did not
    understand or could not serve."""

    ids: Sequence[str]
    said: str = ""


def read_cases(lines: Iterable[str], source: str = "cases") -> Iterator[Case]:
    """Cases from JSON lines; a malformed line raises :class:`InputError` naming it."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            unserved = data.get("unserved")
            yield Case(
                id=str(data["id"]),
                kind=str(data.get("kind", "all")),
                need=str(data["need"]),
                relevant={str(k): int(v) for k, v in data.get("relevant", {}).items()},
                constraints=dict(data.get("constraints") or {}),
                exclude=tuple(str(x) for x in data.get("exclude", ())),
                hard=dict(data.get("hard") or {}),
                unserved=str(unserved).lower() if unserved else None,
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
    """Whether the offering breaks a hard constraint, judged from catalogue facts alone."""
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
    price = offering.price
    if price is not None and price.model in constraints.excluded_price_models:
        return True
    if constraints.budget_monthly is not None and not _within_budget(offering, constraints, rules):
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
    if constraints.language_area:
        countries = language_countries().get(constraints.language_area, frozenset())
        groups = rules.region_groups
        if not any(
            r == "global" or r in countries or countries & set(groups.get(r, ()))
            for r in offering.regions
        ):
            return True
    return False


def _within_budget(offering: Offering, constraints: Constraints, rules: Rules) -> bool:
    """``monthly_from`` (or a one-off price spread over a year) in the base currency at most
    the budget in it; free plans pass, quotes fail any budget."""
    price = offering.price
    if price is None or price.model is PriceModel.QUOTE:
        return False
    if price.model is PriceModel.FREE or price.free_tier:
        return True
    rates = rules.exchange_rates
    budget = (constraints.budget_monthly or 0.0) * rates.get(constraints.currency or "USD", 1.0)
    costs = [price.monthly_from]
    if price.model is PriceModel.ONE_TIME and price.one_time is not None:
        costs.append(price.one_time / 12)
    rate = rates.get(price.currency or "USD", 1.0)
    return any(c is not None and c * rate <= budget + 1e-9 for c in costs)


def dcg(grades: Sequence[int]) -> float:
    return float(sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(grades[:K])))


@dataclass
class Scores:
    """Sums of per-case metrics, for one kind of case (or all).

    ``graded`` cases (some offering relevant) count towards P@1, nDCG and MRR; every case
    counts towards ``right``: a first result that is relevant, no fit claimed when none
    exists, or — half-served — a fit *and* the unserved part named.
    """

    cases: int = 0
    graded: int = 0
    p_at_1: float = 0.0
    ndcg: float = 0.0
    mrr: float = 0.0
    right: int = 0
    empty: int = 0
    returned: int = 0
    violations: int = 0

    def add(
        self,
        grades: Sequence[int],
        ideal: Sequence[int],
        violated: int,
        *,
        right: bool | None = None,
    ) -> None:
        self.cases += 1
        hit = bool(grades) and grades[0] > 0
        if ideal:
            self.graded += 1
            self.p_at_1 += 1.0 if hit else 0.0
            best = dcg(sorted(ideal, reverse=True))
            self.ndcg += dcg(grades) / best if best > 0 else 0.0
            first = next((i for i, g in enumerate(grades[:K]) if g > 0), None)
            self.mrr += 1.0 / (first + 1) if first is not None else 0.0
        self.right += int(hit if right is None else right)
        self.empty += 0 if grades else 1
        self.returned += len(grades[:K])
        self.violations += violated

    def row(self) -> dict[str, float]:
        n, graded = max(1, self.cases), max(1, self.graded)
        return {
            "cases": self.cases,
            "p@1": round(self.p_at_1 / graded, 3),
            "ndcg@10": round(self.ndcg / graded, 3),
            "mrr@10": round(self.mrr / graded, 3),
            "right": round(self.right / n, 3),
            "empty": round(self.empty / n, 3),
            "violations": round(self.violations / max(1, self.returned), 3),
        }


Ranker = Callable[[Case, int], Answer]


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
    """Run ``ranker`` over ``cases`` and score its top 10 (exclusions removed first)."""
    by_id = {o.id: o for o in catalog.offerings}
    report = Report(name)
    started = time.perf_counter()
    for case in cases:
        answer = ranker(case, K + len(case.exclude))
        ranked = [i for i in answer.ids if i not in case.exclude][:K]
        judged = case.judged()
        violated = sum(1 for i in ranked if i in by_id and violates(by_id[i], judged, rules))
        grades = [case.relevant.get(i, 0) for i in ranked]
        ideal = list(case.relevant.values())
        right: bool | None = None
        if case.expects_no_fit:
            right = not ranked
        elif case.unserved:
            right = bool(ranked) and case.unserved in answer.said
        for scores in (report.by_kind.setdefault(case.kind, Scores()), report.overall):
            scores.add(grades, ideal, violated, right=right)
    report.seconds = time.perf_counter() - started
    return report


def without(catalog: Catalog, excluded: Iterable[str]) -> Catalog:
    """The catalogue less some offerings (leave-one-out: what a customer has is not offered)."""
    drop = set(excluded)
    return Catalog.build(
        catalog.info, catalog.capabilities, tuple(o for o in catalog.offerings if o.id not in drop)
    )


def engine_ranker(catalog: Catalog, rules: Rules, *, leave_out: bool = True) -> Ranker:
    """The engine as a ranker: the ids of its fits, best first, and what it said it did not
    understand (``not_understood``) or cannot serve (``unmet``).

    ``leave_out``: rank cases with ``exclude`` over a catalogue without those offerings.
    """
    from referral_api.matching.engine import Engine

    engine = Engine(catalog, rules)

    def rank(case: Case, limit: int) -> Answer:
        need = Need(case.need, constraints_from(case.constraints))
        used = (
            Engine(without(catalog, case.exclude), rules) if leave_out and case.exclude else engine
        )
        rec = used.recommend(need, limit=limit)
        said = [*rec.interpretation.not_understood]
        for unmet in rec.unmet:
            label = used.catalog.capabilities[unmet.capability].label
            said += [unmet.capability, label, unmet.detail]
        return Answer([fit.offering.id for fit in rec.results], " | ".join(said).lower())

    return rank


def bm25_ranker(catalog: Catalog, *, leave_out: bool = True) -> Ranker:
    """The baseline: plain BM25 (bm25s) over name, summary and capability labels."""
    import bm25s

    def build(offerings: Sequence[Offering]) -> Callable[[str, int], list[str]]:
        active = [o for o in offerings if o.active]
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

        def search(text: str, limit: int) -> list[str]:
            tokens = bm25s.tokenize([text], stopwords="en", show_progress=False)
            if not tokens.vocab:
                return []
            k = min(limit, len(active))
            docs, scores = retriever.retrieve(tokens, k=k, show_progress=False)
            return [active[int(d)].id for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

        return search

    everything = build(catalog.offerings)

    def rank(case: Case, limit: int) -> Answer:
        search = everything
        if leave_out and case.exclude:
            search = build([o for o in catalog.offerings if o.id not in case.exclude])
        return Answer(search(case.need, limit))

    return rank


def format_reports(reports: Sequence[Report]) -> str:
    """A plain table: one block per ranker, a row per kind."""
    lines = []
    lines.append(
        f"{'ranker':<12} {'kind':<22} {'cases':>5} {'p@1':>6} {'ndcg@10':>8} {'mrr@10':>7} "
        f"{'right':>6} {'empty':>6} {'violations':>10}"
    )
    for report in reports:
        for kind, row in report.rows().items():
            lines.append(
                f"{report.name:<12} {kind:<22} {row['cases']:>5} {row['p@1']:>6.3f} "
                f"{row['ndcg@10']:>8.3f} {row['mrr@10']:>7.3f} {row['right']:>6.3f} "
                f"{row['empty']:>6.3f} {row['violations']:>10.3f}"
            )
        lines.append(f"{report.name:<12} {'(seconds)':<22} {report.seconds:>5.1f}")
    return "\n".join(lines)
