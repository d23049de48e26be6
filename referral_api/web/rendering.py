"""HTML pages: one Jinja2 environment (autoescaping on), the pages' security headers, page errors.

Every page response carries a Content-Security-Policy without inline scripts or styles, so even
markup that slipped through escaping could not run; ``X-Content-Type-Options: nosniff``;
``frame-ancestors 'none'`` (and ``X-Frame-Options: DENY`` for older browsers); and a strict
``Referrer-Policy``. Signed-in pages are not cached.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from referral_api.errors import RateLimited, ReferralError
from referral_api.web.session import PAGE_ERRORS, PageSession, SignInRequired, sign_in_url

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"

PAGE_CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": PAGE_CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}

environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
    autoescape=True,  # every template, whatever its name: nothing typed by a person is trusted
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
templates = Jinja2Templates(env=environment)


def secure_page(response: Response, *, private: bool) -> Response:
    """Add the page security headers; ``private`` pages (signed in) are never cached."""
    response.headers.update(PAGE_HEADERS)
    if private:
        response.headers["Cache-Control"] = "no-store"
    return response


def render_page(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    page: PageSession | None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a page template with the session (``page``), its CSRF token and the headers."""
    full = {"page": page, "csrf_token": page.csrf_token if page else "", **(context or {})}
    response = templates.TemplateResponse(request, template, full, status_code=status_code)
    secure_page(response, private=page is not None)
    return response


def see_other(url: str) -> RedirectResponse:
    """After a form post: go to ``url`` with GET (so a reload never posts twice)."""
    response = RedirectResponse(url, status_code=303)
    secure_page(response, private=True)
    return response


class PageStaticFiles(StaticFiles):
    """The pages' CSS and JS: never sniffed as another type, cached briefly."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "public, max-age=300"
        return response


def install_page_handlers(app: FastAPI) -> None:
    """Page errors render as HTML; a page that needs a session redirects to the sign-in."""

    async def sign_in_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInRequired)
        return see_other(sign_in_url(exc.next_path))

    async def page_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ReferralError)
        page = getattr(request.state, "page_session", None)
        response = render_page(
            request, "error.html", {"error": exc}, page=page, status_code=exc.status
        )
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    app.add_exception_handler(SignInRequired, sign_in_required)
    for error in PAGE_ERRORS:
        app.add_exception_handler(error, page_error)
