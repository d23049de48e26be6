"""API keys, scopes and per-key rate limits.

A key reads ``rk_<id>_<secret>`` (secret keys, server to server) or ``pk_<id>_<secret>``
(publishable widget keys: scope ``recommend`` only, only from their allowed origins). The
``<id>`` finds the row; only a SHA-256 hash of the whole key is stored, compared in constant
time. Secrets carry 256 random bits, so a fast hash is as strong as a slow one here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from referral_api.errors import Forbidden, InputError, RateLimited, Unauthenticated, Unavailable
from referral_api.store.db import Database
from referral_api.store.models import ApiKey, utcnow
from referral_api.store.repositories import (
    ApiKeyRepository,
    AuthFailureRepository,
    RateLimitRepository,
    read_key,
    read_key_and_failures,
)

SECRET_PREFIX = "rk"  # noqa: S105 - a visible prefix, not a secret
PUBLISHABLE_PREFIX = "pk"
WINDOW_SECONDS = 60
TOUCH_EVERY = dt.timedelta(minutes=1)
#: failed authentications a client address, or a secret key's id, may make in a window before
#: every attempt of it is refused with 429 until the window ends (REFERRAL_AUTH_FAILURES_PER_MINUTE)
AUTH_FAILURES_PER_MINUTE = 20


class Scope(StrEnum):
    """What a key may do. ``admin`` implies every other scope."""

    RECOMMEND = "recommend"
    ADVOCATE = "advocate"
    CURATOR = "curator"
    INSIGHTS = "insights"
    ADMIN = "admin"


class Channel(StrEnum):
    """Where a recommendation was asked from, derived from the key."""

    API = "api"
    ADVOCATE = "advocate"
    WIDGET = "widget"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a key's id, name, scopes and origins."""

    key_id: str
    name: str
    scopes: frozenset[Scope]
    origins: tuple[str, ...]
    publishable: bool

    def has(self, *scopes: Scope) -> bool:
        """Whether the key holds any of ``scopes`` (admin holds all)."""
        return Scope.ADMIN in self.scopes or any(scope in self.scopes for scope in scopes)

    def require(self, *scopes: Scope) -> None:
        if not self.has(*scopes):
            wanted = " or ".join(scope.value for scope in scopes)
            raise Forbidden(f"this key lacks the {wanted} scope")

    @property
    def channel(self) -> Channel:
        if self.publishable:
            return Channel.WIDGET
        if Scope.ADVOCATE in self.scopes:
            return Channel.ADVOCATE
        return Channel.API


@dataclass(frozen=True)
class CreatedKey:
    """A new key: the row, and the secret, shown once and never stored."""

    key: ApiKey
    secret: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def normalise_origin(origin: str) -> str:
    """``https://a.example`` form: scheme, host and port only; :class:`InputError` otherwise."""
    parts = urlsplit(origin.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        raise InputError(
            f"{origin!r} is not an origin (scheme://host[:port])",
            fields=[{"field": "origins", "message": "expected scheme://host[:port]"}],
        )
    return f"{parts.scheme}://{parts.netloc.lower()}"


def parse_scopes(values: Iterable[str]) -> frozenset[Scope]:
    scopes = set()
    for value in values:
        try:
            scopes.add(Scope(value.strip().lower()))
        except ValueError:
            allowed = ", ".join(scope.value for scope in Scope)
            raise InputError(
                f"unknown scope {value!r} (one of {allowed})",
                fields=[{"field": "scopes", "message": f"unknown scope {value!r}"}],
            ) from None
    return frozenset(scopes)


def create_key(
    session: Session,
    *,
    name: str,
    scopes: Iterable[str],
    origins: Sequence[str] = (),
    publishable: bool = False,
    rate_limit_per_minute: int | None = None,
) -> CreatedKey:
    """Create a key; the secret is in the result only."""
    parsed = parse_scopes(scopes)
    if not parsed:
        raise InputError("a key needs at least one scope")
    clean_origins = sorted({normalise_origin(origin) for origin in origins})
    if publishable and (parsed != {Scope.RECOMMEND} or not clean_origins):
        raise InputError(
            "a publishable key carries only the recommend scope and needs allowed origins",
            fields=[{"field": "scopes", "message": "publishable keys: recommend only, origins"}],
        )
    key_id = secrets.token_hex(6)
    prefix = PUBLISHABLE_PREFIX if publishable else SECRET_PREFIX
    secret = f"{prefix}_{key_id}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        id=key_id,
        name=name,
        secret_hash=hash_secret(secret),
        publishable=publishable,
        scopes=sorted(scope.value for scope in parsed),
        origins=clean_origins,
        rate_limit_per_minute=rate_limit_per_minute,
        created_at=utcnow(),
    )
    ApiKeyRepository(session).add(key)
    return CreatedKey(key, secret)


