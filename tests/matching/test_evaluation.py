"""The quality metrics of ``referral eval``, on cases whose answers are known by hand."""

from __future__ import annotations

import math

import pytest

from referral_api.domain import Catalog, Rules
from referral_api.errors import InputError
from referral_api.matching.evaluation import (
    Answer,
    Case,
    Scores,
    dcg,
    engine_ranker,
    evaluate,
    read_cases,
    without,
)
from tests.conftest import ROOT


def test_dcg_uses_graded_gain_and_log_discount() -> None:
    assert dcg([2, 0, 1]) == pytest.approx(3 / math.log2(2) + 1 / math.log2(4))


@pytest.mark.parametrize(
    ("grades", "ideal", "p1", "mrr"),
    [
        ([1, 0], [1], 1.0, 1.0),
        ([0, 0, 1], [1], 0.0, 1 / 3),
        ([], [1], 0.0, 0.0),  # empty answers count as empty and miss
    ],
)
def test_scores(grades: list[int], ideal: list[int], p1: float, mrr: float) -> None:
    scores = Scores()
    scores.add(grades, ideal, violated=0)
    row = scores.row()
    assert row["p@1"] == p1
    assert row["mrr@10"] == round(mrr, 3)
    assert row["empty"] == (0.0 if grades else 1.0)


def test_exclusions_are_removed_before_scoring(demo_catalog: Catalog, rules: Rules) -> None:
    case = Case("x", "k", "need", {"b": 1}, exclude=("a",))
    report = evaluate("fixed", [case], lambda case, limit: Answer(["a", "b"]), demo_catalog, rules)
    assert report.overall.row()["p@1"] == 1.0


def test_violations_are_judged_from_the_facts(demo_catalog: Catalog, rules: Rules) -> None:
    no_ios = next(o for o in demo_catalog.offerings if o.active and "ios" not in o.platforms)
    case = Case("x", "k", "need", {}, constraints={"platforms": ["ios"]})
    report = evaluate("fixed", [case], lambda case, limit: Answer([no_ios.id]), demo_catalog, rules)
    assert report.overall.row()["violations"] == 1.0


def test_bad_case_line_is_named() -> None:
    with pytest.raises(InputError, match=r"cases\.jsonl:2"):
        list(read_cases(['{"id": "a", "need": "x"}', "{not json"], "cases.jsonl"))


def test_demo_needs_are_valid_cases(demo_catalog: Catalog) -> None:
    path = ROOT / "tests" / "data" / "demo_needs.jsonl"
    cases = list(read_cases(path.read_text(encoding="utf-8").splitlines(), str(path)))
    assert len(cases) >= 40
    ids = {o.id for o in demo_catalog.offerings}
    assert all(set(c.relevant) <= ids for c in cases)


class TestWhatTheWordsState:
    """``hard`` constraints (stated in words) count as violations like structured ones."""

    def test_a_result_outside_the_stated_region_is_a_violation(
        self, demo_catalog: Catalog, rules: Rules
    ) -> None:
        us_only = next(o for o in demo_catalog.offerings if o.active and o.regions == ("US",))
        case = Case("x", "k", "payroll in Texas", {us_only.id: 1}, hard={"region": "DE"})
        report = evaluate("fixed", [case], lambda c, n: Answer([us_only.id]), demo_catalog, rules)
        assert report.overall.row()["violations"] == 1.0

    def test_a_result_over_the_stated_budget_is_a_violation(
        self, demo_catalog: Catalog, rules: Rules
    ) -> None:
        pricey = next(
            o
            for o in demo_catalog.offerings
            if o.active and o.price and (o.price.monthly_from or 0) > 100
        )
        hard = {"budget_monthly": 10, "currency": "USD"}
        case = Case("x", "k", "cheap", {pricey.id: 1}, hard=hard)
        report = evaluate("fixed", [case], lambda c, n: Answer([pricey.id]), demo_catalog, rules)
        assert report.overall.row()["violations"] == 1.0


