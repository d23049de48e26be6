"""The quality metrics of ``referral eval``, on cases whose answers are known by hand."""

from __future__ import annotations

import math

import pytest

from referral_api.domain import Catalog, Rules
from referral_api.errors import InputError
from referral_api.matching.evaluation import Case, Scores, dcg, evaluate, read_cases
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
    report = evaluate("fixed", [case], lambda case, limit: ["a", "b"], demo_catalog, rules)
    assert report.overall.row()["p@1"] == 1.0


def test_violations_are_judged_from_the_facts(demo_catalog: Catalog, rules: Rules) -> None:
    no_ios = next(o for o in demo_catalog.offerings if o.active and "ios" not in o.platforms)
    case = Case("x", "k", "need", {}, constraints={"platforms": ["ios"]})
    report = evaluate("fixed", [case], lambda case, limit: [no_ios.id], demo_catalog, rules)
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
