"""Page tests: the API app over the rolled-back test database, and a browser signed in to it."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.api.conftest import Keys, app, client, keys, settings

CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = CSRF.search(html)
    assert found is not None, "no form with a CSRF token on this page"
    return found.group(1)


def sign_in(client: TestClient, secret: str, *, next_path: str = "") -> str:
    """Sign ``client`` in with ``secret``; the session's CSRF token."""
    form = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={"key": secret, "next": next_path, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    # every signed-in page (an error page too) carries the sign-out form and its token
    return csrf_of(client.get("/console").text)


__all__ = ["Keys", "app", "client", "csrf_of", "keys", "settings", "sign_in"]
