"""Every error, in one shape: ``application/problem+json`` (RFC 9457), rendered by one function.

The service's own errors (:mod:`referral_api.errors`), FastAPI's request validation, Starlette's
HTTP errors (unknown route, wrong method), database contention and anything unexpected all
end in :func:`problem_response`; the body-size middleware uses it too.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from referral_api.errors import (
    Forbidden,
    InputError,
    NotFound,
    RateLimited,
    ReferralError,
    Unauthenticated,
    Unavailable,
)
from referral_api.schemas.problems import input_error, problem_body

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("referral_api.api")


class MethodNotAllowed(ReferralError):
    status = 405
    slug = "method-not-allowed"
    title = "Method not allowed"


class InvalidHost(ReferralError):
    status = 400
    slug = "invalid-host"
    title = "Invalid host"


class RequestTimeout(ReferralError):
    status = 408
    slug = "request-timeout"
    title = "Request timeout"


def problem_response(
    error: ReferralError, instance: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The one rendering of an error."""
    extra = dict(headers or {})
    if isinstance(error, RateLimited | Unavailable):
        extra["Retry-After"] = str(error.retry_after)
    if isinstance(error, Unauthenticated):
        extra["WWW-Authenticate"] = "Bearer"
    return JSONResponse(
        problem_body(error, instance),
        status_code=error.status,
        headers=extra,
        media_type=PROBLEM_JSON,
    )


def loggable(text: str) -> str:
    """``text`` on one log line: control characters (CR, LF, ESC …) escaped, so a request
    path or header cannot forge log lines or drive a terminal."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


def http_error(exc: StarletteHTTPException) -> ReferralError:
    detail = str(exc.detail)
    if exc.status_code == 400:
        # FastAPI's "error parsing the body" (not UTF-8, not a form): invalid input like any other
        return InputError(
            f"the body could not be read: {detail}",
            fields=[{"field": "body", "message": "not valid UTF-8 JSON (or form data)"}],
        )
    if exc.status_code == 404:
        return NotFound("no such resource" if detail == "Not Found" else detail)
    if exc.status_code == 405:
        return MethodNotAllowed(detail)
    if exc.status_code == 401:
        return Unauthenticated(detail)
    if exc.status_code == 403:
        return Forbidden(detail)
    if 400 <= exc.status_code < 500:
        error = InputError(detail)
        error.status = exc.status_code  # type: ignore[misc]
        return error
    return ReferralError(detail)


def install_problem_handlers(app: FastAPI) -> None:
    """Route every exception through :func:`problem_response`."""

    async def referral(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ReferralError)
        return problem_response(exc, request.url.path)

    async def validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return problem_response(input_error(exc.errors()), request.url.path)

    async def http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        headers = (
            {"Allow": exc.headers["Allow"]} if exc.headers and "Allow" in exc.headers else None
        )
        return problem_response(http_error(exc), request.url.path, headers)

    async def database_busy(request: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable: %s", loggable(str(exc)))
        error = Unavailable("the database is busy or unreachable; try again", retry_after=2)
        return problem_response(error, request.url.path)

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception(
            "unexpected error on %s %s", loggable(request.method), loggable(request.url.path)
        )
        return problem_response(ReferralError("unexpected error"), request.url.path)

    app.add_exception_handler(ReferralError, referral)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(StarletteHTTPException, http)
    app.add_exception_handler(OperationalError, database_busy)
    app.add_exception_handler(Exception, unexpected)
