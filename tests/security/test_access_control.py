"""OWASP API1 (object level) and API5 (function level): who may call what, on what.

:data:`ROUTES` is the access table of the whole app, one row per method and path. The test
enumerates ``app.routes``: a route without a row (or a row without a route) fails it, so a new
route cannot ship without its access decided here. Each row is tried with no key, with every
scoped key, and with admin.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Mount

from referral_api.service.keys import create_key
from referral_api.store.db import Database
from tests.security.conftest import Keys, csrf_of, sign_in

NEED = {"need": "We send invoices to our clients", "limit": 3}
OFFERING = {"name": "Ledger Own", "relationship": "own", "capabilities": {"invoicing": "full"}}
#: the keys of :class:`Keys` with one scope each (the widget key is about origins: see API8)
SCOPED = ("recommend", "advocate", "curator", "insights")

PUBLIC = "public"  # no key
ANY_KEY = "any key"  # every valid key, whatever its scope
PAGE = "page"  # a signed-in page session (cookie), CSRF-checked for posts


@dataclass(frozen=True)
class Access:
    """Who may call a route: ``kind`` and, for scoped ones, the scopes (admin holds all).

    ``owner``: a ``recommend`` key may also call it for its own recommendations (API1).
    ``path``/``body``: a concrete request; ``{record}`` is a recommendation made by ``recommend``.
    """

    kind: str
    path: str
    scopes: frozenset[str] = field(default_factory=frozenset)
    body: dict[str, Any] | None = None
    form: dict[str, str] | None = None

    @staticmethod
    def scoped(path: str, *scopes: str, body: dict[str, Any] | None = None) -> Access:
        return Access("scoped", path, frozenset(scopes), body)


# Add a row for every new route. (method, path template) → who may call it.
ROUTES: dict[tuple[str, str], Access] = {
    # --- generated documents (REFERRAL_DOCS_ENABLED=false removes /docs and /redoc) ---
    ("GET", "/openapi.json"): Access(PUBLIC, "/openapi.json"),
    ("GET", "/docs"): Access(PUBLIC, "/docs"),
    ("GET", "/docs/oauth2-redirect"): Access(PUBLIC, "/docs/oauth2-redirect"),
    # Swagger UI's and ReDoc's scripts, served by the app (the docs work offline)
    ("GET", "/docs-assets/{path}"): Access(PUBLIC, "/docs-assets/swagger-ui.css"),
    ("GET", "/redoc"): Access(PUBLIC, "/redoc"),
    # --- recommendations ---
    ("POST", "/v1/recommendations"): Access.scoped(
        "/v1/recommendations", "recommend", "advocate", body=NEED
    ),
    # the owner (the recommend key that asked) may read it too: see TestObjectLevel
    ("GET", "/v1/recommendations/{record_id}"): Access.scoped(
        "/v1/recommendations/{record}", "recommend", "advocate", "insights"
    ),
    ("POST", "/v1/recommendations/{record_id}/outcome"): Access.scoped(
        "/v1/recommendations/{record}/outcome",
        "recommend",
        "advocate",
        body={"outcome": "declined"},
    ),
    # --- catalogue ---
    ("GET", "/v1/offerings"): Access(ANY_KEY, "/v1/offerings"),
    ("GET", "/v1/offerings/{offering_id}"): Access(ANY_KEY, "/v1/offerings/ledger-own"),
    ("PUT", "/v1/offerings/{offering_id}"): Access.scoped(
        "/v1/offerings/ledger-own", "curator", body=OFFERING
    ),
    ("DELETE", "/v1/offerings/{offering_id}"): Access.scoped("/v1/offerings/free-other", "curator"),
    ("GET", "/v1/capabilities"): Access(ANY_KEY, "/v1/capabilities"),
    ("GET", "/v1/ranking"): Access(PUBLIC, "/v1/ranking"),
    ("GET", "/v1/catalog/versions"): Access.scoped(
        "/v1/catalog/versions", "curator", "insights", "advocate"
    ),
    ("POST", "/v1/catalog/versions/{version_id}/activate"): Access.scoped(
        "/v1/catalog/versions/1/activate", "curator"
    ),
    ("GET", "/v1/catalog/changes"): Access.scoped(
        "/v1/catalog/changes", "curator", "insights", "advocate"
    ),
    # --- insights and operations ---
    ("GET", "/v1/insights/audit"): Access.scoped("/v1/insights/audit", "insights"),
    ("GET", "/v1/insights/gaps"): Access.scoped("/v1/insights/gaps", "insights"),
    ("GET", "/v1/insights/gaps.csv"): Access.scoped("/v1/insights/gaps.csv", "insights"),
    ("GET", "/v1/insights/clusters"): Access.scoped("/v1/insights/clusters", "insights"),
    ("GET", "/v1/insights/suggestions"): Access.scoped("/v1/insights/suggestions", "insights"),
    # an unknown suggestion: 404 once the scope is granted
    ("POST", "/v1/insights/suggestions/{suggestion_id}/accept"): Access.scoped(
        "/v1/insights/suggestions/sug_0000000000000000/accept", "curator"
    ),
    ("POST", "/v1/insights/suggestions/{suggestion_id}/reject"): Access.scoped(
        "/v1/insights/suggestions/sug_0000000000000000/reject", "curator"
    ),
    ("GET", "/healthz"): Access(PUBLIC, "/healthz"),
    ("GET", "/readyz"): Access(PUBLIC, "/readyz"),
    ("GET", "/metrics"): Access.scoped("/metrics", "insights"),
    # --- pages (session cookie; scopes are the page's) ---
    ("GET", "/sign-in"): Access(PUBLIC, "/sign-in"),
    ("POST", "/sign-in"): Access(PUBLIC, "/sign-in"),  # CSRF-checked: tests/web/test_session.py
    ("POST", "/sign-out"): Access(PAGE, "/sign-out", frozenset({"advocate", "insights"})),
    ("GET", "/console"): Access(PAGE, "/console", frozenset({"advocate"})),
    ("POST", "/console/look-up"): Access(
        PAGE, "/console/look-up", frozenset({"advocate"}), form={"need": "send invoices"}
    ),
    ("GET", "/console/r/{record_id}"): Access(PAGE, "/console/r/{record}", frozenset({"advocate"})),
    ("POST", "/console/r/{record_id}/outcome"): Access(
        PAGE, "/console/r/{record}/outcome", frozenset({"advocate"}), form={"outcome": "declined"}
    ),
    ("POST", "/console/r/{record_id}/without"): Access(
        PAGE, "/console/r/{record}/without", frozenset({"advocate"}), form={"constraint": "region"}
    ),
    ("GET", "/insights"): Access(PAGE, "/insights", frozenset({"insights"})),
    ("GET", "/insights/gaps.csv"): Access(PAGE, "/insights/gaps.csv", frozenset({"insights"})),
    # a curator's decision; only admin holds curator and a page scope (curator keys cannot sign in)
    ("POST", "/insights/suggestions/{suggestion_id}/{decision}"): Access(
        PAGE, "/insights/suggestions/sug_0000000000000000/accept", frozenset({"curator"})
    ),
    ("GET", "/widget.js"): Access(PUBLIC, "/widget.js"),
    ("GET", "/widget-demo"): Access(PUBLIC, "/widget-demo"),
    ("GET", "/static/{path}"): Access(PUBLIC, "/static/pages.css"),
    ("GET", "/favicon.ico"): Access(PUBLIC, "/favicon.ico"),
}


def app_routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, path template) of every route the app serves, HEAD left out."""
    for route in app.routes:
        if isinstance(route, Mount):
            yield "GET", f"{route.path}/{{path}}"
            continue
        # FastAPI ≥ 0.120 keeps included routers as one entry each; older ones flatten them
        contexts = getattr(route, "effective_route_contexts", None)
        found = list(contexts()) if contexts is not None else [route]
        for context in found:
            for method in sorted(getattr(context, "methods", None) or ()):
                if method != "HEAD":
                    yield method, context.path


