"""The console and the widget in a real browser: Debian's Chromium, driven by Playwright.

Skipped, with the reason shown, when Chromium is missing; under CI=true it must be there.
Screenshots land in var/screenshots/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import datetime
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from referral_api.config import Environment, Settings
from referral_api.server import create_app
from referral_api.service.keys import create_key
from referral_api.service.recommendations import store_record
from referral_api.store.catalogs import store_snapshot
from referral_api.store.db import Database
from referral_api.store.migrate import upgrade
from referral_api.store.repositories import RecommendationRepository
from tests.factories import make_offering, make_snapshot
from tests.web.live import HostSite, free_port, serve_app, serve_host_page

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("REFERRAL_TEST_CHROMIUM", "/usr/bin/chromium"))
IN_CI = os.environ.get("CI") == "true"
# As root the sandbox must be off; without the networking flags Chromium's own background
# connections fail here and can stall it.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
XSS = "<img src=x onerror=window.__pwned=1>"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
#: the widths issue 19's flows are checked at: a desktop and a current phone
WIDTHS = {1280: DESKTOP, 390: {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(f"{reason}; browser tests are mandatory under CI=true")
        pytest.skip(reason)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        # Playwright gives each launch a fresh, temporary user-data dir of its own
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@dataclass(frozen=True)
class Live:
    api: str
    database: Database
    advocate: str
    insights: str
    demo: str  # a widget key for the API's own site (its /widget-demo)
    allowed: HostSite
    refused: HostSite

    def records(self, channel: str) -> list[Any]:
        with self.database.session(write=False) as session:
            return [
                r for r in RecommendationRepository(session).since(None) if r.channel == channel
            ]

    def get(self, path: str, key: str) -> httpx.Response:
        return httpx.get(f"{self.api}{path}", headers={"Authorization": f"Bearer {key}"})


#: host pages beside the plain one, by path: their script tags' extra attributes
HOST_VARIANTS = {
    "/contact": 'data-contact="mailto:help@shop.example" data-contact-text="Email our team"',
    "/script-contact": 'data-contact="javascript:alert(1)"',
}


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    """The app on a SQLite file, with a catalogue whose one offering carries markup."""
    directory = Path(tempfile.mkdtemp(prefix="referral-browser-"))
    database = Database.from_url(f"sqlite:///{directory / 'live.db'}")
    upgrade(database.engine)
    offerings = [
        make_offering(id="ledger-own", relationship="own"),
        make_offering(
            id="books-partner",
            relationship="partner",
            capabilities={"accounting": "full", "invoicing": "partial"},
            referral={"fee": True, "disclosure": "We may receive a referral fee."},
        ),
        make_offering(
            id="pay-rival",
            relationship="competitor",
            capabilities={"payroll": "full", "invoicing": "partial"},
        ),
        make_offering(
            id="evil-books",
            relationship="competitor",
            name=f"{XSS} Books",
            summary=f"Invoices {XSS} for everyone.",
            capabilities={"invoicing": "full", "payroll": "partial"},
        ),
    ]
    api_port, allowed_port, refused_port = free_port(), free_port(), free_port()
    allowed_origin = f"http://127.0.0.1:{allowed_port}"
    with database.session() as session:
        store_snapshot(session, make_snapshot(offerings=offerings), actor="test", action="load")
        advocate = create_key(session, name="support console", scopes=["advocate"]).secret
        insights = create_key(session, name="analyst", scopes=["insights"]).secret
        widget = create_key(
            session, name="shop", scopes=["recommend"], publishable=True, origins=[allowed_origin]
        ).secret
        demo = create_key(
            session,
            name="demo",
            scopes=["recommend"],
            publishable=True,
            origins=[f"http://127.0.0.1:{api_port}"],
        ).secret
    settings = Settings(env=Environment.TEST, rate_limit_per_minute=10_000)
    app = create_app(settings, database=database, poll=False)
    with serve_app(app, port=api_port) as api:  # noqa: SIM117 - three servers, one after the other
        with serve_host_page(
            api=api, key=widget, port=allowed_port, variants=HOST_VARIANTS
        ) as allowed:
            with serve_host_page(api=api, key=widget, port=refused_port) as refused:
                yield Live(api, database, advocate, insights, demo, allowed, refused)
    database.dispose()
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"script errors on the page: {errors}"


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


@pytest.fixture(params=sorted(WIDTHS, reverse=True), ids=lambda width: f"{width}px")
def sized(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A page at each width of :data:`WIDTHS` (the narrow one as a touch phone), failing on
    any script error."""
    width = request.param
    phone = width < 500
    context = browser.new_context(viewport=WIDTHS[width], is_mobile=phone, has_touch=phone)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"script errors on the page: {errors}"


