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


def result_page(client: TestClient, record_id: str) -> str:
    page = client.get(f"/console/r/{record_id}")
    assert page.status_code == 200, page.text
    return page.text


def chips(page: str) -> list[str]:
    """The constraint keys the "Understood" line offers to remove."""
    return re.findall(r'data-constraint="([^"]+)"', page)


class TestRefine:
    """Issue 19: the need stays, is shown, and can be edited and looked up again, linked."""

    NEED = "We send invoices to clients, we are in Canada and use iPhones, under $50 a month"

    def test_the_result_page_shows_the_need_and_keeps_it_in_the_form(
        self, client: TestClient, keys: Keys
    ) -> None:
        record_id = look_up(client, sign_in(client, keys.advocate), need=self.NEED, region="")
        page = result_page(client, record_id)
        need_shown = re.search(r'<blockquote class="need-text" id="need-text">([^<]*)<', page)
        assert need_shown is not None
        assert html.unescape(need_shown.group(1)) == self.NEED
        textarea = re.search(r'<textarea id="need"[^>]*>([^<]*)</textarea>', page)
        assert textarea is not None
        assert html.unescape(textarea.group(1)) == self.NEED
        assert f'name="refines" value="{record_id}"' in page
        assert "Look up again" in page

    def test_a_refined_look_up_links_to_the_first(self, client: TestClient, keys: Keys) -> None:
        token = sign_in(client, keys.advocate)
        first = look_up(client, token, need=self.NEED)
        second = look_up(client, token, need="We send invoices to clients", refines=first)
        page = result_page(client, second)
        assert (
            f'<a href="/console/r/{first}" class="refined-from">refined from #{first}</a>' in page
        )
        assert "refined from" not in result_page(client, first)

    def test_a_link_to_no_look_up_is_not_kept(self, client: TestClient, keys: Keys) -> None:
        record_id = look_up(client, sign_in(client, keys.advocate), refines="rec_nothing")
        assert "refined from" not in result_page(client, record_id)

    def test_the_form_s_constraints_come_back_as_they_were_given(
        self, client: TestClient, keys: Keys
    ) -> None:
        token = sign_in(client, keys.advocate)
        record_id = look_up(
            client, token, budget="40", region="DE", platforms=["web"], must_have="invoicing"
        )
        page = result_page(client, record_id)
        assert 'id="budget" name="budget" inputmode="decimal" value="40"' in page
        assert 'id="region" name="region" value="DE"' in page
        assert 'value="web" checked' in page
        assert 'id="must_have" name="must_have" value="invoicing"' in page

    def test_a_recommendation_made_through_the_api_shows_its_need(
        self, client: TestClient, keys: Keys
    ) -> None:
        made = client.post(
            "/v1/recommendations",
            json={"need": "payroll for my team, mail me at ann@example.com"},
            headers=keys.auth(keys.advocate),
        )
        assert made.status_code == 201
        sign_in(client, keys.advocate)
        page = html.unescape(result_page(client, made.json()["id"]))
        assert "payroll for my team, mail me at" in page
        assert "ann@example.com" not in page  # the need as stored: redacted