def test_every_route_has_an_access_row(app: FastAPI) -> None:
    """A route without a row here fails: its access must be decided, then tested below."""
    served = set(app_routes(app))
    assert len(served) >= 30
    assert served - ROUTES.keys() == set(), "routes without an access row"
    assert ROUTES.keys() - served == set(), "rows for routes the app does not serve"


@pytest.fixture
def record_id(client: TestClient, keys: Keys) -> str:
    """A recommendation asked for by the ``recommend`` key."""
    response = client.post("/v1/recommendations", json=NEED, headers=keys.auth(keys.recommend))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _call(
    client: TestClient, method: str, access: Access, record: str, headers: dict[str, str]
) -> int:
    path = access.path.replace("{record}", record)
    response = client.request(method, path, json=access.body, headers=headers)
    return response.status_code


API_ROWS = [(method, path) for (method, path), a in ROUTES.items() if a.kind != PAGE]
PAGE_ROWS = [(method, path) for (method, path), a in ROUTES.items() if a.kind == PAGE]


@pytest.mark.parametrize(("method", "path"), API_ROWS, ids=[f"{m} {p}" for m, p in API_ROWS])
def test_every_api_route_enforces_its_scope(
    client: TestClient, keys: Keys, record_id: str, method: str, path: str
) -> None:
    """No key: 401 (unless public); a key without the scope: 403; with it (or admin): served."""
    access = ROUTES[(method, path)]
    anonymous = _call(client, method, access, record_id, {})
    if access.kind == PUBLIC:
        # served without a key (POST /sign-in without its CSRF token: 403, never 401)
        assert anonymous < 500, f"public route failed: {anonymous}"
        assert anonymous != 401, "a public route asked for a key"
        return
    assert anonymous == 401
    assert _call(client, method, access, record_id, keys.auth("rk_0_not-a-key")) == 401
    for name in SCOPED:
        status = _call(client, method, access, record_id, keys.auth(getattr(keys, name)))
        allowed = access.kind == ANY_KEY or name in access.scopes
        if allowed:
            assert status not in (401, 403), f"{name} has the scope but got {status}"
            assert status < 500, f"{name}: {status}"
        else:
            assert status == 403, f"{name} lacks the scope but got {status}"
    admin = _call(client, method, access, record_id, keys.auth(keys.admin))
    assert admin not in (401, 403)
    assert admin < 500