def _split(secret: str) -> tuple[str, str] | None:
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] not in (SECRET_PREFIX, PUBLISHABLE_PREFIX):
        return None
    return parts[0], parts[1]


class Admission:
    """What this worker needs to admit requests: rate-limit counts, and the keys it verified.

    Rate limits are per-key fixed windows, counted in the database so that they hold across
    workers. A key with a high limit reserves a few requests at a time (an atomic
    ``count += n``), so that a busy key does not write on every request; the reservation is
    spent locally, one reservation per key at a time (:meth:`reserve`). A worker never admits
    more than its key's limit counts for it and holds at most ``batch - 1`` unspent, so one
    worker admits exactly the limit and several may refuse up to ``workers × (batch - 1)``
    requests early in a window — never let through more. Keys with limits under 200 a minute
    (the default is 120) reserve one request at a time: exact.
    While the database does not answer, keys this worker has verified are admitted as last
    read, and counted by this worker alone.
    """

    RESERVE_EVERY = 100  # one reserved request per this many allowed a minute …
    MAX_BATCH = 16  # … and never more than this at once

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reserved: dict[str, tuple[int, int]] = {}  # key id → (window, requests left)
        self._alone: dict[str, tuple[int, int]] = {}  # key id → (window, counted locally)
        self._known: dict[str, ApiKey] = {}  # keys this worker verified, for outages
        self._reservations: dict[str, threading.Lock] = {}  # key id → one reservation at a time

    def remember(self, key: ApiKey) -> None:
        """Keep the facts of a key just read from the database (for :meth:`recall`)."""
        with self._lock:
            self._known[key.id] = key

    def recall(self, key_id: str) -> ApiKey | None:
        """The key as last read, when the database does not answer."""
        with self._lock:
            return self._known.get(key_id)

    def alone(self, key_id: str, window: int, limit: int) -> bool:
        """Count a request locally while the database does not answer: per worker, exact."""
        with self._lock:
            held = self._alone.get(key_id)
            count = held[1] + 1 if held is not None and held[0] == window else 1
            self._alone[key_id] = (window, count)
            return count <= limit

    def take(self, key_id: str, window: int) -> bool:
        """Spend one locally reserved request, if any is left for this window."""
        with self._lock:
            held = self._reserved.get(key_id)
            if held is None or held[0] != window or held[1] <= 0:
                return False
            self._reserved[key_id] = (window, held[1] - 1)
            return True

    def _reserving(self, key_id: str) -> threading.Lock:
        with self._lock:
            lock = self._reservations.get(key_id)
            if lock is None:
                lock = self._reservations[key_id] = threading.Lock()
            return lock

    def reserve(
        self, repository: RateLimitRepository, key_id: str, window: int, limit: int
    ) -> bool:
        """Count a batch in the database and admit this request if it fits under ``limit``.

        One reservation per key at a time in this worker: a caller that waited for another's
        spends what that one reserved before counting a batch of its own, and what is granted
        is added to what is left, never written over it (concurrent reservations used to
        overwrite each other's unspent requests, refusing callers under the limit). So a
        worker holds at most ``batch - 1`` unspent requests of a key.
        """
        with self._reserving(key_id):
            if self.take(key_id, window):
                return True
            batch = max(1, min(self.MAX_BATCH, limit // self.RESERVE_EVERY))
            count = repository.hit(key_id, window, batch)
            granted = min(batch, max(0, limit - (count - batch)))
            if granted == 0:
                return False
            with self._lock:
                held = self._reserved.get(key_id)
                left = held[1] if held is not None and held[0] == window else 0
                self._reserved[key_id] = (window, left + granted - 1)
            return True


def _lookup(database: Database, admission: Admission, key_id: str) -> ApiKey | None:
    """The key with this id — from the database, or, while it does not answer, as last read.

    During an outage a revocation made elsewhere cannot be seen; keys never read by this
    worker cannot be checked, and are refused with 503 rather than let in.
    """
    try:
        key = read_key(database, key_id)
    except (OperationalError, DBAPIError) as exc:
        known = admission.recall(key_id)
        if known is None:
            raise Unavailable("the database does not answer; try again shortly") from exc
        return known
    if key is not None:
        admission.remember(key)
    return key


class AuthenticationThrottled(RateLimited):
    """Too many failed authentications: refused before any key or origin was checked, so
    CORS never lets another site read it."""


def _window_of(now: dt.datetime) -> int:
    return int(now.timestamp()) // WINDOW_SECONDS


def _retry_after(now: dt.datetime) -> int:
    return max(WINDOW_SECONDS - int(now.timestamp()) % WINDOW_SECONDS, 1)


def _address_subject(address: str | None) -> str:
    return f"addr:{address or 'unknown'}"[:100]


def _key_subject(key_id: str) -> str:
    return f"key:{key_id}"[:100]


def _lookup_checked(
    database: Database, admission: Admission, key_id: str | None, *, window: int, address: str
) -> tuple[ApiKey | None, int]:
    """The key with this id (``None``: none named) and the failed authentications of the
    client address or the key id in ``window``, in one read. While the database does not
    answer: the key as last read (as :func:`_lookup`), and no failures known."""
    try:
        key, failures = read_key_and_failures(
            database, key_id or "", window=window, address=address,
            key_subject=_key_subject(key_id or ""),
        )  # fmt: skip
    except (OperationalError, DBAPIError) as exc:
        known = admission.recall(key_id) if key_id else None
        if known is None and key_id:
            raise Unavailable("the database does not answer; try again shortly") from exc
        return known, 0
    if key is not None:
        admission.remember(key)
    return key, failures


def _count_failure(database: Database, subjects: Sequence[str], window: int) -> None:
    """Count a failed authentication against each subject, in a unit of its own (skipped
    while the database does not answer: throttling is the database's count)."""
    try:
        with database.session() as session:
            AuthFailureRepository(session).hit(subjects, window)
    except (OperationalError, DBAPIError):
        pass


def authenticate(
    database: Database,
    secret: str | None,
    *,
    origin: str | None,
    default_rate_limit: int,
    admission: Admission,
    now: dt.datetime | None = None,
    sent_origin: str | None = None,
    address: str | None = None,
    failure_limit: int = AUTH_FAILURES_PER_MINUTE,
) -> Principal:
    """Check a bearer secret, its origin and its rate limit; the caller it names.

    ``origin`` is the request's Origin when it is another site; ``sent_origin`` is the Origin
    as sent, same site included (a widget key is checked against it even on its own site).
    The key is looked up on every request (a revocation is refused at once), in a read-only
    unit of work; the rate-limit count is written in its own, so that a request that fails
    later still counts against the key's limit.

    Failed authentications are throttled: a wrong, unknown or malformed key counts a failure
    against the client ``address`` and, when it names a secret key, that key's id (counted in
    the database, so across workers). Once either has ``failure_limit`` failures in the
    current one-minute window, every attempt of it — a right key too, so that guessing learns
    nothing — is refused with 429 and ``Retry-After`` until the window ends. Publishable keys'
    ids are public (the widget tag shows the whole key), so failures never throttle a
    publishable key's id, only the address that sent them. The count is read in the same
    statement as the key: the success path costs no more round trips.
    """
    if not secret:
        raise Unauthenticated("send an API key: Authorization: Bearer <key>")
    now = now or utcnow()
    window = _window_of(now)
    split = _split(secret)
    address_subject = _address_subject(address)
    key, failures = _lookup_checked(
        database, admission, split[1] if split else None, window=window, address=address_subject
    )
    if failures >= failure_limit:
        raise AuthenticationThrottled(
            "too many failed authentications from this address or for this key; "
            "try again when the window ends",
            retry_after=_retry_after(now),
        )
    expected = key.secret_hash if key is not None else hash_secret("no such key")
    matches = hmac.compare_digest(expected, hash_secret(secret))
    kind_matches = key is not None and (
        split is not None and (split[0] == PUBLISHABLE_PREFIX) == key.publishable
    )
    if key is None or not matches or not kind_matches or key.revoked_at is not None:
        subjects = [address_subject]
        if key is not None and not key.publishable:
            subjects.append(_key_subject(key.id))
        _count_failure(database, subjects, window)
        raise Unauthenticated("unknown or revoked API key")
    if key.publishable:
        # a widget key is used by browsers only, from its allowed origins (its own site too)
        allowed = sent_origin or origin
        if allowed is None or allowed.lower() not in key.origins:
            raise Forbidden("this key may not be used from this origin")
    elif origin is not None and origin.lower() not in key.origins:
        raise Forbidden("this key may not be used from this origin")
    return admit(database, key, default_rate_limit=default_rate_limit, admission=admission, now=now)


def admit(
    database: Database,
    key: ApiKey,
    *,
    default_rate_limit: int,
    admission: Admission,
    now: dt.datetime | None = None,
) -> Principal:
    """Count a request against ``key``'s rate limit and mark it used; the caller it names."""
    now = now or utcnow()
    window = _window_of(now)
    limit = key.rate_limit_per_minute or default_rate_limit
    stale = key.last_used_at is None or now - key.last_used_at >= TOUCH_EVERY
    admitted = admission.take(key.id, window)
    if not admitted or stale:
        try:
            with database.session() as session:
                if not admitted:
                    admitted = admission.reserve(
                        RateLimitRepository(session), key.id, window, limit
                    )
                if stale:
                    ApiKeyRepository(session).mark_used(key.id, now)
        except (OperationalError, DBAPIError):
            # The database does not answer: keep serving, counting this worker's share alone.
            admitted = admitted or admission.alone(key.id, window, limit)
    if not admitted:
        raise RateLimited(
            f"rate limit of {limit} requests per minute reached", retry_after=_retry_after(now)
        )
    return Principal(
        key_id=key.id,
        name=key.name,
        scopes=frozenset(Scope(scope) for scope in key.scopes),
        origins=tuple(key.origins),
        publishable=key.publishable,
    )


def authenticate_key_id(
    database: Database,
    key_id: str,
    *,
    default_rate_limit: int,
    admission: Admission,
    now: dt.datetime | None = None,
) -> Principal:
    """The caller of a signed page session: its key, still active, admitted like a bearer.

    Page sessions hold a key's id, never its secret; looking the key up on every request makes
    a revocation end its sessions at once. Publishable keys never sign in.
    """
    key = _lookup(database, admission, key_id)
    if key is None or key.revoked_at is not None or key.publishable:
        raise Unauthenticated("the key behind this session is unknown or revoked")
    return admit(database, key, default_rate_limit=default_rate_limit, admission=admission, now=now)