class TestUnderstoodConstraints:
    """Issue 19: every constraint read is shown (soft ones marked) and removable in one click."""

    def test_every_constraint_read_is_a_chip(self, client: TestClient, keys: Keys) -> None:
        token = sign_in(client, keys.advocate)
        record_id = look_up(client, token, need=TestRefine.NEED)
        page = result_page(client, record_id)
        assert set(chips(page)) >= {"region", "platforms=ios", "budget_monthly"}
        text = html.unescape(page)
        assert "Region: Canada" in text
        assert "Platforms: iOS" in text
        assert "Budget: up to" in text

    def test_a_hedged_constraint_is_marked_as_a_preference(
        self, client: TestClient, keys: Keys
    ) -> None:
        token = sign_in(client, keys.advocate)
        record_id = look_up(client, token, need="invoices, ideally on iPhone")
        page = result_page(client, record_id)
        chip = re.search(
            r'<li class="tag tag-constraint([^"]*)" data-constraint="platforms=ios"', page
        )
        assert chip is not None
        assert "tag-soft" in chip.group(1)
        assert "(preference)" in page

    def test_removing_a_chip_looks_up_again_without_it(
        self, client: TestClient, keys: Keys
    ) -> None:
        token = sign_in(client, keys.advocate)
        first = look_up(client, token, need=TestRefine.NEED)
        removed = client.post(
            f"/console/r/{first}/without",
            data={"constraint": "platforms=ios", "csrf_token": token},
            follow_redirects=False,
        )
        assert removed.status_code == 303
        second = re.fullmatch(r"/console/r/(rec_\w+)#result", removed.headers["location"])
        assert second is not None
        stored = client.get(
            f"/v1/recommendations/{second.group(1)}", headers=keys.auth(keys.advocate)
        ).json()
        assert stored["interpreted"]["constraints"]["platforms"] == []  # not read again
        assert stored["interpreted"]["constraints"]["region"] == "CA"  # the others stay
        page = result_page(client, second.group(1))
        assert "platforms=ios" not in chips(page)
        assert f"refined from #{first}" in page
        assert "Set aside (not applied)" in page
        # refining from there keeps it set aside
        assert 'name="ignore" value="platforms=ios"' in page

    def test_removing_a_constraint_given_in_the_form_drops_it(
        self, client: TestClient, keys: Keys
    ) -> None:
        token = sign_in(client, keys.advocate)
        first = look_up(client, token, region="DE", budget="40")
        removed = client.post(
            f"/console/r/{first}/without",
            data={"constraint": "region", "csrf_token": token},
        )
        assert removed.status_code == 200
        assert 'id="region" name="region" value=""' in removed.text
        assert 'id="budget" name="budget" inputmode="decimal" value="40"' in removed.text

    @pytest.mark.parametrize("constraint", ["colour", "region=CA=US", "<b>"])
    def test_an_unknown_constraint_is_refused(
        self, client: TestClient, keys: Keys, constraint: str
    ) -> None:
        token = sign_in(client, keys.advocate)
        first = look_up(client, token)
        response = client.post(
            f"/console/r/{first}/without", data={"constraint": constraint, "csrf_token": token}
        )
        assert response.status_code == 422
        assert "<b>" not in response.text

    def test_removing_needs_the_csrf_token(self, client: TestClient, keys: Keys) -> None:
        token = sign_in(client, keys.advocate)
        first = look_up(client, token, need=TestRefine.NEED)
        response = client.post(f"/console/r/{first}/without", data={"constraint": "region"})
        assert response.status_code == 403


class TestProblemsInOneRound:
    def test_every_field_error_is_shown_together(self, client: TestClient, keys: Keys) -> None:
        token = sign_in(client, keys.advocate)
        response = client.post(
            "/console/look-up",
            data={
                "need": " ",
                "budget": "fifty",
                "currency": "dollars",
                "region": "Atlantis",
                "must_have": "invoicng",
                "csrf_token": token,
            },
        )
        assert response.status_code == 422
        text = html.unescape(response.text)
        for field in ("need", "budget", "currency"):
            assert f'id="{field}-problem"' in text, field
        # the catalogue's problems come in the same round, beside the form's own
        assert 'id="must_have-problem"' in text
        assert "did you mean 'invoicing'" in text
        assert 'id="region-problem"' in text


class TestMustHaveSaidOnce:
    def test_a_must_have_s_coverage_is_listed_once_per_card(
        self, client: TestClient, keys: Keys
    ) -> None:
        """With must_have: invoicing the engine's reasons say "Covers invoicing, which you
        asked for" and, from the must-have's verdict, "Covers invoicing fully": one is enough."""
        token = sign_in(client, keys.advocate)
        record_id = look_up(client, token, need="We send invoices", must_have="invoicing")
        page = html.unescape(result_page(client, record_id))
        cards = re.findall(r'<li class="card".*?(?=<li class="card"|</ol>)', page, flags=re.S)
        assert len(cards) >= 2
        for card in cards:
            assert "Covers invoicing fully" not in card
            assert card.count("Covers invoicing") <= 1  # (or "partly", said once too)
            assert card.count("(must-have)") == 1
        message = re.search(r'<textarea id="customer-message"[^>]*>(.*?)</textarea>', page, re.S)
        assert message is not None
        assert "Covers invoicing fully" not in message.group(1)
        comparison = page.split('id="comparison"')[1].split("</table>")[0]
        assert "Covers invoicing fully" not in comparison
