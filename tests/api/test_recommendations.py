"""POST/GET recommendations and outcomes: the v1 shape, records, redaction, outcomes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from referral_api.service.keys import create_key
from referral_api.store.db import Database
from referral_api.store.models import RecommendationRecord
from tests.api.conftest import WIDGET_ORIGIN, Keys

NEED = {"need": "We send invoices and run payroll", "constraints": {"region": "DE"}, "limit": 5}


HUGE = "1" + "0" * 309  # a float() of it is infinite


class TestAmountsOfAnySize:
    """Issue 16, defect 2: an amount of any size in the words was a 500 (OverflowError) through
    every recommend key, and reset the keep-alive connection. Now it is read, clamped."""

    @pytest.mark.parametrize(
        "need",
        [
            f"invoicing under ${HUGE} a month",
            f"invoicing under {HUGE}k per day",
            f"payroll, budget €{HUGE[:40]},50 a year",
        ],
    )
    @pytest.mark.parametrize("caller", ["recommend", "widget"])
    def test_is_answered_and_stored(
        self, client: TestClient, keys: Keys, need: str, caller: str
    ) -> None:
        headers = keys.auth(getattr(keys, caller))
        if caller == "widget":
            headers["Origin"] = WIDGET_ORIGIN
        response = client.post("/v1/recommendations", json={"need": need}, headers=headers)
        assert response.status_code == 201, response.text
        budget = response.json()["interpreted"]["constraints"]["budget_monthly"]
        assert budget is None or 0 <= budget <= 1e9
        again = client.post("/v1/recommendations", json={"need": "invoicing"}, headers=headers)
        assert again.status_code == 201  # the connection goes on


class TestRecommend:
    def test_returns_the_v1_shape_and_stores_a_record(self, client: TestClient, keys: Keys) -> None:
        response = client.post("/v1/recommendations", json=NEED, headers=keys.auth(keys.recommend))
        assert response.status_code == 201, response.text
        body = response.json()
        for field in (
            "id",
            "interpreted",
            "results",
            "best_own",
            "bundles",
            "unmet",
            "relaxations",
            "coverage",
            "summary",
            "rules_version",
            "engine_version",
        ):
            assert field in body
        assert body["channel"] == "api"
        first = body["results"][0]
        assert set(first) >= {
            "rank",
            "score",
            "offering",
            "coverage",
            "constraints",
            "reasons",
            "caveats",
            "reviewed",
            "disclosure",
        }
        stored = client.get(f"/v1/recommendations/{body['id']}", headers=keys.auth(keys.advocate))
        assert stored.status_code == 200
        assert stored.json() == body | {"outcome": None}

    def test_need_text_is_redacted_before_it_is_stored(
        self, client: TestClient, keys: Keys
    ) -> None:
        need = {"need": "invoices please, mail me at jo@example.com or +49 151 2345 6789"}
        body = client.post("/v1/recommendations", json=need, headers=keys.auth(keys.admin)).json()
        record = client.get(f"/v1/recommendations/{body['id']}", headers=keys.auth(keys.admin))
        text = record.json()["interpreted"]
        assert "jo@example.com" not in str(record.json())
        assert text is not None

    def test_the_need_text_comes_back_as_stored(
        self, client: TestClient, keys: Keys, database: Database
    ) -> None:
        """Issue 19: GET of a recommendation did not return the need; it returns it redacted,
        as stored, and the POST's answer carries the same text."""
        need = {"need": "invoices please, mail me at jo@example.com or +49 151 2345 6789"}
        made = client.post("/v1/recommendations", json=need, headers=keys.auth(keys.admin))
        assert made.status_code == 201, made.text
        read = client.get(f"/v1/recommendations/{made.json()['id']}", headers=keys.auth(keys.admin))
        with database.session(write=False) as session:
            record = session.get(RecommendationRecord, made.json()["id"])
            assert record is not None
            stored = record.need_text
        assert made.json()["need"] == read.json()["need"] == stored
        assert stored == "invoices please, mail me at [email] or [phone]"

    def test_a_response_stored_without_the_need_reads_it_from_the_record(
        self, client: TestClient, keys: Keys, database: Database
    ) -> None:
        made = client.post("/v1/recommendations", json=NEED, headers=keys.auth(keys.admin))
        with database.session() as session:
            record = session.get(RecommendationRecord, made.json()["id"])
            assert record is not None
            record.response = {k: v for k, v in record.response.items() if k != "need"}
        read = client.get(f"/v1/recommendations/{made.json()['id']}", headers=keys.auth(keys.admin))
        assert read.json()["need"] == NEED["need"]

    @pytest.mark.parametrize(
        "secret",
        [
            "4111\u00a01111\u00a01111\u00a01111",
            "4111\u20091111\u20091111\u20091111",
            "4111\u20111111\u20111111\u20111111",
            "+44\u00a020\u00a07946\u00a00958",
            "415–555–2671",
            "ü@exämple.de",
        ],
    )
    def test_numbers_with_unicode_separators_are_redacted_before_they_are_stored(
        self, client: TestClient, keys: Keys, database: Database, secret: str
    ) -> None:
        """Issue 16, defect 4: these were stored verbatim."""
        need = {"need": f"invoicing please, reach me at {secret} thanks"}
        made = client.post("/v1/recommendations", json=need, headers=keys.auth(keys.admin))
        assert made.status_code == 201, made.text
        with database.session(write=False) as session:
            record = session.get(RecommendationRecord, made.json()["id"])
            assert record is not None
            assert secret not in record.need_text
            assert record.need_text.startswith("invoicing please, reach me at [")
            assert record.need_text.endswith("] thanks")

    def test_widget_key_works_from_its_origin_only(self, client: TestClient, keys: Keys) -> None:
        headers = keys.auth(keys.widget) | {"Origin": WIDGET_ORIGIN}
        ok = client.post("/v1/recommendations", json=NEED, headers=headers)
        assert ok.status_code == 201
        assert ok.headers["access-control-allow-origin"] == WIDGET_ORIGIN
        assert ok.json()["channel"] == "widget"
        elsewhere = client.post(
            "/v1/recommendations",
            json=NEED,
            headers=keys.auth(keys.widget) | {"Origin": "https://evil.example"},
        )
        assert elsewhere.status_code == 403
        assert "access-control-allow-origin" not in elsewhere.headers

    def test_preflight_answers_only_for_allowed_origins(self, client: TestClient) -> None:
        ask = {"Access-Control-Request-Method": "POST"}
        ok = client.options("/v1/recommendations", headers=ask | {"Origin": WIDGET_ORIGIN})
        assert ok.status_code == 204
        assert ok.headers["access-control-allow-origin"] == WIDGET_ORIGIN
        no = client.options("/v1/recommendations", headers=ask | {"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in no.headers


class TestWidgetKeyOrigins:
    """Widget keys are checked against the Origin a browser sends, wherever the page is."""

    @staticmethod
    def widget_key(database: Database, origin: str, **options: object) -> str:
        with database.session() as session:
            return create_key(
                session, name="w", scopes=["recommend"], publishable=True, origins=[origin],
                **options,  # type: ignore[arg-type]
            ).secret  # fmt: skip

    def test_a_widget_on_the_api_s_own_site_works_when_that_site_is_allowed(
        self, client: TestClient, database: Database, keys: Keys
    ) -> None:
        own = "http://testserver"  # TestClient's origin
        secret = self.widget_key(database, own)
        ok = client.post(
            "/v1/recommendations", json=NEED, headers=keys.auth(secret) | {"Origin": own}
        )
        assert ok.status_code == 201, ok.text
        assert ok.json()["channel"] == "widget"
        # a key for another site stays refused here, and without any Origin at all
        other = client.post(
            "/v1/recommendations", json=NEED, headers=keys.auth(keys.widget) | {"Origin": own}
        )
        assert other.status_code == 403
        bare = client.post("/v1/recommendations", json=NEED, headers=keys.auth(secret))
        assert bare.status_code == 403

    def test_a_cross_origin_429_is_readable_by_the_widget(
        self, client: TestClient, database: Database, keys: Keys
    ) -> None:
        secret = self.widget_key(database, WIDGET_ORIGIN, rate_limit_per_minute=1)
        headers = keys.auth(secret) | {"Origin": WIDGET_ORIGIN}
        assert client.post("/v1/recommendations", json=NEED, headers=headers).status_code == 201
        limited = client.post("/v1/recommendations", json=NEED, headers=headers)
        assert limited.status_code == 429
        assert limited.headers["access-control-allow-origin"] == WIDGET_ORIGIN
        assert "Retry-After" in limited.headers["access-control-expose-headers"]


class TestOutcome:
    def test_outcome_is_recorded_once(self, client: TestClient, keys: Keys) -> None:
        body = client.post(
            "/v1/recommendations", json=NEED, headers=keys.auth(keys.advocate)
        ).json()
        chosen = body["results"][0]["offering"]["id"]
        url = f"/v1/recommendations/{body['id']}/outcome"
        outcome = {"outcome": "accepted", "offering_id": chosen, "note": "trial"}
        first = client.post(url, json=outcome, headers=keys.auth(keys.advocate))
        assert first.status_code == 201, first.text
        again = client.post(url, json=outcome, headers=keys.auth(keys.advocate))
        assert again.status_code == 409
        record = client.get(f"/v1/recommendations/{body['id']}", headers=keys.auth(keys.advocate))
        assert record.json()["outcome"]["offering_id"] == chosen

    def test_recommend_only_keys_record_their_own_outcomes_only(
        self, client: TestClient, keys: Keys
    ) -> None:
        body = client.post("/v1/recommendations", json=NEED, headers=keys.auth(keys.admin)).json()
        url = f"/v1/recommendations/{body['id']}/outcome"
        response = client.post(url, json={"outcome": "declined"}, headers=keys.auth(keys.recommend))
        assert response.status_code == 403


def test_a_recommend_key_reads_only_its_own_records(client: TestClient, keys: Keys) -> None:
    mine = client.post("/v1/recommendations", json=NEED, headers=keys.auth(keys.recommend)).json()
    other = client.post("/v1/recommendations", json=NEED, headers=keys.auth(keys.admin)).json()
    auth = keys.auth(keys.recommend)
    assert client.get(f"/v1/recommendations/{mine['id']}", headers=auth).status_code == 200
    assert client.get(f"/v1/recommendations/{other['id']}", headers=auth).status_code == 403
