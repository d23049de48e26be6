"""Gap facts derived from a recorded recommendation (here read back from a stored row, as the
store reads one): one kind per requested capability."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from referral_api.insights.gaps import (
    GapFact,
    GapKind,
    constraint_kind,
    derive_gap_facts,
    iso_week,
    week_start,
)
from referral_api.store.records import record_from_row

AT = dt.datetime(2026, 11, 25, 15, 30, tzinfo=dt.UTC)  # a Wednesday of ISO week 48


def fit(offering: str, relationship: str, **coverage: str) -> dict[str, Any]:
    return {
        "offering": {"id": offering, "relationship": relationship},
        "coverage": [{"capability": c.replace("_", "-"), "status": s} for c, s in coverage.items()],
    }


def record(
    *capabilities: str,
    results: list[dict[str, Any]] | None = None,
    rejected: list[dict[str, Any]] | None = None,
    best_own: dict[str, Any] | None = None,
    unmet: list[str] | None = None,
    not_understood: list[str] | None = None,
    region: str | None = None,
    segment: str | None = None,
) -> dict[str, Any]:
    return {
        "id": "rec_1",
        "created_at": AT,
        "channel": "widget",
        "catalog_version_id": 3,
        "response": {
            "interpreted": {
                "capabilities": [{"id": c} for c in capabilities],
                "constraints": {"region": region, "segment": segment},
                "not_understood": not_understood or [],
            },
            "results": results or [],
            "rejected": rejected or [],
            "best_own": best_own,
            "unmet": [{"capability": c, "detail": "…"} for c in unmet or []],
        },
    }


def facts_of_row(row: dict[str, Any]) -> list[GapFact]:
    """The facts of a stored row, read back as a record the way the store reads it."""
    return derive_gap_facts(record_from_row(row))


def kinds(rec: dict[str, Any]) -> list[tuple[str | None, GapKind]]:
    return [(f.capability, f.kind) for f in facts_of_row(rec)]


class TestKinds:
    def test_unmet_is_unserved(self) -> None:
        facts = facts_of_row(record("time-tracking", unmet=["time-tracking"]))
        assert [(f.capability, f.kind, f.missed_constraint) for f in facts] == [
            ("time-tracking", GapKind.UNSERVED, None)
        ]

    def test_nothing_meeting_the_must_haves_is_unserved_with_the_nearest_miss(self) -> None:
        rejected = [
            {
                "offering": {"id": "pay-rival", "relationship": "competitor"},
                "does_not_meet": [{"name": "budget", "ok": False, "hard": True}],
            }
        ]
        facts = facts_of_row(record("payroll", rejected=rejected))
        assert [(f.kind, f.missed_constraint) for f in facts] == [(GapKind.UNSERVED, "budget")]

    def test_our_full_best_fit_is_served(self) -> None:
        rec = record(
            "invoicing",
            results=[
                fit("ours", "own", invoicing="full"),
                fit("theirs", "competitor", invoicing="full"),
            ],
            best_own={"offering_id": "ours", "rank": 1},
        )
        assert kinds(rec) == [("invoicing", GapKind.SERVED)]

    @pytest.mark.parametrize("status", ["partial", "via-narrower", "via-broader", "related"])
    def test_our_best_fit_covering_it_in_part_is_partly_served(self, status: str) -> None:
        rec = record(
            "invoicing",
            results=[fit("ours", "own", invoicing=status)],
            best_own={"offering_id": "ours", "rank": 1},
        )
        (fact,) = facts_of_row(rec)
        assert (fact.kind, fact.coverage, fact.own_offering_id) == (
            GapKind.PARTLY_SERVED,
            status,
            "ours",
        )

    def test_ours_missing_a_must_have_where_another_fits_is_served_elsewhere(self) -> None:
        """Issue 18: this was "partly served"; ours serves nothing here, another does."""
        rejected = [
            {
                "offering": {"id": "ours", "relationship": "own"},
                "does_not_meet": [
                    {"name": "region", "ok": False, "hard": True},
                    {"name": "platforms", "ok": False, "hard": True},
                ],
            }
        ]
        rec = record(
            "invoicing",
            results=[fit("theirs", "partner", invoicing="full")],
            rejected=rejected,
            best_own={"offering_id": "ours", "rank": None},
        )
        (fact,) = facts_of_row(rec)
        assert (fact.kind, fact.missed_constraint, fact.other_offering_id) == (
            GapKind.SERVED_ELSEWHERE,
            "region",
            "theirs",
        )

    def test_best_own_names_the_must_have_it_misses(self) -> None:
        rec = record(
            "invoicing",
            results=[fit("theirs", "partner", invoicing="full")],
            best_own={"offering_id": "ours", "rank": None, "does_not_meet": ["must_have:payroll"]},
        )
        (fact,) = facts_of_row(rec)
        assert (fact.kind, fact.missed_constraint) == (GapKind.SERVED_ELSEWHERE, "must_have")

    def test_nothing_fitting_while_ours_misses_an_unshown_must_have_is_unserved(self) -> None:
        rec = record("invoicing", best_own={"offering_id": "ours", "rank": None})
        (fact,) = facts_of_row(rec)
        assert (fact.kind, fact.missed_constraint) == (GapKind.UNSERVED, "unstated")

    def test_unserved_names_the_must_have_most_candidates_fail(self) -> None:
        def miss(offering: str, *names: str) -> dict[str, Any]:
            return {
                "offering": {"id": offering, "relationship": "competitor"},
                "does_not_meet": [{"name": n, "ok": False, "hard": True} for n in names],
            }

        rejected = [miss("a", "budget"), miss("b", "region"), miss("c", "region", "budget")]
        rec = record("payroll", results=[fit("x", "other", invoicing="full")], rejected=rejected)
        assert [(f.kind, f.missed_constraint) for f in facts_of_row(rec)] == [
            (GapKind.UNSERVED, "region")
        ]

    def test_a_better_fit_not_ours_is_served_elsewhere_by_it(self) -> None:
        rec = record(
            "payroll",
            "invoicing",
            results=[
                fit("theirs", "competitor", payroll="full", invoicing="missing"),
                fit("ours", "own", payroll="partial", invoicing="full"),
            ],
            best_own={"offering_id": "ours", "rank": 2},
        )
        facts = facts_of_row(rec)
        assert [(f.capability, f.kind, f.other_offering_id, f.coverage) for f in facts] == [
            ("payroll", GapKind.SERVED_ELSEWHERE, "theirs", "partial"),
            ("invoicing", GapKind.SERVED, None, "full"),
        ]
        assert facts[0].other_relationship == "competitor"

    def test_not_understood_phrases_make_one_fact_per_need(self) -> None:
        rec = record(not_understood=["blockchain  ledger", "Blockchain ledger", "llamas"])
        facts = facts_of_row(rec)
        assert [(f.capability, f.kind, f.term, f.coverage) for f in facts] == [
            (None, GapKind.NOT_UNDERSTOOD, "blockchain ledger … llamas", "part"),
        ]

    def test_a_need_not_understood_is_one_fact_not_demand(self) -> None:
        """The ask was not understood: the capabilities read in its context are no demand."""
        rec = record("banking", not_understood=["riprap or retaining walls"])
        rec["response"]["interpreted"]["ask_understood"] = False
        assert [(f.capability, f.kind, f.term, f.coverage) for f in facts_of_row(rec)] == [
            (None, GapKind.NOT_UNDERSTOOD, "riprap or retaining walls", "whole"),
        ]

    def test_a_capability_read_only_in_the_context_is_not_demand(self) -> None:
        rec = record("payroll", "accounting-services", unmet=["payroll"])
        rec["response"]["interpreted"]["capabilities"][1]["central"] = False
        assert kinds(rec) == [("payroll", GapKind.UNSERVED)]


class TestFilterColumns:
    def test_facts_carry_the_record_s_filter_columns(self) -> None:
        (fact,) = facts_of_row(record("x", unmet=["x"], region="de", segment="small"))
        assert (fact.recommendation_id, fact.channel, fact.catalog_version_id) == (
            "rec_1",
            "widget",
            3,
        )
        assert (fact.region, fact.segment, fact.created_at) == ("DE", "small", AT)
        assert fact.week == dt.date(2026, 11, 23)

    def test_the_same_record_gives_the_same_facts(self) -> None:
        rec = record("a", "b", unmet=["a"], not_understood=["zz"])
        assert facts_of_row(rec) == facts_of_row(rec)

    def test_exactly_one_fact_per_need_leads(self) -> None:
        facts = facts_of_row(record("a", "b", unmet=["a", "b"], not_understood=["zz"]))
        assert [f.lead for f in facts] == [1, 0, 0]
        # and one per need and kind: the weekly trend sums these to count needs of a kind
        assert [f.kind_lead for f in facts] == [1, 0, 1]

    def test_a_capability_read_twice_counts_once(self) -> None:
        assert kinds(record("a", "a", unmet=["a"])) == [("a", GapKind.UNSERVED)]


@pytest.mark.parametrize(
    ("moment", "monday", "label"),
    [
        (dt.datetime(2026, 11, 23, 0, 0, tzinfo=dt.UTC), dt.date(2026, 11, 23), "2026-W48"),
        (dt.datetime(2026, 11, 29, 23, 59, tzinfo=dt.UTC), dt.date(2026, 11, 23), "2026-W48"),
        # Monday 01:00 in Berlin is still Sunday in UTC: weeks are UTC weeks
        (
            dt.datetime(2026, 11, 30, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            dt.date(2026, 11, 23),
            "2026-W48",
        ),
        # 1 January 2027 is a Friday of ISO week 2026-W53
        (dt.datetime(2027, 1, 1, 12, 0, tzinfo=dt.UTC), dt.date(2026, 12, 28), "2026-W53"),
    ],
)
def test_weeks_are_iso_weeks_in_utc(moment: dt.datetime, monday: dt.date, label: str) -> None:
    assert week_start(moment) == monday
    assert iso_week(monday) == label


def test_constraint_kinds_drop_the_value() -> None:
    assert constraint_kind("must_have:payroll") == "must_have"
    assert constraint_kind("region") == "region"