@pytest.mark.parametrize(("method", "path"), PAGE_ROWS, ids=[f"{m} {p}" for m, p in PAGE_ROWS])
def test_every_page_enforces_its_scope(
    app: FastAPI, keys: Keys, record_id: str, method: str, path: str
) -> None:
    """No session: sent to the sign-in; a session without the scope: 403; with it: served."""
    access = ROUTES[(method, path)]
    url = access.path.replace("{record}", record_id)
    for name in (None, *SCOPED, "admin"):
        with TestClient(app) as browser:
            token = ""
            if name in ("advocate", "insights", "admin"):
                token = sign_in(browser, getattr(keys, name))
            elif name is not None:  # recommend and curator keys cannot sign in at all
                form = browser.get("/sign-in")
                refused = browser.post(
                    "/sign-in",
                    data={"key": getattr(keys, name), "csrf_token": csrf_of(form.text)},
                    follow_redirects=False,
                )
                assert refused.status_code == 403
            data = {**(access.form or {}), "csrf_token": token}
            response = browser.request(
                method, url, data=data if method == "POST" else None, follow_redirects=False
            )
        if name is None or not token:
            assert response.status_code == 303
            assert response.headers["location"].startswith("/sign-in")
        elif name == "admin" or name in access.scopes:
            # served (a second outcome on the same recommendation is a 409, still served)
            assert response.status_code in (200, 303, 409), f"{name}: {response.status_code}"
            if path != "/sign-out":  # which itself leads to the sign-in
                assert not response.headers.get("location", "").startswith("/sign-in")
        else:
            assert response.status_code == 403, f"{name}: {response.status_code}"


class TestObjectLevel:
    """API1: a key reads and records outcomes only of its own recommendations (unless advocate
    or insights may read them, and advocate may record them)."""

    @pytest.fixture
    def other_key(self, database: Database) -> str:
        with database.session() as session:
            return create_key(session, name="another server", scopes=["recommend"]).secret

    def test_a_key_reads_its_own_recommendation_only(
        self, client: TestClient, keys: Keys, record_id: str, other_key: str
    ) -> None:
        url = f"/v1/recommendations/{record_id}"
        assert client.get(url, headers=keys.auth(keys.recommend)).status_code == 200
        refused = client.get(url, headers=keys.auth(other_key))
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
        assert "results" not in refused.json()
        for reader in (keys.advocate, keys.insights, keys.admin):
            assert client.get(url, headers=keys.auth(reader)).status_code == 200

    def test_a_key_records_outcomes_of_its_own_recommendations_only(
        self, client: TestClient, keys: Keys, record_id: str, other_key: str
    ) -> None:
        url = f"/v1/recommendations/{record_id}/outcome"
        outcome = {"outcome": "accepted", "offering_id": "ledger-own"}
        assert client.post(url, json=outcome, headers=keys.auth(other_key)).status_code == 403
        # insights may read any recommendation but records no outcomes
        assert client.post(url, json=outcome, headers=keys.auth(keys.insights)).status_code == 403
        stored = client.get(f"/v1/recommendations/{record_id}", headers=keys.auth(keys.advocate))
        assert stored.json()["outcome"] is None, "a refused outcome was stored"
        assert client.post(url, json=outcome, headers=keys.auth(keys.recommend)).status_code == 201

    def test_an_advocate_records_any_outcome(
        self, client: TestClient, keys: Keys, record_id: str
    ) -> None:
        url = f"/v1/recommendations/{record_id}/outcome"
        response = client.post(url, json={"outcome": "declined"}, headers=keys.auth(keys.advocate))
        assert response.status_code == 201

    def test_a_widget_key_cannot_read_other_keys_recommendations(
        self, client: TestClient, keys: Keys, record_id: str
    ) -> None:
        origin = {"Origin": "https://shop.example"}
        response = client.get(
            f"/v1/recommendations/{record_id}", headers=keys.auth(keys.widget) | origin
        )
        assert response.status_code == 403
