"""The vocabulary suggestion accept flow in a real browser (Debian's Chromium, via Playwright),
at 1280 px and at 390 px; screenshots in var/screenshots/."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from referral_api.config import Environment, Settings
from referral_api.server import create_app
from referral_api.service.keys import create_key
from referral_api.store.catalogs import store_snapshot
from referral_api.store.db import Database
from referral_api.store.migrate import upgrade
from tests.factories import make_snapshot
from tests.web.live import serve_app
from tests.web.test_browser import browser, shot

__all__ = ["browser"]

pytestmark = pytest.mark.browser

LOST = "looking for dunning letters"


@dataclass(frozen=True)
class Site:
    api: str
    app: FastAPI
    admin: str

    def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.admin}"}
        return httpx.post(f"{self.api}{path}", json=body, headers=headers)


@pytest.fixture
def site() -> Iterator[Site]:
    """The app on a SQLite file, with three recorded needs holding "dunning letters"."""
    directory = Path(tempfile.mkdtemp(prefix="referral-suggestions-"))
    database = Database.from_url(f"sqlite:///{directory / 'live.db'}")
    upgrade(database.engine)
    with database.session() as session:
        store_snapshot(session, make_snapshot(), actor="test", action="load")
        admin = create_key(session, name="lead", scopes=["admin"]).secret
    app = create_app(Settings(env=Environment.TEST), database=database, poll=False)
    with serve_app(app) as api:
        live = Site(api, app, admin)
        assert live.post("/v1/recommendations", {"need": LOST}).status_code == 201
        for need in ("dunning letters and invoices", "Dunning letters with our invoices"):
            made = live.post("/v1/recommendations", {"need": need}).json()
            outcome = {"outcome": "accepted", "offering_id": "ledger-own"}
            assert live.post(f"/v1/recommendations/{made['id']}/outcome", outcome).is_success
        yield live
    database.dispose()
    shutil.rmtree(directory, ignore_errors=True)


def sign_in(page: Any, site: Site) -> None:
    page.goto(f"{site.api}/insights")
    page.get_by_label("API key").fill(site.admin)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site.api}/insights")


@pytest.mark.parametrize(("width", "name"), [(1280, "desktop"), (390, "phone")])
def test_a_curator_accepts_a_suggestion_and_the_need_is_then_understood(
    browser: Any, site: Site, width: int, name: str
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, site)
    section = page.locator("#suggestions")
    card = section.locator(".suggestion-card").filter(has_text="dunning letters")
    assert card.is_visible()
    assert "Invoicing" in card.inner_text()
    assert "3 needs" in card.inner_text()
    # the section fits the screen: nothing of it is cut off at 390 px
    overflow = page.evaluate(
        "() => { const s = document.querySelector('#suggestions');"
        " return s.scrollWidth - s.clientWidth; }"
    )
    assert overflow <= 0
    button = card.get_by_role("button", name="Add as synonym")
    assert button.is_visible()
    box = button.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= width
    section.scroll_into_view_if_needed()
    shot(section, f"suggestions-{name}")

    button.click()
    page.wait_for_url("**/insights?decided=accepted#suggestions")
    assert page.locator("#suggestions .notice").inner_text().startswith("Accepted")
    assert section.locator(".suggestion-card").filter(has_text="dunning letters").count() == 0
    shot(page.locator("#suggestions"), f"suggestions-accepted-{name}")
    context.close()
    assert errors == []

    assert site.app.state.engines.refresh() is True  # what each worker's poller does
    again = site.post("/v1/recommendations", {"need": LOST}).json()
    assert again["interpreted"]["ask_understood"] is True
    assert [c["id"] for c in again["interpreted"]["capabilities"]] == ["invoicing"]