def width_of(page: Any) -> int:
    return int(page.viewport_size["width"])


def fits_the_width(page: Any) -> None:
    """Nothing scrolls sideways but the comparison's own scroller."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width_of(page)


def shot(target: Any, name: str, **options: Any) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target.screenshot(path=str(SCREENSHOTS / f"{name}.png"), **options)


def sign_in(page: Any, live: Live, key: str, path: str = "/console") -> None:
    page.goto(f"{live.api}{path}")
    assert "/sign-in" in page.url  # no session yet: sent to the sign-in first
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live.api}{path}")


def no_script_ran(page: Any) -> None:
    assert page.evaluate("typeof window.__pwned") == "undefined"


class TestConsole:
    def test_look_up_cards_comparison_and_outcome(self, page: Any, live: Live) -> None:
        sign_in(page, live, live.advocate)
        page.get_by_label("What does the customer need?").fill(
            "We send invoices to clients and run payroll for five people"
        )
        page.get_by_text("Constraints (optional)").click()
        page.get_by_label("Budget per month").fill("80")
        page.get_by_label("web", exact=True).check()
        page.get_by_role("button", name="Look up").click()
        page.wait_for_url(f"{live.api}/console/r/**")
        record_id = page.url.split("#")[0].rsplit("/", 1)[1]

        cards = page.locator(".card")
        assert cards.count() >= 3
        for index in range(cards.count()):
            badge = cards.nth(index).locator(".disclosure-badge")
            assert badge.is_visible()
            assert badge.inner_text().strip()
        badges = " ".join(page.locator(".disclosure-badge").all_inner_texts())
        assert "Competitor — we receive nothing" in badges
        assert "Partner — we may receive a fee" in badges
        comparison = page.locator("#comparison table")
        assert comparison.is_visible()
        assert comparison.locator("thead th").count() == 4  # the label column + the top 3
        assert "Payroll" in comparison.inner_text()
        message = page.locator("#customer-message").input_value()
        assert "we receive nothing for recommending it" in message
        shot(page, "console-desktop", full_page=True)
        shot(page.locator("#comparison"), "comparison")

        page.get_by_role("button", name="Accepted").click()
        page.wait_for_url("**?recorded=true#outcome")
        assert page.get_by_text("Outcome recorded.").is_visible()
        stored = live.get(f"/v1/recommendations/{record_id}", live.advocate).json()
        assert stored["channel"] == "advocate"
        assert stored["outcome"]["outcome"] == "accepted"
        assert stored["outcome"]["offering_id"] == stored["results"][0]["offering"]["id"]
        assert page.locator(".recent a").first.get_attribute("href") == f"/console/r/{record_id}"

    def test_by_keyboard_on_a_phone(self, phone: Any, live: Live) -> None:
        phone.goto(f"{live.api}/sign-in")
        phone.keyboard.press("Tab")  # skip link
        phone.keyboard.press("Tab")
        assert phone.evaluate("document.activeElement.id") == "key"
        phone.keyboard.type(live.advocate)
        phone.keyboard.press("Enter")
        phone.wait_for_url(f"{live.api}/console")
        for _ in range(10):
            phone.keyboard.press("Tab")
            if phone.evaluate("document.activeElement.id") == "need":
                break
        assert phone.evaluate("document.activeElement.id") == "need"
        outline = phone.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none"  # focus is visible
        phone.keyboard.type("invoices and payroll")
        for _ in range(20):
            phone.keyboard.press("Tab")
            if phone.evaluate("document.activeElement.textContent.trim()") == "Look up":
                break
        phone.keyboard.press("Enter")
        phone.wait_for_url(f"{live.api}/console/r/**")
        assert phone.locator(".card").count() >= 2
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]  # nothing sideways but the comparison's own scroller
        shot(phone, "console-375-full", full_page=True)
        shot(phone, "console-375")  # the first screen, at a phone's scale
        shot(phone.locator(".card").first, "console-375-card")
        shot(phone.locator("#comparison"), "comparison-375")

    def test_markup_in_an_offering_or_a_need_is_text(self, page: Any, live: Live) -> None:
        sign_in(page, live, live.advocate)
        page.get_by_label("What does the customer need?").fill(f"invoices {XSS}")
        page.get_by_role("button", name="Look up").click()
        page.wait_for_url(f"{live.api}/console/r/**")
        card = page.locator(".card[data-offering=evil-books]")
        assert f"{XSS} Books" in card.locator("h3").inner_text()
        assert XSS in page.locator("#customer-message").input_value()
        assert page.locator("img").count() == 0
        no_script_ran(page)


REFINED_NEED = "We send invoices to clients, we are in Canada and use iPhones, under $50 a month"


def record_id_of(page: Any) -> str:
    return str(page.url.split("#")[0].rsplit("/", 1)[1])


class TestRefineFlow:
    """Issue 19: the need is kept and shown, a wrong constraint goes in one click, and the
    advocate edits and looks up again, each look-up linked to the one it refines."""

    def test_remove_a_constraint_then_refine_the_words(self, sized: Any, live: Live) -> None:
        page, width = sized, width_of(sized)
        sign_in(page, live, live.advocate)
        page.get_by_label("What does the customer need?").fill(REFINED_NEED)
        page.get_by_role("button", name="Look up").click()
        page.wait_for_url(f"{live.api}/console/r/**")
        first = record_id_of(page)

        # the words stay in the form and are shown with the result
        assert page.locator("#need").input_value() == REFINED_NEED
        assert page.locator("#need-text").inner_text() == REFINED_NEED
        # every constraint read is a chip: Canada, iOS and $50 (Canadian: the customer is in Canada)
        understood = page.locator("#understood")
        for key, words in [("region", "Canada"), ("platforms=ios", "iOS"),
                           ("budget_monthly", "50 CAD")]:  # fmt: skip
            chip = understood.locator(f'[data-constraint="{key}"]')
            assert chip.is_visible(), key
            assert words in chip.inner_text()
        assert page.locator(".card").count() == 0
        fits_the_width(page)
        shot(page, f"console-refine-1-read-{width}", full_page=True)
        shot(page.locator(".result-head"), f"console-refine-1-understood-{width}")

        # one click takes iOS out and looks up again without it
        understood.get_by_role("button", name="Remove Platforms: iOS and look up again").click()
        page.wait_for_url(lambda url: "/console/r/" in url and first not in url)
        second = record_id_of(page)
        assert page.locator('[data-constraint="platforms=ios"]').count() == 0
        assert page.locator('[data-constraint="region"]').is_visible()
        assert "iPhones" in page.locator(".set-aside").inner_text()
        link = page.locator(".refined-from")
        assert link.get_attribute("href") == f"/console/r/{first}"
        assert page.locator(".card").count() >= 2
        stored = live.get(f"/v1/recommendations/{second}", live.advocate).json()
        assert stored["interpreted"]["constraints"]["platforms"] == []
        fits_the_width(page)
        shot(page, f"console-refine-2-removed-{width}", full_page=True)
        shot(page.locator(".result-head"), f"console-refine-2-understood-{width}")
        shot(page.locator(".look-up"), f"console-refine-2-form-{width}")

        # the words can be edited and looked up again, linked to the look-up they refine
        edited = "We send invoices to clients and run payroll, we are in Canada, under $50 a month"
        page.locator("#need").fill(edited)
        page.get_by_role("button", name="Look up again", exact=True).click()
        page.wait_for_url(lambda url: "/console/r/" in url and second not in url)
        assert page.locator("#need-text").inner_text() == edited
        assert page.locator(".refined-from").get_attribute("href") == f"/console/r/{second}"
        assert "Payroll" in page.locator("#understood").inner_text()
        fits_the_width(page)
        shot(page, f"console-refine-3-edited-{width}", full_page=True)

        # the first look-up's page still reads as it was made
        page.locator(".refined-from").click()
        page.wait_for_url(f"{live.api}/console/r/{second}")
        page.goto(f"{live.api}/console/r/{first}")
        assert page.locator(".refined-from").count() == 0
        assert page.locator('[data-constraint="platforms=ios"]').is_visible()


class TestWidget:
    def ask(self, page: Any, need: str) -> Any:
        widget = page.locator("[data-honest-referral-widget]")
        widget.get_by_label("What do you need?").fill(need)
        widget.get_by_role("button", name="Find the best fit").click()
        return widget

    def test_works_from_an_allowed_origin_and_is_recorded_as_widget(
        self, page: Any, live: Live
    ) -> None:
        before = len(live.records("widget"))
        page.goto(live.allowed.url)
        widget = self.ask(page, "We send invoices and run payroll")
        items = widget.locator("ol > li")
        items.first.wait_for()
        assert items.count() == 3
        for index in range(3):
            item = items.nth(index)
            assert item.locator(".disclosure").inner_text().strip()
            assert item.locator(".reasons li").first.inner_text().strip()
            assert item.locator("a.name").get_attribute("href", timeout=1000).startswith("https://")
        assert len(live.records("widget")) == before + 1
        # the host page's loud styles do not reach in, and the widget's do not leak out
        button = widget.get_by_role("button", name="Find the best fit")
        assert button.is_visible()
        assert button.evaluate("b => getComputedStyle(b).color") == "rgb(255, 255, 255)"
        own = page.locator("body > p.own").evaluate("p => getComputedStyle(p).color")
        assert own == "rgb(0, 90, 0)"
        shot(page, "widget", full_page=True)

    def test_is_refused_from_another_origin(self, page: Any, live: Live) -> None:
        before = len(live.records("widget"))
        page.goto(live.refused.url)
        widget = self.ask(page, "We send invoices")
        status = widget.locator(".status.problem")
        status.wait_for()
        assert "could not reach" in status.inner_text()
        assert widget.locator("ol > li").count() == 0
        assert len(live.records("widget")) == before

    def test_markup_in_an_offering_or_a_need_is_text(self, page: Any, live: Live) -> None:
        page.goto(live.allowed.url)
        widget = self.ask(page, f"invoices and payroll {XSS}")
        widget.locator("ol > li").first.wait_for()
        names = widget.locator(".name").all_inner_texts()
        assert f"{XSS} Books" in names
        assert page.locator("img").count() == 0  # Playwright's locators see into the shadow
        no_script_ran(page)

    @pytest.mark.parametrize(
        ("failure", "says"),
        [
            ("429", "a lot of questions"),
            ("network", "could not reach"),
            ("422", "could not understand"),
        ],
    )
    def test_a_failed_call_shows_a_friendly_message(
        self, page: Any, live: Live, failure: str, says: str
    ) -> None:
        def fail(route: Any) -> None:
            if failure == "network":
                route.abort("connectionrefused")
                return
            route.fulfill(
                status=int(failure),
                headers={
                    "Access-Control-Allow-Origin": live.allowed.origin,
                    "Content-Type": "application/problem+json",
                    "Retry-After": "30",
                },
                body="{}",
            )

        page.route(f"{live.api}/v1/recommendations", fail)
        page.goto(live.allowed.url)
        widget = self.ask(page, "invoices")
        status = widget.locator(".status.problem")
        status.wait_for()
        assert says in status.inner_text()
        assert widget.get_by_role("button", name="Find the best fit").is_enabled()

    def test_nothing_fits_shows_what_would_and_a_person(self, sized: Any, live: Live) -> None:
        page, width = sized, width_of(sized)
        page.goto(live.allowed.url + "contact")
        widget = self.ask(page, "We send invoices from our Android phones")
        relaxations = widget.locator("li.relaxation")
        relaxations.first.wait_for()
        assert "what would change that" in widget.locator(".status").inner_text()
        for index in range(relaxations.count()):
            relaxation = relaxations.nth(index)
            assert "Android" in relaxation.locator(".relax-detail").inner_text()
            admitted = relaxation.locator(".admitted")
            assert admitted.count() >= 1
            for at in range(admitted.count()):  # every offering shown is disclosed, once
                assert admitted.nth(at).locator(".disclosure").count() == 1
                assert admitted.nth(at).locator(".disclosure").inner_text().strip()
        disclosures = " ".join(widget.locator(".disclosure").all_inner_texts())
        # ours and a competitor's would both fit: each says so
        assert "Our own product" in disclosures
        assert "A competitor's product — we receive nothing" in disclosures
        contact = widget.get_by_role("link", name="Email our team")
        assert contact.get_attribute("href") == "mailto:help@shop.example"
        fits_the_width(page)
        shot(page, f"widget-nothing-fits-{width}", full_page=True)

    def test_the_way_to_a_person_has_a_default(self, page: Any, live: Live) -> None:
        page.goto(live.allowed.url)
        widget = self.ask(page, "We send invoices from our Android phones")
        contact = widget.locator(".contact")
        contact.wait_for()
        assert "Talk to a person" in contact.inner_text()
        # an address that is not the web, mail or a phone number is never a link
        page.goto(live.allowed.url + "script-contact")
        widget = self.ask(page, "We send invoices from our Android phones")
        widget.locator(".contact").wait_for()
        assert widget.locator(".contact a").count() == 0
        no_script_ran(page)

    def test_reasons_are_in_the_customer_s_words(self, sized: Any, live: Live) -> None:
        page, width = sized, width_of(sized)
        page.goto(live.allowed.url)
        widget = self.ask(page, "We send invoices and run payroll")
        items = widget.locator("ol > li")
        items.first.wait_for()
        text = widget.locator(".box").inner_text()
        for jargon in ("narrower capability", "broader capability", "Its description matches"):
            assert jargon not in text
        assert "\u201cinvoices\u201d" in text  # their own word, quoted
        assert "\u201cpayroll\u201d" in text
        for index in range(items.count()):
            assert items.nth(index).locator(".disclosure").count() == 1  # one disclosure each
            assert items.nth(index).locator(".reasons li").count() >= 1
        # what does not fit is said too: someone covers invoicing but not payroll
        assert "Worth checking: Does not cover" in text
        fits_the_width(page)
        shot(page, f"widget-results-{width}", full_page=True)

    def test_a_refused_key_tells_the_developer_in_the_console(self, page: Any, live: Live) -> None:
        lines: list[str] = []
        page.on(
            "console",
            lambda message: lines.append(message.text) if message.type == "error" else None,
        )
        # on the service's own site a refusal's status can be read: 401 for an unknown key
        page.goto(f"{live.api}/widget-demo?key=pk_not_a_real_key")
        widget = self.ask(page, "We send invoices")
        widget.locator(".status.problem").wait_for()
        assert "not available" in widget.locator(".status").inner_text()
        ours = [line for line in lines if line.startswith("Honest Referral widget:")]
        assert len(ours) == 1, lines
        assert "HTTP 401" in ours[0]
        assert "allowed origins" in ours[0]
        assert "--origins" in ours[0]
        assert "REFERRAL_ALLOWED_HOSTS" in ours[0]

    def test_a_refused_origin_tells_the_developer_too(self, page: Any, live: Live) -> None:
        lines: list[str] = []
        page.on(
            "console",
            lambda message: lines.append(message.text) if message.type == "error" else None,
        )
        page.goto(live.refused.url)
        widget = self.ask(page, "We send invoices")
        widget.locator(".status.problem").wait_for()
        ours = [line for line in lines if line.startswith("Honest Referral widget:")]
        assert len(ours) == 1, lines
        assert "refused by CORS" in ours[0]
        assert live.refused.origin in ours[0]

    def test_the_demo_page_embeds_it_on_the_api_s_own_site(self, page: Any, live: Live) -> None:
        page.goto(f"{live.api}/widget-demo")
        assert page.locator("pre.snippet").inner_text().startswith("<script src=")
        page.goto(f"{live.api}/widget-demo?key={live.demo}")
        widget = self.ask(page, "We send invoices and run payroll")
        widget.locator("ol > li").first.wait_for()  # under the page's own strict CSP, too
        assert widget.locator("ol > li").count() == 3
        shot(page, "widget-demo", full_page=True)


GAP_NEEDS = [
    "we need payroll for our staff",
    "payroll for five people",
    "timesheets <script>window.__pwned=1</script> for remote staff",
    "blockchain llamas for the shop",
    "send invoices and run payroll",
]


def seed_gaps(live: Live) -> None:
    """Needs answered by the API now, and copies of their records one to three weeks back."""
    responses = []
    for need in GAP_NEEDS:
        response = httpx.post(
            f"{live.api}/v1/recommendations",
            json={"need": need},
            headers={"Authorization": f"Bearer {live.advocate}"},
        )
        assert response.status_code == 201, response.text
        responses.append(response.json())
    now = datetime.datetime.now(datetime.UTC)
    with live.database.session() as session:
        for weeks_back, body in [(1, responses[0]), (1, responses[2]), (2, responses[0]),
                                 (3, responses[3])]:  # fmt: skip
            created = now - datetime.timedelta(weeks=weeks_back)
            store_record(
                session,
                {
                    "id": f"{body['id']}w{weeks_back}",
                    "created_at": created,
                    "channel": "widget",
                    "api_key_id": None,
                    "need_text": GAP_NEEDS[responses.index(body)],
                    "request": {},
                    "interpretation": body["interpreted"],
                    "ranking": [],
                    "best_own": body["best_own"],
                    "unmet": body["unmet"],
                    "winner_offering_id": None,
                    "winner_relationship": None,
                    "response": {**body, "created_at": created.isoformat()},
                    "catalog_version_id": body["catalog_version_id"],
                    "catalog_version": body["coverage"]["version"],
                    "rules_version": body["rules_version"],
                    "engine_version": body["engine_version"],
                },
            )


def test_the_gap_report_shares_the_sign_in(page: Any, live: Live) -> None:
    seed_gaps(live)
    sign_in(page, live, live.insights, "/insights")
    cards = page.locator("ol.gap-cards")
    assert cards.is_visible()
    assert cards.locator("li.gap-card").count() >= 2
    assert "Payroll" in cards.inner_text()
    assert cards.locator("svg.bar rect.bar-fill").first.is_visible()
    chart = page.locator("svg.trend-chart")
    assert chart.is_visible()
    assert chart.locator("rect").count() >= 3  # at least three weeks with gaps
    box = chart.bounding_box()
    assert box is not None
    assert box["width"] > 300
    assert box["height"] > 80
    # what the customer typed is shown as text, and nothing in it ran
    assert page.get_by_text("<script>window.__pwned=1</script>", exact=False).count() >= 1
    no_script_ran(page)
    assert page.locator(".cluster-card").count() >= 1
    shot(page, "gap-report", full_page=True)

    page.get_by_label("Not understood").check()
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/insights?**kind=not_understood**")
    kinds = page.locator("ol.gap-cards .kind").all_inner_texts()
    assert kinds
    assert set(kinds) == {"Not understood"}
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    path = download.value.path()
    text = Path(path).read_text(encoding="utf-8")
    assert text.startswith("capability,label,kind,")
    no_script_ran(page)
