"""Live servers for the browser tests: the app under uvicorn, and plain host pages elsewhere.

The API runs on one loopback port; each widget host page is served from another port, so the
widget really works cross-origin, with CORS and the key's allowed origins in the way.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import uvicorn
from fastapi import FastAPI


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_app(app: FastAPI, *, port: int | None = None) -> Iterator[str]:
    """Run ``app`` under uvicorn in a thread; its base URL until the block ends."""
    port = port or free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A shop</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  /* a host page with loud styles of its own: they must not reach into the widget */
  * {{ color: rgb(200, 0, 0) !important; font-family: Georgia, serif !important; }}
  button, textarea {{ display: none !important; }}
  p.own {{ color: rgb(0, 90, 0) !important; }}
</style></head>
<body>
<h1>Example shop</h1>
<p class="own">The shop's own text.</p>
<script src="{api}/widget.js" data-key="{key}"{attributes} defer></script>
</body></html>
"""


@dataclass(frozen=True)
class HostSite:
    """A page on another origin that embeds the widget."""

    origin: str
    url: str


@contextmanager
def serve_host_page(
    *, api: str, key: str, port: int | None = None, variants: Mapping[str, str] | None = None
) -> Iterator[HostSite]:
    """Serve a host page embedding the widget (API ``api``, key ``key``) on its own port: at
    ``/``, and at each path of ``variants`` with those extra attributes on its script tag
    (``data-contact="…"``). Another origin is another address space to Chromium, so a page a
    test makes up must come from here, not from a routed request."""
    bodies = {
        path: HOST_PAGE.format(api=api, key=key, attributes=f" {attributes}").encode("utf-8")
        for path, attributes in (variants or {}).items()
    }
    bodies["/"] = HOST_PAGE.format(api=api, key=key, attributes="").encode("utf-8")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = bodies.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

    server = ThreadingHTTPServer(("127.0.0.1", port or free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, name="host-page", daemon=True)
    thread.start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield HostSite(origin=origin, url=f"{origin}/")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
