"""OWASP API8 (security misconfiguration): CORS, allowed hosts and relative redirects, page
headers, no tracebacks, docs switchable."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from referral_api import cli
from referral_api.config import Environment, Settings
from referral_api.http.deps import get_engine
from referral_api.server import create_app
from referral_api.store.db import Database
from tests.api.conftest import fixed_clock
from tests.security.conftest import WIDGET_ORIGIN, Keys, sign_in

EVIL_ORIGIN = "https://evil.example"
NEED = {"need": "We send invoices to our clients"}


class TestCors:
    def preflight(self, client: TestClient, origin: str) -> dict[str, str]:
        response = client.options(
            "/v1/recommendations",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        return {"status": str(response.status_code), **response.headers}

    def test_preflight_answers_only_origins_a_key_allows(self, client: TestClient) -> None:
        allowed = self.preflight(client, WIDGET_ORIGIN)
        assert allowed["status"] == "204"
        assert allowed["access-control-allow-origin"] == WIDGET_ORIGIN
        assert "*" not in allowed["access-control-allow-origin"]
        refused = self.preflight(client, EVIL_ORIGIN)
        assert refused["status"] == "403"
        assert "access-control-allow-origin" not in refused
        # a look-alike origin is another origin
        assert self.preflight(client, WIDGET_ORIGIN + ".evil.example")["status"] == "403"

    def test_a_refused_preflight_is_a_problem(self, client: TestClient) -> None:
        """Issue 16, defect 8: it was an empty 403."""
        response = client.options(
            "/v1/recommendations",
            headers={"Origin": EVIL_ORIGIN, "Access-Control-Request-Method": "POST"},
        )
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["status"] == 403
        assert body["type"].endswith("/forbidden")
        assert body["instance"] == "/v1/recommendations"
        assert "evil" not in response.text  # the origin is not echoed
        assert "Origin" in response.headers["vary"]
        assert "access-control-allow-origin" not in response.headers

    def test_actual_requests_are_readable_only_from_the_key_s_origins(
        self, client: TestClient, keys: Keys
    ) -> None:
        widget = keys.auth(keys.widget)
        ok = client.post(
            "/v1/recommendations", json=NEED, headers=widget | {"Origin": WIDGET_ORIGIN}
        )
        assert ok.status_code == 201
        assert ok.headers["access-control-allow-origin"] == WIDGET_ORIGIN
        assert "Origin" in ok.headers["vary"]
        for secret in (keys.widget, keys.admin):  # a secret key has no origins at all
            refused = client.post(
                "/v1/recommendations",
                json=NEED,
                headers=keys.auth(secret) | {"Origin": EVIL_ORIGIN},
            )
            assert refused.status_code == 403
            assert "access-control-allow-origin" not in refused.headers
        no_origin = client.post("/v1/recommendations", json=NEED, headers=widget)
        assert no_origin.status_code == 403  # a widget key is for browsers on its origins only

    def test_no_credentials_are_allowed_cross_origin(self, client: TestClient) -> None:
        allowed = self.preflight(client, WIDGET_ORIGIN)
        assert "access-control-allow-credentials" not in allowed


class TestHosts:
    """Issue 16, defect 7: ``GET /v1/offerings/`` with ``Host: evil.example`` answered
    ``307 Location: http://evil.example/v1/offerings``."""

    @pytest.mark.parametrize(
        "host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example", "localhost.", ""]
    )
    def test_a_host_not_allowed_is_refused_with_a_problem(
        self, client: TestClient, keys: Keys, host: str
    ) -> None:
        for method, path in (("GET", "/v1/offerings/"), ("GET", "/v1/offerings"), ("GET", "/")):
            response = client.request(
                method,
                path,
                headers=keys.auth(keys.admin) | {"Host": host},
                follow_redirects=False,
            )
            assert response.status_code == 400, (path, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["type"].endswith("/invalid-host")
            assert "location" not in response.headers
            assert "evil" not in response.text

    def test_a_refused_preflight_for_a_bad_host_is_refused_first(self, client: TestClient) -> None:
        response = client.options(
            "/v1/recommendations",
            headers={
                "Host": "evil.example",
                "Origin": WIDGET_ORIGIN,
                "Access-Control-Request-Method": "POST",
            },
        )
        assert response.status_code == 400
        assert "access-control-allow-origin" not in response.headers

    @pytest.mark.parametrize("host", ["testserver", "127.0.0.1:8000", "localhost", "[::1]:8000"])
    def test_the_trailing_slash_redirect_is_relative(
        self, client: TestClient, keys: Keys, host: str
    ) -> None:
        response = client.get(
            "/v1/offerings/?limit=2&capability=invoicing",
            headers=keys.auth(keys.admin) | {"Host": host},
            follow_redirects=False,
        )
        assert response.status_code == 307
        assert response.headers["location"] == "/v1/offerings?limit=2&capability=invoicing"
        followed = client.get("/v1/offerings/?limit=2", headers=keys.auth(keys.admin))
        assert followed.status_code == 200
        assert followed.url.path == "/v1/offerings"

    def test_a_redirect_never_leaves_the_site(self, client: TestClient) -> None:
        for path in ("//evil.example/", "//evil.example", "/\\evil.example/"):
            response = client.get(path, follow_redirects=False)
            assert response.status_code == 404, path
            assert "location" not in response.headers

    def test_configured_hosts_and_the_serving_host_are_allowed(
        self, database: Database, keys: Keys, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("REFERRAL_ALLOWED_HOSTS", "referral.example.com, *.shop.example")
        settings = Settings(env=Environment.TEST, host="10.1.2.3")
        assert settings.trusted_hosts == ["referral.example.com", "*.shop.example", "10.1.2.3"]
        app = create_app(settings, database=database, poll=False, clock=fixed_clock)
        with TestClient(app) as client:
            for host, status in [
                ("referral.example.com", 200),
                ("REFERRAL.example.com:443", 200),
                ("eu.shop.example", 200),
                ("10.1.2.3:8000", 200),
                ("testserver", 400),  # the default list is replaced, not extended
                ("evil.example", 400),
                ("referral.example.com.evil.example", 400),
            ]:
                response = client.get("/healthz", headers={"Host": host})
                assert response.status_code == status, host

    def test_serve_takes_the_allowed_hosts_flag(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        served: list[dict[str, Any]] = []

        def run(app: Any, **options: Any) -> None:
            env_file = options.get("env_file")
            served.append({"app": app, "env": Path(env_file).read_text() if env_file else ""})

        monkeypatch.setattr(uvicorn, "run", run)
        url = f"sqlite:///{tmp_path / 'serve.db'}"
        flags = ["serve", "--database-url", url, "--allowed-hosts", "a.example,*.b.example"]
        runner = CliRunner()
        assert runner.invoke(cli.app, flags).exit_code == 0
        assert runner.invoke(cli.app, [*flags, "--workers", "2"]).exit_code == 0
        one, many = served
        assert one["app"].state.settings.trusted_hosts == ["a.example", "*.b.example", "127.0.0.1"]
        assert "REFERRAL_ALLOWED_HOSTS=a.example,*.b.example\n" in many["env"]

    @pytest.mark.parametrize("hosts", ["https://x.example", "x.example:443", "a*.example", "*x"])
    def test_an_allowed_host_must_be_a_name(self, hosts: str) -> None:
        with pytest.raises(ValueError, match="is not a host name"):
            Settings(allowed_hosts=hosts)

    @pytest.mark.parametrize("hosts", ["", " , "])
    def test_allowed_hosts_are_never_empty(self, hosts: str) -> None:
        with pytest.raises(ValueError, match="at least one host"):
            Settings(allowed_hosts=hosts)


class TestAnswersTheServerCannotShape:
    """Issue 16, defect 8: an unknown method got uvicorn's text/plain 400. A method the HTTP
    parser knows reaches the app, which answers a problem; one it does not know is refused by
    the parser (llhttp, under uvicorn) before the app sees the request. SECURITY.md says so."""

    @pytest.mark.parametrize("method", ["PROPFIND", "FOO", "BREW"])
    def test_the_app_answers_any_method_it_receives_with_a_problem(
        self, client: TestClient, method: str
    ) -> None:
        response = client.request(method, "/v1/offerings")
        assert response.status_code == 405
        assert response.headers["content-type"] == "application/problem+json"

    def test_only_the_parser_s_own_refusal_is_plain_text(self, tmp_path: Path) -> None:
        settings = Settings(
            env=Environment.TEST,
            database_url=f"sqlite:///{tmp_path / 'unused.db'}",
            session_secret="s" * 40,
        )
        app = create_app(settings, poll=False)  # no request here reaches the database
        with _served(app) as port:
            known = _raw_request(port, "PROPFIND")
            unknown = _raw_request(port, "FOO")
        assert known.startswith(b"HTTP/1.1 405 ")
        assert b"content-type: application/problem+json" in known.lower()
        # the documented exception: uvicorn's HTTP parser answers, not the app
        assert unknown.startswith(b"HTTP/1.1 400 ")
        assert b"content-type: text/plain" in unknown.lower()


@contextlib.contextmanager
def _served(app: FastAPI) -> Iterator[int]:
    """``app`` under uvicorn (its default HTTP parser) on a free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        threading.Event().wait(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join()


def _raw_request(port: int, method: str) -> bytes:
    """The status line and headers of the answer to ``method /v1/offerings``."""
    request = f"{method} /v1/offerings HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.sendall(request.encode())
        answer = b""
        while chunk := connection.recv(4096):
            answer += chunk
    return answer.split(b"\r\n\r\n", 1)[0]


class TestPageHeaders:
    @pytest.mark.parametrize("path", ["/sign-in", "/console", "/widget-demo"])
    def test_pages_carry_csp_nosniff_and_frame_ancestors(
        self, client: TestClient, keys: Keys, path: str
    ) -> None:
        sign_in(client, keys.advocate)
        response = client.get(path)
        assert response.status_code == 200
        csp = response.headers["content-security-policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert "unsafe-inline" not in directives["script-src"]
        assert "unsafe-eval" not in directives["script-src"]
        assert "unsafe-inline" not in directives.get("style-src", "")
        assert directives["frame-ancestors"] == "'none'"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"

    def test_api_responses_are_never_sniffed_as_html(self, client: TestClient) -> None:
        response = client.get("/v1/ranking")
        assert response.headers["content-type"].startswith("application/json")
        assert client.get("/widget.js").headers["x-content-type-options"] == "nosniff"


class TestServerErrors:
    SECRET_DETAIL = "connection string postgresql://admin:hunter2@db.internal/prod"

    @pytest.fixture
    def broken(self, app: FastAPI) -> TestClient:
        def explode() -> None:
            raise RuntimeError(self.SECRET_DETAIL)

        app.dependency_overrides[get_engine] = explode
        return TestClient(app, raise_server_exceptions=False)

    def test_a_500_is_problem_json_without_a_traceback(
        self, broken: TestClient, keys: Keys, caplog: pytest.LogCaptureFixture
    ) -> None:
        with broken:
            response = broken.get("/v1/offerings", headers=keys.auth(keys.admin))
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["type"].endswith("/problems/internal")
        assert body["detail"] == "unexpected error"
        for leak in ("Traceback", "RuntimeError", "hunter2", "File ", ".py"):
            assert leak not in response.text
        # the operator still learns what happened, from the log
        assert any("hunter2" in (r.exc_text or "") for r in caplog.records)


class TestLogInjection:
    def test_the_log_escaper_keeps_one_line(self) -> None:
        from referral_api.api.problems import loggable

        assert loggable("a\r\nb\x1b[2J\x00c\u2028d") == "a\\r\\nb\\x1b[2J\\x00c\\u2028d"
        assert loggable("need: café, 日本, emoji 🎉") == "need: café, 日本, emoji 🎉"

    def test_an_unexpected_error_path_is_logged_escaped(
        self, app: FastAPI, keys: Keys, caplog: pytest.LogCaptureFixture
    ) -> None:
        @app.get("/boom/{anything}")  # [^/]+ matches CR and LF too
        def boom(anything: str) -> None:
            raise RuntimeError("boom")

        caplog.set_level(logging.ERROR, logger="referral_api.api")
        with TestClient(app, raise_server_exceptions=False) as client:
            # URL parsing drops CR, LF and TAB already; other line breaks and escapes remain
            response = client.get("/boom/x%0D%0A%0B%0C%1B[31mINFO forged line")
        assert response.status_code == 500
        [record] = [r for r in caplog.records if r.getMessage().startswith("unexpected error")]
        assert record.getMessage() == (
            "unexpected error on GET /boom/x\\x0b\\x0c\\x1b[31mINFO forged line"
        )


class TestDocs:
    @pytest.mark.parametrize("enabled", [True, False])
    def test_docs_can_be_turned_off(self, database: Database, keys: Keys, enabled: bool) -> None:
        settings = Settings(
            env=Environment.PRODUCTION, docs_enabled=enabled, session_secret="s" * 40
        )
        app = create_app(settings, database=database, poll=False, clock=fixed_clock)
        with TestClient(app) as client:
            for path in ("/docs", "/redoc"):
                status = client.get(path).status_code
                assert status == (200 if enabled else 404)
                if not enabled:
                    assert client.get(path).headers["content-type"] == "application/problem+json"

    def test_docs_off_from_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("REFERRAL_DOCS_ENABLED", "false")
        assert Settings().docs_enabled is False
