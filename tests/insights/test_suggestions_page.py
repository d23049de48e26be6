"""Vocabulary suggestions on the gap page: listed with evidence; curators accept or reject them
through CSRF-protected forms."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import Keys
from tests.insights.conftest import EVER
from tests.insights.test_suggestions_api import recorded
from tests.web.conftest import csrf_of, sign_in

__all__ = ["recorded"]


def section(html: str) -> str:
    return html.split('id="suggestions"')[1].split("</section>")[0]


def test_analysts_see_the_evidence_but_no_forms(
    client: TestClient, keys: Keys, recorded: dict[str, Any]
) -> None:
    sign_in(client, keys.insights)
    html = section(client.get("/insights", params=EVER).text)
    card = html.split(f'data-suggestion="{recorded["id"]}"')[1].split("</li>\n    \n")[0]
    assert "<q>dunning letters</q>" in card
    assert "<strong>Invoicing</strong>" in card
    assert "3 needs · agreement 100 % · 2 by recorded outcomes" in card
    assert "<q>looking for dunning letters</q>" in card
    assert "<form" not in html
    assert "<code>curator</code> scope" in html


def test_a_curator_accepts_through_the_form(
    client: TestClient, keys: Keys, recorded: dict[str, Any]
) -> None:
    csrf = sign_in(client, keys.admin)
    page = client.get("/insights", params=EVER).text
    action = f"/insights/suggestions/{recorded['id']}/accept"
    assert f'action="{action}"' in section(page)
    assert csrf_of(page) == csrf
    refused = client.post(action, data={"csrf_token": "forged"}, follow_redirects=False)
    assert refused.status_code == 403
    response = client.post(action, data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/insights?decided=accepted#suggestions"
    after = client.get("/insights", params={**EVER, "decided": "accepted"}).text
    assert "Accepted: the phrase is a synonym in a new catalogue version" in after
    assert f'data-suggestion="{recorded["id"]}"' not in after
    changes = client.get("/v1/catalog/changes", headers=keys.auth(keys.curator)).json()
    assert (changes["data"][0]["action"], changes["data"][0]["actor"]) == (
        "add_synonym", "key:admin"
    )  # fmt: skip
    # a second post of the same form: already decided, said on the page, nothing changes
    again = client.post(action, data={"csrf_token": csrf}, follow_redirects=False)
    assert again.headers["location"] == "/insights?suggestion_problem=conflict#suggestions"
    shown = client.get("/insights", params={**EVER, "suggestion_problem": "conflict"}).text
    assert "already decided" in section(shown)
    assert len(client.get("/v1/catalog/changes", headers=keys.auth(keys.curator)).json()["data"]
               ) == len(changes["data"])  # fmt: skip


def test_a_curator_rejects_and_analysts_cannot_decide(
    client: TestClient, keys: Keys, recorded: dict[str, Any]
) -> None:
    csrf = sign_in(client, keys.insights)
    action = f"/insights/suggestions/{recorded['id']}/reject"
    assert client.post(action, data={"csrf_token": csrf}).status_code == 403
    client.cookies.clear()
    csrf = sign_in(client, keys.admin)
    response = client.post(action, data={"csrf_token": csrf}, follow_redirects=False)
    assert response.headers["location"] == "/insights?decided=rejected#suggestions"
    html = section(client.get("/insights", params=EVER).text)
    assert recorded["id"] not in html


def test_the_query_string_cannot_put_words_on_the_page(
    client: TestClient, keys: Keys, recorded: dict[str, Any]
) -> None:
    sign_in(client, keys.insights)
    html = client.get(
        "/insights", params={**EVER, "decided": "<b>pwned</b>", "suggestion_problem": "x"}
    ).text
    assert "pwned" not in html
    assert not re.search(r'class="(notice|alert)"[^>]*>[^<]*</p>', section(html))
