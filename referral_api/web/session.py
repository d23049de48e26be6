"""Page sign-in: a signed, expiring cookie that names a key, and CSRF tokens for page forms.

The console and the gap report sign in once with a key. The cookie holds the key's id, the
id of a session row (``page_sessions``), a CSRF token and the sign-in time, signed with the
session secret (itsdangerous) — never the key itself. Every page request looks the key up
again, so revoking a key ends its sessions at once, and checks the session row, so signing
out ends that session on the server, for every worker: a copy of the cookie opens nothing
afterwards (issue 16, defect 5). Signing out also clears the cookie.

Pages use the dependencies at the bottom: :data:`AdvocatePage` / :data:`InsightsPage` (GET) and
:data:`AdvocateForm` / :data:`InsightsForm` (form posts, CSRF-checked), or
:func:`require_page_scope` / :func:`require_page_form` for other scopes.
"""

# no `from __future__ import annotations`: FastAPI must see the closures' Annotated types
import datetime as dt
import hmac
import logging
import os
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request, Response
from sqlalchemy.exc import DBAPIError, OperationalError

from referral_api.config import Environment, Settings
from referral_api.errors import (
    Forbidden,
    NotFound,
    RateLimited,
    ReferralError,
    Unauthenticated,
)
from referral_api.http.deps import (
    get_admission,
    get_clock,
    get_database,
    get_session_codec,
    get_settings,
)
from referral_api.http.session_codec import SessionClaims
from referral_api.service.keys import (
    PUBLISHABLE_PREFIX,
    Principal,
    Scope,
    authenticate,
    authenticate_key_id,
)
from referral_api.store.models import utcnow
from referral_api.store.repositories import PageSessionRepository, read_page_session_row

log = logging.getLogger("referral_api.web")

COOKIE = "referral_session"
#: double-submit token of the sign-in form itself (there is no session yet to hold one)
SIGN_IN_COOKIE = "referral_sign_in"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SIGN_IN_PATH = "/sign-in"
#: keys that may sign in to pages, and where each lands after signing in
PAGE_SCOPES = (Scope.ADVOCATE, Scope.INSIGHTS)


class SignInRequired(Unauthenticated):
    """A page needs a session: rendered as a redirect to the sign-in page."""

    slug = "sign-in-required"
    title = "Sign-in required"

    def __init__(self, detail: str, *, next_path: str) -> None:
        super().__init__(detail)
        self.next_path = next_path


class PageForbidden(Forbidden):
    """A page request that may not proceed: rendered as an HTML page, not JSON."""


class PageNotFound(NotFound):
    """A page about something that does not exist: rendered as an HTML page."""


class PageRateLimited(RateLimited):
    """A page request over the key's rate limit: rendered as an HTML page."""


#: page errors render as HTML (see ``referral_api.web.rendering.install_page_handlers``)
PAGE_ERRORS: tuple[type[ReferralError], ...] = (PageForbidden, PageNotFound, PageRateLimited)


class SessionSecretMissing(ReferralError):
    """Production refuses to start without ``REFERRAL_SESSION_SECRET``."""

    slug = "session-secret-missing"
    title = "Session secret missing"


@dataclass(frozen=True)
class PageSession:
    """A signed-in page request: the key (checked again just now), its CSRF token, since when."""

    principal: Principal
    csrf_token: str
    signed_in_at: dt.datetime
    session_id: str

    @property
    def can_advocate(self) -> bool:
        return self.principal.has(Scope.ADVOCATE)

    @property
    def can_see_insights(self) -> bool:
        return self.principal.has(Scope.INSIGHTS)


def resolve_session_secret(settings: Settings) -> str:
    """The secret that signs sessions.

    The setting when given. Production refuses to run without it. Development generates one
    once and keeps it in ``session_secret_file`` (created atomically, so that several local
    workers agree on it); tests get a fresh one per app.
    """
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value()
    if settings.env is Environment.PRODUCTION:
        raise SessionSecretMissing(
            "set REFERRAL_SESSION_SECRET (32+ random characters) to serve pages in production"
        )
    if settings.env is Environment.TEST:
        return secrets.token_urlsafe(32)
    return _persisted_secret(settings.session_secret_file)


