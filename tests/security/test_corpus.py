"""The hostile corpus (:mod:`tests.security.corpus`) through every input route, on both backends.

Each value goes into the route's main field and into one other field (round robin), each raw
body is sent whole, each raw query value into every query parameter. Every answer must be a
correct 2xx (its schema validates, exactly what it should have stored is stored) or a 4xx
``application/problem+json`` that, for a field error, names the field; never a 5xx; and a
refused request stores nothing. Pages answer with HTML instead of problem+json (they show the
problem next to the form field), under the same rules otherwise.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from pydantic import BaseModel

from referral_api.schemas import (
    AuditPublic,
    CatalogChangePublic,
    ClustersPublic,
    GapsPublic,
    OfferingsPublic,
    OutcomePublic,
    RecommendationPublic,
)
from referral_api.schemas.suggestions import SuggestionsPublic
from referral_api.store.db import Database
from tests.security.conftest import Keys, csrf_of, row_counts, sign_in
from tests.security.corpus import RAW_BODIES, RAW_QUERIES, SIZE, VALUES, Case

#: the 4xx statuses the OpenAPI document lists for input routes
DOCUMENTED = {401, 403, 404, 405, 409, 413, 422, 429}  # 405: an empty id is the collection
OFFERING = {"name": "Ledger Own", "relationship": "own", "capabilities": {"invoicing": "full"}}


@dataclass(frozen=True)
class InputRoute:
    """An input route: where values go (``fields``, the main one first) and what 2xx means."""

    method: str
    path: str  # "{record}": a recommendation made for the test; "{value}": the case itself
    fields: tuple[str, ...]
    base: dict[str, Any] = field(default_factory=dict)
    kind: str = "json"  # json body | query | path | form
    success: type[BaseModel] | None = None
    stores: str | None = None  # the table a success adds exactly one row to


ROUTES = {
    "recommend": InputRoute(
        "POST", "/v1/recommendations",
        ("need", "limit", "constraints", "constraints.budget_monthly", "constraints.currency",
         "constraints.region", "constraints.platforms", "constraints.segment",
         "constraints.must_have", "constraints.compliance", "constraints.price_models"),
        {"need": "We send invoices", "limit": 3}, success=RecommendationPublic,
        stores="recommendations",
    ),
    "outcome": InputRoute(
        "POST", "/v1/recommendations/{record}/outcome", ("outcome", "offering_id", "note"),
        {"outcome": "declined"}, success=OutcomePublic, stores="outcomes",
    ),
    "edit-offering": InputRoute(
        "PUT", "/v1/offerings/ledger-own",
        ("name", "relationship", "capabilities", "summary", "regions", "platforms", "url",
         "price", "price.monthly_from", "referral.disclosure", "reviewed", "status"),
        OFFERING | {"price": {"model": "subscription", "monthly_from": 10},
                    "referral": {"fee": False, "disclosure": "Ours."}},
        success=CatalogChangePublic, stores="catalog_versions",
    ),
    "list-offerings": InputRoute(
        "GET", "/v1/offerings",
        ("q", "capability", "region", "platform", "relationship", "cursor", "limit"),
        kind="query", success=OfferingsPublic,
    ),
    "audit": InputRoute(
        "GET", "/v1/insights/audit", ("since", "limit"), kind="query", success=AuditPublic
    ),
    "gaps": InputRoute(
        "GET", "/v1/insights/gaps",
        ("capability", "since", "until", "channel", "segment", "region", "catalog_version",
         "kind", "limit"),
        kind="query", success=GapsPublic,
    ),
    "gaps-csv": InputRoute(
        "GET", "/v1/insights/gaps.csv", ("since", "until", "kind", "region", "limit"),
        kind="query",
    ),
    "clusters": InputRoute(
        "GET", "/v1/insights/clusters", ("capability", "since", "kind", "limit", "region"),
        kind="query", success=ClustersPublic,
    ),
    "suggestions": InputRoute(
        "GET", "/v1/insights/suggestions", ("status", "since", "until", "min_support", "limit"),
        kind="query", success=SuggestionsPublic,
    ),
    "accept-suggestion": InputRoute(
        "POST", "/v1/insights/suggestions/sug_0000000000000000/accept", ("capability", "phrase"),
        {"capability": "invoicing"},
    ),
    "accept-suggestion-id": InputRoute(
        "POST", "/v1/insights/suggestions/{value}/accept", ("suggestion_id",), kind="path"
    ),
    "read-recommendation": InputRoute(
        "GET", "/v1/recommendations/{value}", ("record_id",), kind="path"
    ),
    "read-offering": InputRoute("GET", "/v1/offerings/{value}", ("offering_id",), kind="path"),
    "edit-offering-id": InputRoute(
        "PUT", "/v1/offerings/{value}", ("offering_id",), OFFERING, kind="path",
        success=CatalogChangePublic, stores="catalog_versions",
    ),
}  # fmt: skip


def test_the_corpus_is_big_enough() -> None:
    assert SIZE >= 200
    names = [case.name for case in [*VALUES, *RAW_BODIES, *RAW_QUERIES]]
    assert len(names) == len(set(names))


def _put(body: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    body = json.loads(json.dumps(body))
    *parents, last = dotted.split(".")
    target = body
    for parent in parents:
        child = target.get(parent)
        target[parent] = child if isinstance(child, dict) else {}
        target = target[parent]
    target[last] = value
    return body


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def names_field(errors: list[dict[str, str]], dotted: str) -> bool:
    """Whether an error names ``dotted`` (or a part of it; catalogue errors prefix the id)."""
    pattern = re.compile(rf"(^|\.){re.escape(dotted)}($|[.\[])")
    return any(pattern.search(error.get("field", "")) for error in errors)


class Driver:
    """Sends cases through one route and collects every broken rule."""

    def __init__(self, client: TestClient, database: Database, keys: Keys, route: InputRoute):
        self.client = client
        self.database = database
        self.route = route
        self.headers = keys.auth(keys.admin)
        self.failures: list[str] = []
        made = client.post(
            "/v1/recommendations", json={"need": "We send invoices"}, headers=self.headers
        )
        self.record = made.json()["id"]

    def send(self, case: Case, where: str | None) -> None:
        route = self.route
        path = route.path.replace("{record}", self.record)
        content: bytes | None = None
        params: str | None = None
        if route.kind == "path":
            path = path.replace("{value}", quote(_text(case.value), safe=""))
            content = json.dumps(route.base).encode() if route.base else None
        elif route.kind == "query":
            assert where is not None
            raw = case.value if isinstance(case.value, str) and where == "raw" else None
            params = raw or f"{where}={quote(_text(case.value), safe='')}"
        elif where is None:
            content = case.value
        else:
            content = json.dumps(_put(route.base, where, case.value)).encode()
        url = f"{path}?{params}" if params else path
        before = row_counts(self.database)
        headers = self.headers | {"Content-Type": "application/json"}
        response = self.client.request(route.method, url, content=content, headers=headers)
        self.check(case, where, response, before)

    def check(
        self, case: Case, where: str | None, response: Response, before: dict[str, int]
    ) -> None:
        route = self.route
        label = f"{case.name} in {where or 'body'}: {response.status_code}"
        after = row_counts(self.database)
        if response.status_code >= 500:
            self.failures.append(f"{label} {response.text[:200]}")
            return
        if response.status_code >= 300:
            if response.status_code not in DOCUMENTED:
                self.failures.append(f"{label}: a status the API does not document")
            if response.headers.get("content-type") != "application/problem+json":
                self.failures.append(f"{label}: not problem+json")
            elif response.status_code == 422:
                errors = response.json().get("errors") or []
                named = where or "body"
                if route.kind == "path":
                    named = route.fields[0]
                if not errors or (where not in (None, "raw") and not names_field(errors, named)):
                    self.failures.append(f"{label}: does not name {named}: {errors}")
            if after != before:
                self.failures.append(f"{label}: stored something {before} → {after}")
            return
        if route.success is not None:
            try:
                route.success.model_validate(response.json())
            except ValueError as exc:
                self.failures.append(f"{label}: 2xx does not match its schema: {exc}")
        expected = dict(before)
        if route.stores is not None and route.method != "GET":
            expected[route.stores] += 1
            if route.stores == "catalog_versions":
                expected["catalog_changes"] += 1
        if after != expected:
            self.failures.append(f"{label}: stored {before} → {after}, expected {expected}")


@pytest.mark.parametrize("name", list(ROUTES))
def test_the_corpus_never_breaks_an_api_route(
    client: TestClient, database: Database, keys: Keys, name: str
) -> None:
    route = ROUTES[name]
    driver = Driver(client, database, keys, route)
    for index, case in enumerate(VALUES):
        if route.kind == "path":
            driver.send(case, None)
            continue
        driver.send(case, route.fields[0])
        if len(route.fields) > 1:
            driver.send(case, route.fields[1 + index % (len(route.fields) - 1)])
    if route.kind == "json":
        for case in RAW_BODIES:
            driver.send(case, None)
    if route.kind == "query":
        for case in RAW_QUERIES:
            for param in route.fields:
                driver.send(Case(case.name, f"{param}={case.value}"), "raw")
    assert driver.failures == []


PAGE_FIELDS = ("need", "budget", "currency", "region", "platforms", "segment", "compliance")


def test_the_corpus_never_breaks_the_console_forms(
    app: FastAPI, database: Database, keys: Keys
) -> None:
    failures: list[str] = []
    with TestClient(app) as browser:
        token = sign_in(browser, keys.advocate)
        for index, case in enumerate(VALUES):
            other = PAGE_FIELDS[1 + index % (len(PAGE_FIELDS) - 1)]
            for where in ("need", other):
                data = {"need": "We send invoices", where: _text(case.value), "csrf_token": token}
                before = row_counts(database)
                response = browser.post("/console/look-up", data=data, follow_redirects=False)
                after = row_counts(database)
                label = f"{case.name} in {where}: {response.status_code}"
                if response.status_code >= 500:
                    failures.append(label)
                elif response.status_code == 303:
                    if after["recommendations"] != before["recommendations"] + 1:
                        failures.append(f"{label}: redirected but stored nothing")
                else:
                    # a form problem is shown on the page; a malformed post is problem+json
                    page = "content-security-policy" in response.headers
                    problem = response.headers["content-type"] == "application/problem+json"
                    if not (page or problem):
                        failures.append(f"{label}: neither a page nor a problem")
                    if after != before:
                        failures.append(f"{label}: a refused look-up stored something")
    assert failures == []


def test_the_corpus_never_breaks_the_sign_in_form(
    app: FastAPI, database: Database, keys: Keys
) -> None:
    """The sign-in stores nothing: one backend is enough."""
    if database.backend != "sqlite":
        pytest.skip("the sign-in form stores nothing; run on SQLite only")
    failures: list[str] = []
    with TestClient(app) as browser:
        for index, case in enumerate(VALUES):
            for where in ("next", "key") if index % 2 else ("next",):
                form = browser.get("/sign-in")
                data = {"key": keys.advocate, "next": "", "csrf_token": csrf_of(form.text)}
                data[where] = _text(case.value)
                response = browser.post("/sign-in", data=data, follow_redirects=False)
                label = f"sign-in {case.name} in {where}: {response.status_code}"
                if response.status_code >= 500:
                    failures.append(label)
                elif response.status_code == 303:
                    location = response.headers["location"]
                    if not location.startswith("/") or location.startswith("//"):
                        failures.append(f"{label}: leads off this site to {location!r}")
                browser.cookies.clear()
    assert failures == []
