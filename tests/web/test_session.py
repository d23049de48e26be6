"""Page sign-in: the cookie, its secret, CSRF, revocation, and where a sign-in may lead."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from referral_api.config import Environment, Settings
from referral_api.http.session_codec import SessionClaims, SessionCodec
from referral_api.server import create_app
from referral_api.store.db import Database
from referral_api.store.models import PageSession as PageSessionRow
from referral_api.store.models import utcnow
from referral_api.store.repositories import ApiKeyRepository
from referral_api.web.session import (
    COOKIE,
    SessionSecretMissing,
    resolve_session_secret,
    safe_next,
)
from tests.web.conftest import Keys, csrf_of, sign_in

SECRET = "s" * 40


class TestCodec:
    claims = SessionClaims(
        "abc123", "token", dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC), "session-1"
    )

    def test_round_trip(self) -> None:
        codec = SessionCodec(SECRET, max_age_seconds=60)
        assert codec.loads(codec.dumps(self.claims)) == self.claims

    @pytest.mark.parametrize(
        "value",
        [
            "",
            "not-a-cookie",
            SessionCodec("o" * 40, max_age_seconds=60).dumps(claims),  # another secret
        ],
    )
    def test_refuses_what_it_did_not_sign(self, value: str) -> None:
        assert SessionCodec(SECRET, max_age_seconds=60).loads(value) is None

    def test_refuses_an_expired_cookie(self, monkeypatch: pytest.MonkeyPatch) -> None:
        codec = SessionCodec(SECRET, max_age_seconds=60)
        value = codec.dumps(self.claims)
        later = TimestampSigner.get_timestamp(TimestampSigner(SECRET)) + 61
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
        assert codec.loads(value) is None


class TestSecret:
    def test_the_setting_wins(self) -> None:
        assert resolve_session_secret(Settings(session_secret=SECRET)) == SECRET

    def test_production_refuses_to_start_without_one(self) -> None:
        settings = Settings(env=Environment.PRODUCTION, database_url="sqlite://")
        with pytest.raises(SessionSecretMissing):
            create_app(settings)

    def test_development_generates_one_and_keeps_it_for_every_worker(self, tmp_path: Path) -> None:
        path = tmp_path / "var" / "session-secret"
        settings = Settings(env=Environment.DEVELOPMENT, session_secret_file=path)
        first = resolve_session_secret(settings)
        assert len(first) >= 32
        assert path.stat().st_mode & 0o777 == 0o600
        assert resolve_session_secret(settings) == first
        assert [p.name for p in path.parent.iterdir()] == ["session-secret"]  # no drafts left

    def test_too_short_a_secret_is_refused(self) -> None:
        with pytest.raises(ValueError, match="session_secret"):
            Settings(session_secret="short")


class TestSignIn:
    def test_pages_send_strangers_to_the_sign_in(self, client: TestClient) -> None:
        response = client.get("/console/r/rec_1?x=1", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/sign-in?next=/console/r/rec_1%3Fx%3D1"

    def test_a_key_becomes_an_http_only_strict_cookie(self, client: TestClient, keys: Keys) -> None:
        form = client.get("/sign-in")
        response = client.post(
            "/sign-in",
            data={"key": keys.advocate, "next": "/console", "csrf_token": csrf_of(form.text)},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/console"
        cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(COOKIE))
        assert "HttpOnly" in cookie
        assert "SameSite=strict" in cookie
        assert "Path=/" in cookie
        assert "Secure" not in cookie  # plain http here
        assert keys.advocate not in cookie

    def test_the_cookie_is_secure_over_https(self, app: object, keys: Keys) -> None:
        with TestClient(app, base_url="https://testserver") as client:  # type: ignore[arg-type]
            form = client.get("/sign-in")
            response = client.post(
                "/sign-in",
                data={"key": keys.advocate, "csrf_token": csrf_of(form.text)},
                follow_redirects=False,
            )
        cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(COOKIE))
        assert "Secure" in cookie

    @pytest.mark.parametrize(
        ("key", "status", "says"),
        [
            ("wrong", 401, "unknown or revoked"),
            ("widget", 403, "widget keys"),  # publishable keys never sign in
            ("curator", 403, "neither the advocate nor the insights scope"),
            ("recommend", 403, "neither the advocate nor the insights scope"),
        ],
    )
    def test_refused_keys_see_the_form_again_with_why(
        self, client: TestClient, keys: Keys, key: str, status: int, says: str
    ) -> None:
        secret = getattr(keys, key, "rk_nope_nope")
        form = client.get("/sign-in")
        response = client.post("/sign-in", data={"key": secret, "csrf_token": csrf_of(form.text)})
        assert response.status_code == status
        assert says in response.text
        assert COOKIE not in response.headers.get("set-cookie", "")
        assert secret not in response.text

    def test_the_sign_in_form_is_csrf_protected(self, client: TestClient, keys: Keys) -> None:
        client.get("/sign-in")
        forged = client.post("/sign-in", data={"key": keys.advocate, "csrf_token": "guess"})
        assert forged.status_code == 403
        assert COOKIE not in client.cookies

    def test_an_insights_key_lands_on_the_gap_report(self, client: TestClient, keys: Keys) -> None:
        form = client.get("/sign-in")
        response = client.post(
            "/sign-in",
            data={"key": keys.insights, "csrf_token": csrf_of(form.text)},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/insights"
        console = client.get("/console")
        assert console.status_code == 403
        assert "lacks the advocate scope" in console.text
        assert console.headers["content-type"].startswith("text/html")

    def test_revoking_the_key_ends_its_sessions_at_once(
        self, client: TestClient, keys: Keys, database: Database
    ) -> None:
        sign_in(client, keys.advocate)
        assert client.get("/console").status_code == 200
        with database.session() as session:
            repository = ApiKeyRepository(session)
            key = repository.get(keys.advocate.split("_")[1])
            assert key is not None
            repository.revoke(key, utcnow())
        assert client.get("/console", follow_redirects=False).status_code == 303

    def test_sign_out_clears_the_cookie_and_needs_the_token(
        self, client: TestClient, keys: Keys
    ) -> None:
        token = sign_in(client, keys.advocate)
        assert client.post("/sign-out", data={"csrf_token": "forged"}).status_code == 403
        response = client.post("/sign-out", data={"csrf_token": token}, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/sign-in"
        assert client.get("/console", follow_redirects=False).status_code == 303


class TestCsrf:
    def test_a_form_without_the_token_is_refused(self, client: TestClient, keys: Keys) -> None:
        sign_in(client, keys.advocate)
        response = client.post("/console/look-up", data={"need": "invoices"})
        assert response.status_code == 403
        assert "form expired" in response.text

    def test_a_form_from_another_site_is_refused(self, client: TestClient, keys: Keys) -> None:
        token = sign_in(client, keys.advocate)
        response = client.post(
            "/console/look-up",
            data={"need": "invoices", "csrf_token": token},
            headers={"Origin": "https://evil.example"},
        )
        assert response.status_code == 403

    def test_the_header_carries_the_token_too(self, client: TestClient, keys: Keys) -> None:
        token = sign_in(client, keys.advocate)
        response = client.post(
            "/console/look-up",
            data={"need": "invoices"},
            headers={"X-CSRF-Token": token},
            follow_redirects=False,
        )
        assert response.status_code == 303


@pytest.mark.parametrize(
    ("asked", "goes"),
    [
        ("/console/r/rec_1", "/console/r/rec_1"),
        ("/insights?since=2026-01-01", "/insights?since=2026-01-01"),
        ("", "/console"),
        ("https://evil.example/", "/console"),  # another site
        ("//evil.example/", "/console"),  # scheme-relative: another site too
        ("/\\evil.example", "/console"),  # browsers read a backslash as a slash
        ("console", "/console"),
    ],
)
def test_a_sign_in_only_leads_to_this_site(asked: str, goes: str) -> None:
    assert safe_next(asked) == goes


class TestSignOutEndsTheSession:
    """Signing out ends the session on the server, on every worker (issue 16, defect 5): a
    copied ``referral_session`` cookie used to keep opening /console until it expired."""

    @staticmethod
    def _workers(database: Database) -> list[FastAPI]:
        settings = Settings(env=Environment.TEST, rate_limit_per_minute=100_000,
                            session_secret=SECRET)  # fmt: skip
        return [create_app(settings, database=database, poll=False) for _ in range(2)]

    def test_a_copied_cookie_opens_nothing_after_sign_out(
        self, client: TestClient, keys: Keys, app: FastAPI
    ) -> None:
        token = sign_in(client, keys.advocate)
        copied = client.cookies[COOKIE]
        signed_out = client.post("/sign-out", data={"csrf_token": token}, follow_redirects=False)
        assert signed_out.status_code == 303
        with TestClient(app, cookies={COOKIE: copied}) as thief:
            assert thief.get("/console", follow_redirects=False).status_code == 303
            look_up = thief.post(
                "/console/look-up", data={"need": "invoices", "csrf_token": token},
                follow_redirects=False,
            )  # fmt: skip
            assert look_up.status_code == 303
            assert look_up.headers["location"].startswith("/sign-in")

    def test_signing_out_on_one_worker_ends_the_session_on_every_worker(
        self, database: Database, keys: Keys
    ) -> None:
        first, second = self._workers(database)
        with TestClient(first) as browser, TestClient(second) as other:
            token = sign_in(browser, keys.advocate)
            copied = browser.cookies[COOKIE]
            other.cookies.set(COOKIE, copied)
            assert other.get("/console").status_code == 200  # one session, both workers
            ended = other.post("/sign-out", data={"csrf_token": token}, follow_redirects=False)
            assert ended.status_code == 303
            browser.cookies.set(COOKIE, copied)
            assert browser.get("/console", follow_redirects=False).status_code == 303

    def test_other_sessions_of_the_key_go_on(
        self, client: TestClient, keys: Keys, app: FastAPI
    ) -> None:
        with TestClient(app) as colleague:
            sign_in(colleague, keys.advocate)
            token = sign_in(client, keys.advocate)
            client.post("/sign-out", data={"csrf_token": token})
            assert colleague.get("/console").status_code == 200

    def test_an_expired_or_unknown_session_is_refused(
        self, client: TestClient, keys: Keys, app: FastAPI, database: Database
    ) -> None:
        sign_in(client, keys.advocate)
        codec: SessionCodec = app.state.session_codec
        claims = codec.loads(client.cookies[COOKIE])
        assert claims is not None
        with database.session() as session:
            row = session.get(PageSessionRow, claims.session_id)
            assert row is not None
            row.expires_at = utcnow() - dt.timedelta(seconds=1)
        assert client.get("/console", follow_redirects=False).status_code == 303
        unknown = dataclasses.replace(claims, session_id="never-stored")
        with TestClient(app, cookies={COOKIE: codec.dumps(unknown)}) as forged:
            assert forged.get("/console", follow_redirects=False).status_code == 303

    def test_a_cookie_naming_no_session_is_refused(self) -> None:
        """Cookies signed before sessions were stored name none: their holders sign in again."""
        serializer = URLSafeTimedSerializer(SECRET, salt="referral-page-session")
        old = serializer.dumps({"k": "abc123", "c": "token", "t": 1_700_000_000_000})
        assert SessionCodec(SECRET, max_age_seconds=60).loads(old) is None