def _persisted_secret(path: Path) -> str:
    try:
        existing = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        existing = ""
    if existing:
        return existing
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secret + "\n")
    try:
        os.link(draft, path)  # atomic, and fails when another worker was first: use theirs
    except FileExistsError:
        secret = path.read_text(encoding="ascii").strip()
    else:
        log.info("generated a development session secret in %s", path)
    finally:
        draft.unlink(missing_ok=True)
    return secret


def _set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def start_session(request: Request, response: Response, principal: Principal) -> None:
    """Store a new session for ``principal`` and set its cookie (a new CSRF token with it)."""
    codec = get_session_codec(request)
    # the wall clock, as records are stamped (the app's clock counts rate-limit windows)
    now = utcnow()
    session_id = secrets.token_urlsafe(24)
    expires_at = now + dt.timedelta(seconds=codec.max_age_seconds)
    with get_database(request).session() as session:
        PageSessionRepository(session).start(
            session_id, principal.key_id, now=now, expires_at=expires_at
        )
    claims = SessionClaims(principal.key_id, secrets.token_urlsafe(32), now, session_id)
    _set_cookie(request, response, COOKIE, codec.dumps(claims), codec.max_age_seconds)
    response.delete_cookie(SIGN_IN_COOKIE, path="/")


def end_session(request: Request, response: Response, page: PageSession) -> None:
    """End ``page``'s session on the server (every worker refuses its cookie from now on, a
    copy of it too) and clear the cookie."""
    with get_database(request).session() as session:
        PageSessionRepository(session).end(page.session_id, utcnow())
    secure = request.url.scheme == "https"
    response.delete_cookie(COOKIE, path="/", secure=secure, httponly=True, samesite="strict")


def _session_is_live(request: Request, claims: SessionClaims) -> bool:
    """Whether the cookie's session is stored, for its key, not ended and not expired.

    While the database does not answer, a signed, unexpired cookie is trusted as it is read
    (as keys are trusted as last read): pages keep working through an outage. Signing in or
    out needs the database, and answers 503 while it does not answer — a sign-out is never
    reported done when it was not stored.
    """
    try:
        row = read_page_session_row(get_database(request), claims.session_id)
    except (OperationalError, DBAPIError):
        return True
    return (
        row is not None
        and row.key_id == claims.key_id
        and row.ended_at is None
        and row.expires_at > utcnow()
    )


def sign_in_token(request: Request) -> str:
    """The sign-in form's CSRF token: the browser's, or a new one (kept by the response)."""
    return request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(32)


def keep_sign_in_token(request: Request, response: Response, token: str) -> None:
    """Set the sign-in token as a cookie too: the post must send both (double submit)."""
    _set_cookie(request, response, SIGN_IN_COOKIE, token, 3600)


def check_sign_in_token(request: Request, submitted: str) -> None:
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    _check_same_origin(request)
    if not expected or not hmac.compare_digest(expected, submitted):
        raise PageForbidden("the sign-in form expired; reload the page and sign in again")


def _check_same_origin(request: Request) -> None:
    """Form posts come from our own pages; a browser says where from in Origin (or Referer)."""
    sent = request.headers.get("origin") or request.headers.get("referer")
    if sent is None:
        return
    parts = urlsplit(sent)
    own = f"{request.url.scheme}://{request.headers.get('host', '')}".lower()
    if f"{parts.scheme}://{parts.netloc}".lower() != own:
        raise PageForbidden("this form may be sent from this site's own pages only")