class TestHonestAnswers:
    """Nothing-fits and out-of-domain cases are right when no fit is claimed; half-served ones
    when a fit is given and the unserved part is named."""

    @pytest.mark.parametrize(("ids", "right"), [([], 1.0), (["ledgerly-books"], 0.0)])
    def test_no_fit_expected(
        self, demo_catalog: Catalog, rules: Rules, ids: list[str], right: float
    ) -> None:
        case = Case("x", "out-of-domain", "a DJ for our party", {})
        report = evaluate("fixed", [case], lambda c, n: Answer(ids), demo_catalog, rules)
        assert report.overall.row()["right"] == right
        assert report.overall.graded == 0  # no P@1 for a case with nothing relevant

    @pytest.mark.parametrize(
        ("answer", "right"),
        [
            (Answer(["ledgerly-payroll"], "website builder"), 1.0),
            (Answer(["ledgerly-payroll"], ""), 0.0),  # the unserved part is not named
            (Answer([], "website builder"), 0.0),  # no fit for the served part
        ],
    )
    def test_half_served(
        self, demo_catalog: Catalog, rules: Rules, answer: Answer, right: float
    ) -> None:
        case = Case(
            "x",
            "half-served",
            "payroll and a website builder",
            {"ledgerly-payroll": 2},
            unserved="website",
        )
        report = evaluate("fixed", [case], lambda c, n: answer, demo_catalog, rules)
        assert report.overall.row()["right"] == right


def test_leave_one_out_ranks_without_the_excluded_offering(
    demo_catalog: Catalog, rules: Rules
) -> None:
    """The offering the customer already has is not in the catalogue the engine ranks."""
    reduced = without(demo_catalog, ["ledgerly-books"])
    assert "ledgerly-books" not in {o.id for o in reduced.offerings}
    case = Case("x", "alternative", "bookkeeping with bank feeds", {}, exclude=("ledgerly-books",))
    kept = engine_ranker(demo_catalog, rules, leave_out=False)(case, 10)
    left_out = engine_ranker(demo_catalog, rules)(case, 10)
    assert "ledgerly-books" in kept.ids  # (so the assertion below can fail)
    assert "ledgerly-books" not in left_out.ids


@pytest.mark.parametrize(
    "name",
    [
        "customer_needs",
        "check_needs",
        "fresh_needs",
        "blind_needs",
        "blind2_needs",
        "blind3_needs",
        "blind4_needs",
        "blind5_needs",
    ],
)
def test_labelled_needs_are_valid_cases(demo_catalog: Catalog, rules: Rules, name: str) -> None:
    """The labelled needs in tests/data: every relevant offering exists and meets the
    constraints the words state (labels come from the catalogue's facts); the main set holds
    at least 250, 40 of them out of domain."""
    from referral_api.matching.evaluation import violates

    path = ROOT / "tests" / "data" / f"{name}.jsonl"
    cases = list(read_cases(path.read_text(encoding="utf-8").splitlines(), str(path)))
    by_id = {o.id: o for o in demo_catalog.offerings}
    for case in cases:
        assert all(i in by_id for i in case.relevant), case.id
        assert all(not violates(by_id[i], case.judged(), rules) for i in case.relevant), case.id
        if case.unserved:
            assert case.unserved in case.need.lower()
    if name == "customer_needs":
        assert len(cases) >= 250
        assert sum(1 for c in cases if c.kind == "out-of-domain") >= 40


def test_the_engine_keeps_its_floor_on_the_labelled_needs(
    demo_catalog: Catalog, rules: Rules
) -> None:
    """A guard against regressions, well under what the engine measures today (``referral
    eval --cases tests/data/customer_needs.jsonl``): honest answers overall, few results that
    break a must-have the words state, out-of-domain needs refused, every language read."""
    path = ROOT / "tests" / "data" / "customer_needs.jsonl"
    cases = list(read_cases(path.read_text(encoding="utf-8").splitlines(), str(path)))
    report = evaluate("engine", cases, engine_ranker(demo_catalog, rules), demo_catalog, rules)
    rows = report.rows()
    assert rows["overall"]["right"] >= 0.75
    assert rows["overall"]["violations"] <= 0.06
    assert rows["out-of-domain"]["right"] >= 0.65
    assert rows["nothing-fits"]["right"] >= 0.5
    assert rows["language"]["p@1"] >= 0.7
