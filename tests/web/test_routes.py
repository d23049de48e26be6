"""The console, the widget and its demo, through HTTP (the browser tests drive the same pages)."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from referral_api.web.rendering import STATIC_DIR
from tests.web.conftest import Keys, csrf_of, sign_in

NEED = "We send invoices and run payroll"
XSS = "<img src=x onerror=window.__pwned=1>"


def look_up(client: TestClient, token: str, **fields: object) -> str:
    """Post the look-up form; the record id it redirected to."""
    data = {"need": NEED, "csrf_token": token} | fields
    response = client.post("/console/look-up", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/console/r/(rec_\w+)#result", response.headers["location"])
    assert found is not None
    return found.group(1)


class TestLookUp:
    def test_a_look_up_is_recorded_on_the_advocate_channel(
        self, client: TestClient, keys: Keys
    ) -> None:
        token = sign_in(client, keys.advocate)
        record_id = look_up(client, token, region="DE", platforms=["web"], budget="50")
        stored = client.get(f"/v1/recommendations/{record_id}", headers=keys.auth(keys.advocate))
        assert stored.json()["channel"] == "advocate"
        assert stored.json()["interpreted"]["constraints"]["region"] == "DE"
        assert stored.json()["interpreted"]["constraints"]["budget_monthly"] == 50

    def test_an_admin_key_in_the_console_is_an_advocate_too(
        self, client: TestClient, keys: Keys
    ) -> None:
        record_id = look_up(client, sign_in(client, keys.admin))
        stored = client.get(f"/v1/recommendations/{record_id}", headers=keys.auth(keys.admin))
        assert stored.json()["channel"] == "advocate"

    def test_the_result_page_shows_cards_disclosures_comparison_and_message(
        self, client: TestClient, keys: Keys
    ) -> None:
        record_id = look_up(client, sign_in(client, keys.advocate))
        page = client.get(f"/console/r/{record_id}")
        assert page.status_code == 200
        text = html.unescape(page.text)
        assert 'class="card"' in text
        assert "disclosure-badge" in text
        assert "Top 3 side by side" in text or "Top 2 side by side" in text
        assert "Copy for customer" in text
        assert "we receive nothing for recommending it" in text or "our own product" in text
        assert page.headers["cache-control"] == "no-store"

    @pytest.mark.parametrize(
        ("fields", "field", "says"),
        [
            ({"need": "  "}, "need", "Describe what the customer needs"),
            ({"budget": "fifty"}, "budget", "as a number"),
            ({"must_have": "invoicng"}, "must_have", "unknown capability"),
            ({"region": "Atlantis"}, "region", "not an ISO 3166"),
        ],
    )
    def test_problems_are_shown_next_to_their_fields(
        self, client: TestClient, keys: Keys, fields: dict[str, str], field: str, says: str
    ) -> None:
        token = sign_in(client, keys.advocate)
        data = {"need": NEED, "csrf_token": token} | fields
        response = client.post("/console/look-up", data=data)
        assert response.status_code == 422
        assert f'id="{field}-problem"' in response.text
        assert says in html.unescape(response.text)

    def test_typed_markup_is_shown_as_text(self, client: TestClient, keys: Keys) -> None:
        token = sign_in(client, keys.advocate)
        record_id = look_up(client, token, need=f"invoices {XSS}")
        page = client.get("/console").text + client.get(f"/console/r/{record_id}").text
        assert XSS not in page
        assert "&lt;img src=x onerror=window.__pwned=1&gt;" in page

    def test_recent_look_ups_belong_to_this_session(self, client: TestClient, keys: Keys) -> None:
        other = client.post(
            "/v1/recommendations", json={"need": "payroll please"}, headers=keys.auth(keys.advocate)
        )
        assert other.status_code == 201  # same key, but the API, not this console session
        token = sign_in(client, keys.advocate)
        record_id = look_up(client, token)
        console = client.get("/console").text
        assert f"/console/r/{record_id}" in console
        assert other.json()["id"] not in console

    def test_an_unknown_look_up_is_a_page_404(self, client: TestClient, keys: Keys) -> None:
        sign_in(client, keys.advocate)
        response = client.get("/console/r/rec_nothing")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")


class TestOutcome:
    def test_one_click_records_the_outcome(self, client: TestClient, keys: Keys) -> None:
        token = sign_in(client, keys.advocate)
        record_id = look_up(client, token)
        stored = client.get(f"/v1/recommendations/{record_id}", headers=keys.auth(keys.advocate))
        chosen = stored.json()["results"][0]["offering"]["id"]
        response = client.post(
            f"/console/r/{record_id}/outcome",
            data={
                "outcome": "accepted",
                "offering_id": chosen,
                "note": "trial",
                "csrf_token": token,
            },
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert "Outcome recorded." in client.get(response.headers["location"]).text
        outcome = client.get(
            f"/v1/recommendations/{record_id}", headers=keys.auth(keys.advocate)
        ).json()["outcome"]
        assert outcome["outcome"] == "accepted"
        assert outcome["offering_id"] == chosen
        assert outcome["note"] == "trial"
        assert outcome["recorded_by"] == "console"

    def test_declined_records_no_chosen_offering(self, client: TestClient, keys: Keys) -> None:
        token = sign_in(client, keys.advocate)
        record_id = look_up(client, token)
        client.post(
            f"/console/r/{record_id}/outcome",
            data={"outcome": "declined", "offering_id": "ledger-own", "csrf_token": token},
        )
        outcome = client.get(
            f"/v1/recommendations/{record_id}", headers=keys.auth(keys.advocate)
        ).json()["outcome"]
        assert outcome["outcome"] == "declined"
        assert outcome["offering_id"] is None

    @pytest.mark.parametrize(
        ("data", "says"),
        [
            ({"outcome": "maybe"}, "Input should be"),
            (
                {"outcome": "accepted", "offering_id": "never-shown"},
                "not among this recommendation",
            ),
        ],
    )
    def test_a_refused_outcome_says_why(
        self, client: TestClient, keys: Keys, data: dict[str, str], says: str
    ) -> None:
        token = sign_in(client, keys.advocate)
        record_id = look_up(client, token)
        response = client.post(f"/console/r/{record_id}/outcome", data=data | {"csrf_token": token})
        assert response.status_code == 422
        assert says in html.unescape(response.text)

    def test_a_second_outcome_is_refused_politely(self, client: TestClient, keys: Keys) -> None:
        token = sign_in(client, keys.advocate)
        record_id = look_up(client, token)
        url = f"/console/r/{record_id}/outcome"
        client.post(url, data={"outcome": "no_answer", "csrf_token": token})
        again = client.post(url, data={"outcome": "accepted", "csrf_token": token})
        assert again.status_code == 409
        assert "already has an outcome" in again.text


class TestHeaders:
    @pytest.mark.parametrize("path", ["/sign-in", "/console", "/widget-demo", "/console/r/rec_x"])
    def test_every_page_carries_the_security_headers(
        self, client: TestClient, keys: Keys, path: str
    ) -> None:
        sign_in(client, keys.advocate)
        response = client.get(path)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"

    def test_pages_have_no_inline_scripts(self, client: TestClient, keys: Keys) -> None:
        sign_in(client, keys.advocate)
        record_id = look_up(client, csrf_of(client.get("/console").text))
        for path in ("/sign-in", "/console", f"/console/r/{record_id}", "/widget-demo?key=pk_a"):
            page = client.get(path).text
            assert re.findall(r"<script(?![^>]*\ssrc=)", page) == [], path
            tags = re.findall(r"<[a-z][^>]*>", page)
            assert [t for t in tags if re.search(r"\son[a-z]+\s*=", t)] == [], path

    def test_pages_are_not_in_the_api_document(self, client: TestClient) -> None:
        paths = set(client.get("/openapi.json").json()["paths"])
        assert paths.isdisjoint({"/sign-in", "/sign-out", "/console", "/widget.js", "/widget-demo"})


class TestWidget:
    def test_widget_js_is_served_as_cacheable_javascript(self, client: TestClient) -> None:
        response = client.get("/widget.js")
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/javascript; charset=utf-8"
        assert response.headers["cache-control"] == "public, max-age=3600"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cross-origin-resource-policy"] == "cross-origin"

    def test_widget_js_is_small_and_writes_data_as_text_only(self) -> None:
        source = (STATIC_DIR / "widget.js").read_text(encoding="utf-8")
        assert len(source.encode("utf-8")) <= 20 * 1024
        for risky in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert risky not in source

    def test_the_demo_embeds_a_publishable_key_only(self, client: TestClient) -> None:
        with_key = client.get("/widget-demo?key=pk_abc_def").text
        assert 'src="/widget.js" data-key="pk_abc_def"' in with_key
        secret = client.get("/widget-demo?key=rk_abc_def").text
        assert 'data-key="rk_' not in secret
        assert "not a publishable key" in secret