def safe_next(path: str | None, default: str = "/console") -> str:
    """Where to go after signing in: a path on this site only (never ``//elsewhere``)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return default
    return path


def read_page_session(request: Request) -> PageSession | None:
    """The request's session, its key looked up again (and counted against its rate limit)."""
    value = request.cookies.get(COOKIE)
    claims = get_session_codec(request).loads(value) if value else None
    if claims is None or not _session_is_live(request, claims):
        return None
    settings = get_settings(request)
    try:
        principal = authenticate_key_id(
            get_database(request),
            claims.key_id,
            default_rate_limit=settings.rate_limit_per_minute,
            admission=get_admission(request),
            now=get_clock(request)(),
        )
    except Unauthenticated:
        return None
    except RateLimited as exc:
        raise PageRateLimited(exc.detail, retry_after=exc.retry_after) from exc
    return PageSession(principal, claims.csrf_token, claims.signed_in_at, claims.session_id)


def _next_of(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query and request.method == "GET" else ""
    return request.url.path + query if request.method == "GET" else "/console"


def require_page_scope(*scopes: Scope) -> Callable[[Request], PageSession]:
    """A page dependency: the signed-in session, holding any of ``scopes`` (none: any key)."""

    def page_session(request: Request) -> PageSession:
        page = read_page_session(request)
        if page is None:
            raise SignInRequired("sign in to see this page", next_path=_next_of(request))
        request.state.page_session = page  # error pages still show who is signed in
        if scopes and not page.principal.has(*scopes):
            wanted = " or ".join(scope.value for scope in scopes)
            raise PageForbidden(f"the key you signed in with lacks the {wanted} scope")
        return page

    return page_session


def require_page_form(*scopes: Scope) -> Callable[[Request, PageSession], Awaitable[PageSession]]:
    """A form-post dependency: as :func:`require_page_scope`, and the CSRF token must match.

    The token comes in the form field ``csrf_token`` or the ``X-CSRF-Token`` header.
    """
    scoped = require_page_scope(*scopes)

    async def page_form(
        request: Request, page: Annotated[PageSession, Depends(scoped)]
    ) -> PageSession:
        submitted = request.headers.get(CSRF_HEADER)
        if submitted is None:
            value = (await request.form()).get(CSRF_FIELD)
            submitted = value if isinstance(value, str) else ""
        _check_same_origin(request)
        if not hmac.compare_digest(page.csrf_token.encode(), submitted.encode()):
            raise PageForbidden("the form expired or did not come from this site; reload the page")
        return page

    return page_form


def sign_in(request: Request, secret: str) -> Principal:
    """Check a key typed into the sign-in form: a secret key with a page scope."""
    secret = secret.strip()
    if secret.startswith(f"{PUBLISHABLE_PREFIX}_"):
        raise PageForbidden("widget keys (pk_…) cannot sign in; use an advocate or insights key")
    settings = get_settings(request)
    try:
        principal = authenticate(
            get_database(request),
            secret,
            origin=None,
            default_rate_limit=settings.rate_limit_per_minute,
            admission=get_admission(request),
            now=get_clock(request)(),
            address=request.client.host if request.client else None,
            failure_limit=settings.auth_failures_per_minute,
        )
    except RateLimited as exc:
        raise PageRateLimited(exc.detail, retry_after=exc.retry_after) from exc
    if not principal.has(*PAGE_SCOPES):
        raise PageForbidden("this key has neither the advocate nor the insights scope")
    return principal


def landing_page(principal: Principal, next_path: str | None) -> str:
    """Where a new session goes: the page asked for, else the console or the gap report."""
    default = "/console" if principal.has(Scope.ADVOCATE) else "/insights"
    return safe_next(next_path, default)


def sign_in_url(next_path: str) -> str:
    return f"{SIGN_IN_PATH}?next={quote(next_path, safe='/')}"


#: any signed-in page key; the pages' own scopes below
PageSessionDep = Annotated[PageSession, Depends(require_page_scope())]
AdvocatePage = Annotated[PageSession, Depends(require_page_scope(Scope.ADVOCATE))]
InsightsPage = Annotated[PageSession, Depends(require_page_scope(Scope.INSIGHTS))]
PageFormDep = Annotated[PageSession, Depends(require_page_form())]
AdvocateForm = Annotated[PageSession, Depends(require_page_form(Scope.ADVOCATE))]
InsightsForm = Annotated[PageSession, Depends(require_page_form(Scope.INSIGHTS))]
