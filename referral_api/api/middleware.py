"""Pure ASGI middleware: allowed hosts, body size limit, CORS for keys' allowed origins,
Prometheus metrics; and the trailing-slash redirect, relative."""

from __future__ import annotations

import time
from collections.abc import Callable

import anyio
from starlette.datastructures import URL, Headers, MutableHeaders
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import RedirectResponse
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from referral_api.api.problems import InvalidHost, RequestTimeout, problem_response
from referral_api.errors import Forbidden, PayloadTooLarge
from referral_api.http.metrics import Metrics

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class AllowedHostsMiddleware:
    """Answer only requests whose ``Host`` names an allowed host; others get a 400 problem.

    Starlette's :class:`TrustedHostMiddleware` decides (exact names, ``*.example.com``, ``*``);
    its plain-text refusal is replaced by the problem+json every other error is. The refused
    host is not echoed.
    """

    ADMITTED = "referral.host_admitted"

    def __init__(self, app: ASGIApp, *, allowed_hosts: list[str]) -> None:
        self.app = app
        self.allow_any = "*" in allowed_hosts
        self.check = TrustedHostMiddleware(self._admit, allowed_hosts, www_redirect=False)

    async def _admit(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[self.ADMITTED] = True
        await self.app(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.allow_any:
            await self.app(scope, receive, send)
            return

        async def drop_refusal(message: Message) -> None:
            if scope.get(self.ADMITTED):
                await send(message)

        await self.check(scope, receive, drop_refusal)
        if not scope.get(self.ADMITTED):
            refused = InvalidHost("the Host header names no host this service answers for")
            await problem_response(refused, scope["path"])(scope, receive, send)


class RelativeSlashRedirect:
    """The router's answer when no route matches: Starlette's trailing-slash redirect, with a
    relative ``Location`` (``/v1/offerings``), then the router's own 404.

    Starlette builds that ``Location`` from the request's ``Host`` header (and scheme), so a
    forged Host came back in it, and behind a TLS proxy the scheme was wrong; a path is right
    behind any proxy. Install with ``router.redirect_slashes = False``.
    """

    def __init__(self, router: Router) -> None:
        self.router = router
        self.not_found = router.not_found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        if scope["type"] == "http" and path != "/":
            toggled = dict(scope, path=path.rstrip("/") if path.endswith("/") else f"{path}/")
            if any(route.matches(toggled)[0] is not Match.NONE for route in self.router.routes):
                url = URL(scope=toggled)
                location = f"{url.path}?{url.query}" if url.query else url.path
                # "//host" or "/\host" would be another site to a browser; not ours
                if not location.startswith(("//", "/\\")):
                    await RedirectResponse(location)(scope, receive, send)
                    return
        await self.not_found(scope, receive, send)


class BodyLimitMiddleware:
    """Refuse bodies over ``max_bytes`` with 413, and bodies slower than ``timeout_seconds``
    with 408, counting bytes (chunked bodies too).

    The body is read here, up to the limit, and replayed to the app: a too-large body never
    reaches a route, and the 413 is the same problem+json as every other error. The time limit
    is for the whole body, so a client trickling bytes cannot hold a worker for long.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, timeout_seconds: float = 30) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_seconds = timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        too_large = PayloadTooLarge(f"request bodies are limited to {self.max_bytes} bytes")
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await problem_response(too_large, scope["path"])(scope, receive, send)
            return
        try:
            with anyio.fail_after(self.timeout_seconds):
                body = await self._read(receive)
        except TimeoutError:
            slow = RequestTimeout(f"the body did not arrive within {self.timeout_seconds:g} s")
            await problem_response(slow, scope["path"], {"Connection": "close"})(
                scope, receive, send
            )
            return
        if body is None:  # the client went away
            return
        if isinstance(body, PayloadTooLarge):
            await problem_response(too_large, scope["path"])(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _read(self, receive: Receive) -> bytes | PayloadTooLarge | None:
        """The whole body; :class:`PayloadTooLarge` past the limit; ``None`` on disconnect."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return PayloadTooLarge("too large")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


class CorsMiddleware:
    """CORS that answers only for origins API keys allow.

    A preflight carries no key, so it is answered for any origin some active key allows; the
    actual request is then checked against its own key's origins (see ``deps.get_principal``),
    which marks ``state.cors_origin`` when the key allows it.
    """

    def __init__(self, app: ASGIApp, *, allowed_origins: Callable[[], set[str]]) -> None:
        self.app = app
        self.allowed_origins = allowed_origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if (
            scope["method"] == "OPTIONS"
            and origin is not None
            and "access-control-request-method" in headers
        ):
            await self._preflight(origin, headers, scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start" and origin is not None:
                allowed = scope.get("state", {}).get("cors_origin")
                response_headers = MutableHeaders(scope=message)
                response_headers.add_vary_header("Origin")
                if allowed is not None and allowed == origin:
                    response_headers["Access-Control-Allow-Origin"] = origin
                    response_headers["Access-Control-Expose-Headers"] = "Retry-After"
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _preflight(
        self, origin: str, headers: Headers, scope: Scope, receive: Receive, send: Send
    ) -> None:
        allowed = await anyio.to_thread.run_sync(self.allowed_origins)
        response_headers = {"Vary": "Origin"}
        if origin.lower() not in allowed:
            # a problem like every other refusal (the browser shows the caller a CORS error)
            refused = Forbidden("no key allows cross-origin requests from this origin")
            await problem_response(refused, scope["path"], response_headers)(scope, receive, send)
            return
        response_headers |= {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": "GET, POST, PUT, DELETE",
            "Access-Control-Allow-Headers": "Authorization, Content-Type",
            "Access-Control-Max-Age": "600",
        }
        await send(
            {
                "type": "http.response.start",
                "status": 204,
                "headers": [(k.lower().encode(), v.encode()) for k, v in response_headers.items()],
            }
        )
        await send({"type": "http.response.body", "body": b""})


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - started)
