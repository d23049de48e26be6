"""``/docs`` and ``/redoc`` work without internet: every asset they load comes from the app and
no other host is named; and the site icon every browser asks for is there."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Keys


class _Assets(HTMLParser):
    """Every address an HTML page makes the browser fetch: src, href, and the quoted ``/…``
    addresses its inline scripts hand to Swagger UI or ReDoc (the OpenAPI document)."""

    def __init__(self) -> None:
        super().__init__()
        self.addresses: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        for name, value in attrs:
            if name in ("src", "href", "spec-url") and value:
                self.addresses.append(value)

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.addresses += re.findall(r"""['"](/[^'"\s]*)['"]""", data)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_load_every_asset_from_the_app(client: TestClient, keys: Keys, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    html = response.text
    # no CDN, no font service, no validator: no address of another host anywhere in the page
    assert not re.search(r"(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]", html), html
    parser = _Assets()
    parser.feed(html)
    addresses = [a for a in parser.addresses if not a.startswith("#")]
    assert "/openapi.json" in addresses
    assert any(a.endswith(".js") for a in addresses)
    for address in addresses:
        asset = client.get(urljoin(page, address))
        assert asset.status_code == 200, address
        assert asset.content, address


def test_swagger_ui_assets_are_the_real_ones(client: TestClient, keys: Keys) -> None:
    html = client.get("/docs").text
    assert "/docs-assets/swagger-ui-bundle.js" in html
    assert "SwaggerUIBundle" in client.get("/docs-assets/swagger-ui-bundle.js").text
    assert "Redoc" in client.get("/docs-assets/redoc.standalone.js").text
    assert '"validatorUrl": null' in html


def test_favicon_is_served_with_its_type(client: TestClient, keys: Keys) -> None:
    """Every page asked for /favicon.ico and got a 404."""
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/vnd.microsoft.icon"
    reserved, kind, count = icon.content[0:2], icon.content[2:4], icon.content[4]
    assert (reserved, kind) == (b"\x00\x00", b"\x01\x00")
    assert count >= 1
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.startswith("<svg")


def test_pages_link_the_icon(client: TestClient, keys: Keys) -> None:
    page = client.get("/sign-in")
    assert page.status_code == 200
    parser = _Assets()
    parser.feed(page.text)
    assert {"/favicon.ico", "/static/favicon.svg"} <= set(parser.addresses)
