"""The pages: advocate console, support widget and its demo, and the sign-in they share.

``install_web(app)`` adds the page routes, the static files and the page error handlers to
the API app; pages are not in the OpenAPI document.
"""

from __future__ import annotations

from fastapi import FastAPI

from referral_api.config import Environment, Settings
from referral_api.web import routes
from referral_api.web.rendering import STATIC_DIR, PageStaticFiles, install_page_handlers
from referral_api.web.session import resolve_session_secret


def install_web(app: FastAPI, settings: Settings) -> None:
    """Serve the pages from ``app``; production refuses to start without a session secret."""
    if settings.env is Environment.PRODUCTION:
        resolve_session_secret(settings)
    install_page_handlers(app)
    app.include_router(routes.router)
    app.mount("/static", PageStaticFiles(directory=STATIC_DIR), name="static")


__all__ = ["install_web"]
