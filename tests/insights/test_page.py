"""The gap report page (/insights): signed in, filtered, escaped, and drawn without scripts."""

from __future__ import annotations

import csv
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
        # the ranked table with bars, the SVG chart and its numbers, the cluster cards
        table = html.split('<table class="gap-table">')[1].split("</table>")[0]
        rows = table.split("<tbody>")[1].count("<tr>")
        assert rows >= 3
        assert table.count('<svg class="bar"') == rows
        assert '<svg class="trend-chart"' in html
        chart = html.split('<svg class="trend-chart"')[1].split("</svg>")[0]
        assert chart.count("<rect ") >= 1
        weeks = re.findall(r'<th scope="row">(\d{4}-W\d\d)</th>', html)
        assert len(weeks) == 1  # one week of data: the chart starts there, not in 2000
        assert "kind-fill-served_elsewhere" in html
        assert "Time tracking" in html
        assert "customers asked for something like" in html
        assert 'href="/insights/gaps.csv?since=' in html

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
        html = client.get("/insights", params={**EVER, "kind": "partly_served"}).text
        table = html.split('<table class="gap-table">')[1].split("</table>")[0]
        assert "Partly served" in table
        assert "Served elsewhere" not in table
        assert 'value="partly_served" checked' in html
        html = client.get("/insights", params={**EVER, "channel": "widget"}).text
        assert "No gaps in this window" in html

    def test_invalid_filters_are_shown_on_their_field(
        self, client: TestClient, keys: Keys, history: list[dict[str, Any]]
    ) -> None:
        sign_in(client, keys.insights)
        response = client.get("/insights", params={"since": "soon", "limit": "0"})
        assert response.status_code == 422
        assert 'id="since-problem"' in response.text
        assert 'id="limit-problem"' in response.text
        assert 'value="soon"' in response.text  # what was typed is kept
        assert '<table class="gap-table">' not in response.text

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
