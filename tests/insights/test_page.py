"""The gap report page (/insights): signed in, filtered, escaped, and drawn without scripts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Keys
from tests.insights.conftest import EVER, ask
from tests.web.conftest import sign_in

SCRIPT_NEED = "timesheets <script>window.__pwned=1</script> for staff"


@pytest.fixture
def history(client: TestClient, keys: Keys) -> list[dict[str, Any]]:
    return [
        ask(client, keys, "we need payroll"),
        ask(client, keys, "send invoices", region="DE"),
        ask(client, keys, SCRIPT_NEED),
        ask(client, keys, "timesheets for remote staff"),
        ask(client, keys, "=1+1 timesheets for staff"),
    ]


def test_the_page_needs_a_session_with_the_insights_scope(client: TestClient, keys: Keys) -> None:
    response = client.get("/insights?since=2026-01-01", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in?next=")
    sign_in(client, keys.advocate)
    assert client.get("/insights").status_code == 403


class TestTheReport:
    def test_gaps_trend_and_clusters_are_drawn_server_side(
        self, client: TestClient, keys: Keys, history: list[dict[str, Any]]
    ) -> None:
        sign_in(client, keys.insights)
        response = client.get("/insights", params=EVER)
        assert response.status_code == 200, response.text
        html = response.text
        assert "Content-Security-Policy" in response.headers
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        # one card per gap with its bar, the SVG chart and its numbers, the cluster cards
        cards = html.split('<ol class="gap-cards">')[1].split("</ol>")[0]
        count = cards.count('<li class="gap-card')
        assert count >= 3
        assert cards.count('<svg class="bar"') == count
        assert '<svg class="trend-chart"' in html
        chart = html.split('<svg class="trend-chart"')[1].split("</svg>")[0]
        assert chart.count("<rect ") >= 1
        weeks = re.findall(r'<th scope="row">(\d{4}-W\d\d)</th>', html)
        assert len(weeks) == 1  # one week of data: the chart starts there, not in 2000
        assert "kind-fill-served_elsewhere" in html
        assert "Time tracking" in html
        assert '<link rel="stylesheet" href="/static/insights.css">' in html
        assert 'href="/insights/gaps.csv?since=' in html

    def test_names_with_relationships_instead_of_ids(
        self, client: TestClient, keys: Keys, history: list[dict[str, Any]]
    ) -> None:
        sign_in(client, keys.insights)
        html = client.get("/insights", params=EVER).text
        cards = html.split('<ol class="gap-cards">')[1].split("</ol>")[0]
        # pay-rival is the competitor "Pay Rival" of the test catalogue (tests/factories.py)
        assert re.search(r'>\s*[^<>]+ <span class="rel rel-competitor">competitor</span>', cards)
        assert "pay-rival" not in cards

    def test_every_number_says_what_it_counts(
        self, client: TestClient, keys: Keys, history: list[dict[str, Any]]
    ) -> None:
        sign_in(client, keys.insights)
        html = client.get("/insights", params=EVER).text
        assert re.search(r"<strong>\d+ needs?</strong> recorded", html)
        assert re.search(r"<strong>\d+</strong> needs?</p>", html)  # on each card
        assert "Bars count <em>needs</em>" in html
        assert "Gap facts" in html  # the second series, labelled as such

    def test_what_customers_typed_is_text_and_the_page_has_no_inline_code(
        self, client: TestClient, keys: Keys, history: list[dict[str, Any]]
    ) -> None:
        sign_in(client, keys.insights)
        html = client.get("/insights", params=EVER).text
        assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
        assert "<script>window" not in html
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []  # only script files
        assert " style=" not in html  # no inline styles: the CSP would refuse them
        assert " on" not in re.sub(r"\s+", " ", " ".join(re.findall(r"<[^>]+>", html))).replace(
            " one", ""
        ) or all(not re.search(r"\son[a-z]+=", tag) for tag in re.findall(r"<[^>]+>", html))

    def test_filters_narrow_the_report(
        self, client: TestClient, keys: Keys, history: list[dict[str, Any]]
    ) -> None:
        sign_in(client, keys.insights)
        html = client.get("/insights", params={**EVER, "kind": "unserved"}).text
        cards = html.split('<ol class="gap-cards">')[1].split("</ol>")[0]
        assert "Unserved" in cards
        assert "Served elsewhere" not in cards
        assert 'value="unserved" checked' in html
        html = client.get("/insights", params={**EVER, "channel": "widget"}).text
        assert "No needs were recorded in this window with these filters." in html
        assert "Widen the window" in html  # the empty state says what to do

    def test_invalid_filters_are_shown_on_their_field(
        self, client: TestClient, keys: Keys, history: list[dict[str, Any]]
    ) -> None:
        sign_in(client, keys.insights)
        response = client.get("/insights", params={"since": "soon", "limit": "0"})
        assert response.status_code == 422
        assert 'id="since-problem"' in response.text
        assert 'id="limit-problem"' in response.text
        assert 'value="soon"' in response.text  # what was typed is kept
        assert '<ol class="gap-cards">' not in response.text
        # in words naming the field, not the parser's ("input is too short")
        assert "From is not a date: pick one, or write it as 2026-11-01." in response.text
        assert "Show at most must be a whole number from 1 to 200." in response.text
        assert "too short" not in response.text
        bad_day = client.get("/insights", params={"until": "2026-02-30"})
        assert bad_day.status_code == 422
        assert "To is not a date" in bad_day.text
        backwards = client.get("/insights", params={"since": "2026-12-01", "until": "2026-11-01"})
        assert "From must be before To." in backwards.text

    def test_date_fields_are_days_and_to_includes_its_day(
        self, client: TestClient, keys: Keys, history: list[dict[str, Any]]
    ) -> None:
        sign_in(client, keys.insights)
        created = dt.datetime.fromisoformat(history[0]["created_at"]).date()
        html = client.get("/insights", params={"since": created, "until": created}).text
        assert 'type="date"' in html
        assert re.search(r"<strong>5 needs</strong> recorded", html)
        day_before = created - dt.timedelta(days=1)
        html = client.get("/insights", params={"since": day_before, "until": day_before}).text
        assert "No needs were recorded in this window" in html

    def test_the_csv_download_works_with_the_session(
        self, client: TestClient, keys: Keys, history: list[dict[str, Any]]
    ) -> None:
        sign_in(client, keys.insights)
        response = client.get("/insights/gaps.csv", params=EVER)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert rows
        assert all(not cell.startswith("=") for row in rows for cell in row.values())
        assert client.get("/insights/gaps.csv", params={"since": "x"}).status_code == 422
