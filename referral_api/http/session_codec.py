"""Signed page-session cookies: what the cookie claims, and the codec that signs and reads it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer


@dataclass(frozen=True)
class SessionClaims:
    key_id: str
    csrf_token: str
    signed_in_at: dt.datetime
    session_id: str


class SessionCodec:
    """Signs and reads session cookies; a cookie older than ``max_age_seconds`` is refused.

    ``secret`` may be a function, called once on first use: the app makes its codec when it is
    created, and a development secret file is only written when a page first needs it.
    """

    def __init__(self, secret: str | Callable[[], str], *, max_age_seconds: int) -> None:
        self._secret = secret
        self._signer: URLSafeTimedSerializer | None = None
        self.max_age_seconds = max_age_seconds

    @property
    def _serializer(self) -> URLSafeTimedSerializer:
        if self._signer is None:
            secret = self._secret if isinstance(self._secret, str) else self._secret()
            self._signer = URLSafeTimedSerializer(secret, salt="referral-page-session")
        return self._signer

    def dumps(self, claims: SessionClaims) -> str:
        payload = {
            "k": claims.key_id,
            "c": claims.csrf_token,
            "t": int(claims.signed_in_at.timestamp() * 1000),  # ms: look-ups since sign-in
            "s": claims.session_id,
        }
        return self._serializer.dumps(payload)

    def loads(self, value: str) -> SessionClaims | None:
        try:
            payload = self._serializer.loads(value, max_age=self.max_age_seconds)
        except BadSignature:  # tampered, signed with another secret, or expired
            return None
        if not isinstance(payload, dict):
            return None
        key_id, token, since = payload.get("k"), payload.get("c"), payload.get("t")
        session_id = payload.get("s")  # cookies from before sessions were stored name none
        if not isinstance(key_id, str) or not isinstance(token, str) or not isinstance(since, int):
            return None
        if not isinstance(session_id, str) or not session_id:
            return None
        try:
            signed_in_at = dt.datetime.fromtimestamp(since / 1000, dt.UTC)
        except (OverflowError, OSError, ValueError):
            return None
        return SessionClaims(key_id, token, signed_in_at, session_id)
