"""The gap report in a real browser (Debian's Chromium through Playwright), at 1280 px and at
390 px, over the demo catalogue and needs answered by the real engine across five weeks.

Screenshots land in var/screenshots/gap-report-*.png for a person to look at.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from referral_api.config import Environment, Settings
from referral_api.curation.snapshot import snapshot_from_dirs
from referral_api.matching import Engine
from referral_api.schemas import RecommendationCreate
from referral_api.server import create_app
from referral_api.service.engines import LoadedEngine
from referral_api.service.keys import create_key
from referral_api.service.recommendations import make_recommendation, store_records
from referral_api.store.catalogs import store_snapshot
from referral_api.store.db import Database
from referral_api.store.migrate import upgrade
from tests.conftest import CATALOG_DIR, RULES_DIR
from tests.insights.test_kinds_engine import LABELS
from tests.web.live import serve_app
from tests.web.test_browser import browser, no_script_ran, shot

__all__ = ["browser"]

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
XSS_NEED = "timesheets <script>window.__pwned=1</script> for my crew in Japan"
MORE_NEEDS = (
    XSS_NEED,
    "accept bitcoin payments in Ghana",
    "write the speech for my brother's wedding",
    "adopt a llama for the farm",
    "llama adoption paperwork",
    "currency hedging for euro invoices",
)
WEEKS = 5


@dataclass(frozen=True)
class GapSite:
    api: str
    insights: str
    today: dt.date


@pytest.fixture(scope="module")
def site() -> Iterator[GapSite]:
    """The app on a SQLite file with the demo catalogue, and a seeded stream of needs (the
    labelled ones of test_kinds_engine and a few more) answered over the last five weeks."""
    directory = Path(tempfile.mkdtemp(prefix="referral-gaps-"))
    database = Database.from_url(f"sqlite:///{directory / 'gaps.db'}")
    upgrade(database.engine)
    snapshot = snapshot_from_dirs(CATALOG_DIR, RULES_DIR)
    now = dt.datetime.now(dt.UTC)
    with database.session() as session:
        version = store_snapshot(session, snapshot, actor="test", action="load")
        insights = create_key(session, name="product team", scopes=["insights"]).secret
        loaded = LoadedEngine(version.id, Engine(snapshot.catalog, snapshot.rules))
        rnd = random.Random(18)
        needs = [label.need for label in LABELS] + list(MORE_NEEDS)
        recorded = [
            make_recommendation(
                loaded,
                RecommendationCreate(need=rnd.choice(needs) if n >= len(needs) else needs[n]),
                channel=rnd.choice(["api", "widget", "advocate"]),
                key_id=None,
                redact_needs=False,
                created_at=now - dt.timedelta(hours=rnd.randrange(24 * 7 * WEEKS)),
            )
            for n in range(60)
        ]
        store_records(session, recorded)
    settings = Settings(env=Environment.TEST, rate_limit_per_minute=10_000)
    app = create_app(settings, database=database, poll=False)
    with serve_app(app) as api:
        yield GapSite(api, insights, now.date())
    database.dispose()
    shutil.rmtree(directory, ignore_errors=True)


def open_report(browser: Any, site: GapSite, viewport: dict[str, int], query: str) -> Any:
    """A signed-in page showing /insights?query (signing in on the way)."""
    mobile = viewport["width"] < 600
    context = browser.new_context(viewport=viewport, is_mobile=mobile, has_touch=mobile)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{site.api}/insights?{query}")
    page.get_by_label("API key").fill(site.insights)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site.api}/insights**")
    page.errors = errors
    return page


def since(site: GapSite) -> str:
    return f"since={(site.today - dt.timedelta(weeks=WEEKS + 1)).isoformat()}"


@pytest.fixture
def desktop(browser: Any, site: GapSite) -> Iterator[Any]:
    page = open_report(browser, site, DESKTOP, since(site))
    yield page
    assert page.errors == []
    page.context.close()


@pytest.fixture
def phone(browser: Any, site: GapSite) -> Iterator[Any]:
    page = open_report(browser, site, PHONE, since(site))
    yield page
    assert page.errors == []
    page.context.close()


class TestAt1280:
    def test_cards_names_chart_and_clusters(self, desktop: Any) -> None:
        page = desktop
        cards = page.locator("li.gap-card")
        assert cards.count() >= 5
        text = page.locator("ol.gap-cards").inner_text()
        for kind in ("Unserved", "Served elsewhere", "Not understood"):
            assert kind in text
        # who serves it instead, by name with the relationship badge, never the raw id
        kyuyo = page.locator("ul.named li", has_text="Kyuyo Cloud").first
        assert kyuyo.is_visible()
        assert kyuyo.locator(".rel-competitor").inner_text().strip().lower() == "competitor"
        assert "kyuyo-cloud" not in text
        assert "Must-have every offering covering it failed" in text  # crypto in Nigeria
        # every count says what it counts
        assert page.locator(".gap-count", has_text="need").count() == cards.count()
        summary = page.locator(".report-summary").inner_text()
        assert "needs recorded" in summary
        # the chart: needs per kind and week, on an axis of whole, distinct numbers
        chart = page.locator("svg.trend-chart")
        assert chart.is_visible()
        assert chart.locator("rect").count() >= WEEKS
        ticks = chart.locator("text.tick[text-anchor='end']").all_text_contents()
        assert ticks[0] == "0"
        assert len(set(ticks)) == len(ticks)
        assert [int(t) for t in ticks] == sorted(int(t) for t in ticks)
        # clusters: labelled with what sets them apart, in the customers' words
        clusters = page.locator(".cluster-card")
        assert clusters.count() >= 2
        terms = " ".join(page.locator(".cluster-card .terms li").all_inner_texts()).lower()
        assert "llama" in terms
        assert "crypto payments" in terms
        for noise in ("call", "designer", "bakery", "my", "the"):
            assert noise not in terms.split()
        # what the customer typed is text, and nothing in it ran
        assert page.get_by_text("<script>window.__pwned=1</script>", exact=False).count() >= 1
        no_script_ran(page)
        shot(page, "gap-report-1280", full_page=True)

    def test_filters_dates_and_the_csv(self, desktop: Any, site: GapSite) -> None:
        page = desktop
        assert page.locator("#since").get_attribute("type") == "date"
        page.locator("#since").fill((site.today - dt.timedelta(days=10)).isoformat())
        page.locator("#until").fill(site.today.isoformat())
        page.get_by_label("Unserved").check()
        page.get_by_role("button", name="Show").click()
        page.wait_for_url("**/insights?**kind=unserved**")
        badges = set(page.locator("ol.gap-cards .kind").all_inner_texts())
        assert badges == {"Unserved"}
        assert (
            page.locator("#since").input_value() == (site.today - dt.timedelta(days=10)).isoformat()
        )
        with page.expect_download() as download:
            page.get_by_role("link", name="Download CSV").click()
        text = Path(download.value.path()).read_text(encoding="utf-8")
        header = text.splitlines()[0]
        assert header == (
            "capability,label,kind,count,requests,share,previous_count,new,served_by,"
            "missed_constraints,outcomes,example"
        )
        assert ",unserved," in text

    def test_a_bad_date_is_named_in_words(self, browser: Any, site: GapSite) -> None:
        page = open_report(browser, site, DESKTOP, "since=2026-02-30&limit=0")
        alert = page.get_by_role("alert")
        assert alert.is_visible()
        assert "From is not a date: pick one, or write it as 2026-11-01." in alert.inner_text()
        assert "Show at most must be a whole number from 1 to 200." in alert.inner_text()
        assert "too short" not in page.content()
        assert page.locator("#since").get_attribute("aria-invalid") == "true"
        assert page.locator("#since-problem").is_visible()
        shot(page, "gap-report-bad-date", full_page=True)
        page.context.close()

    def test_the_empty_state_says_what_to_do(self, browser: Any, site: GapSite) -> None:
        page = open_report(browser, site, DESKTOP, "since=2001-01-01&until=2001-01-31")
        empty = page.locator(".empty").first
        assert "No needs were recorded in this window" in empty.inner_text()
        assert "Widen the window" in empty.inner_text()
        assert page.locator("svg.trend-chart").count() == 0  # no chart of zeros
        assert "Nothing to draw" in page.content()
        shot(page, "gap-report-empty", full_page=True)
        page.context.close()


class TestAt390:
    def test_nothing_is_clipped_and_cards_stack(self, phone: Any) -> None:
        page = phone
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page scrolls sideways: {width} px"
        cards = page.locator("li.gap-card")
        assert cards.count() >= 5
        for index in range(cards.count()):
            box = cards.nth(index).bounding_box()
            assert box is not None
            assert box["x"] >= 0
            assert box["x"] + box["width"] <= PHONE["width"]
        # the count, the bar and who serves it instead are on screen, not off to the right
        first_elsewhere = page.locator("li.gap-card.kind-edge-served_elsewhere").first
        for part in (".gap-count", "svg.bar", "ul.named"):
            box = first_elsewhere.locator(part).first.bounding_box()
            assert box is not None
            assert box["x"] + box["width"] <= PHONE["width"], part
        chart = page.locator("svg.trend-chart").bounding_box()
        assert chart is not None
        assert chart["width"] <= PHONE["width"]
        height = page.evaluate("document.documentElement.scrollHeight")
        shot(page, "gap-report-390", full_page=True)
        for part, top in enumerate(range(0, min(height, 4 * 1400), 1400), start=1):
            # screen-high slices of the long page, readable at a glance
            clip = {"x": 0, "y": top, "width": PHONE["width"], "height": 1400}
            shot(page, f"gap-report-390-part{part}", full_page=True, clip=clip)
        # compact cards: the old table layout made the page 9,683 px tall at this width; the
        # page now also holds the vocabulary suggestions, so each card is measured instead:
        # every one reads whole on one phone screen
        cards = page.locator("li.gap-card")
        heights = [cards.nth(i).bounding_box()["height"] for i in range(cards.count())]  # type: ignore[index]
        assert heights
        assert max(heights) < PHONE["height"], heights
