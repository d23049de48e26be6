"""What a request adds to a look-up: constraints read in the words it disregards (``ignore``),
the offerings a relaxation admits with their disclosures, and the look-up it refines."""

from __future__ import annotations

from typing import Any

import pytest

from referral_api.matching import Engine
from referral_api.schemas import RecommendationCreate
from referral_api.service.engines import LoadedEngine
from referral_api.service.recommendations import make_recommendation
from tests.factories import make_offering, make_snapshot


@pytest.fixture(scope="module")
def loaded() -> LoadedEngine:
    snapshot = make_snapshot(
        offerings=[
            make_offering(id="ledger-own", relationship="own", regions=["US"]),
            make_offering(
                id="books-partner",
                relationship="partner",
                regions=["US"],
                platforms=["web", "ios"],
                referral={"fee": True, "disclosure": "We may receive a referral fee."},
            ),
            make_offering(id="rival-de", relationship="competitor", regions=["DE"]),
        ]
    )
    return LoadedEngine(1, Engine(snapshot.catalog, snapshot.rules))


def ask(loaded: LoadedEngine, need: str, **constraints: Any) -> dict[str, Any]:
    body = RecommendationCreate.model_validate({"need": need, "constraints": constraints})
    recorded = make_recommendation(
        loaded, body, channel="advocate", key_id=None, redact_needs=False
    )
    return recorded.body


class TestIgnore:
    def test_a_region_read_in_the_words_can_be_disregarded(self, loaded: LoadedEngine) -> None:
        need = "We send invoices, we are in Canada"
        read = ask(loaded, need)
        assert read["interpreted"]["constraints"]["region"] == "CA"
        assert read["results"] == []  # nobody serves Canada

        ignored = ask(loaded, need, ignore=["region"])
        assert ignored["interpreted"]["constraints"]["region"] is None
        stated = {s["name"]: s for s in ignored["interpreted"]["stated"]}
        assert stated["region"]["overridden"] is True  # still shown, as set aside
        assert {r["offering"]["id"] for r in ignored["results"]} >= {"ledger-own", "rival-de"}

    def test_one_value_of_a_list_is_disregarded_alone(self, loaded: LoadedEngine) -> None:
        need = "invoices on iPhone and on Android, under $50 a month"
        read = ask(loaded, need)["interpreted"]["constraints"]
        assert set(read["platforms"]) == {"ios", "android"}
        kept = ask(loaded, need, ignore=["platforms=android"])["interpreted"]["constraints"]
        assert kept["platforms"] == ["ios"]
        assert kept["budget_monthly"] == 50

    def test_dropping_the_budget_drops_its_currency(self, loaded: LoadedEngine) -> None:
        constraints = ask(loaded, "invoices under €20 a month", ignore=["budget_monthly"])[
            "interpreted"
        ]["constraints"]
        assert constraints["budget_monthly"] is None
        assert constraints["currency"] is None

    def test_a_structured_value_still_applies(self, loaded: LoadedEngine) -> None:
        body = ask(loaded, "invoices, we are in Canada", region="DE", ignore=["region"])
        assert body["interpreted"]["constraints"]["region"] == "DE"

    @pytest.mark.parametrize(
        "name",
        [
            "colour",  # not a constraint
            "region=CA=US",  # one value at a time
            "Region",  # field names are lower case
        ],
    )
    def test_an_unknown_name_is_refused(self, name: str) -> None:
        with pytest.raises(ValueError, match="ignore"):
            RecommendationCreate.model_validate(
                {"need": "invoices", "constraints": {"ignore": [name]}}
            )


def test_a_relaxation_names_and_discloses_what_it_admits(loaded: LoadedEngine) -> None:
    body = ask(loaded, "We send invoices", region="CA")
    assert body["results"] == []
    assert body["relaxations"]
    for relaxation in body["relaxations"]:
        admitted = {a["offering"]["id"]: a for a in relaxation["offerings"]}
        assert set(admitted) == set(relaxation["admits"])
        for item in admitted.values():
            assert item["offering"]["name"]
            assert item["disclosure"]["relationship"] == item["offering"]["relationship"]
            assert item["disclosure"]["text"]


def test_a_refined_look_up_keeps_the_link_with_its_request(loaded: LoadedEngine) -> None:
    body = RecommendationCreate.model_validate({"need": "invoices"})
    recorded = make_recommendation(
        loaded, body, channel="advocate", key_id=None, redact_needs=False, refines="rec_first"
    )
    assert recorded.row["request"]["refines"] == "rec_first"
    plain = make_recommendation(loaded, body, channel="advocate", key_id=None, redact_needs=False)
    assert "refines" not in plain.row["request"]
