"""One error tree for the whole service; the API renders every one as problem+json (RFC 9457).

ReferralError                 500  unexpected; never raised for bad input
├── InputError                422  a request or file is invalid (``fields`` name what failed)
│   └── CatalogInvalid        422  a catalogue or rules set failed validation (``problems``)
├── NotFound                  404
├── Conflict                  409
├── Unauthenticated           401
├── Forbidden                 403
├── PayloadTooLarge           413
├── RateLimited               429  (``retry_after`` seconds)
└── Unavailable               503  (``retry_after`` seconds)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Protocol


class CatalogProblem(Protocol):
    """What an error needs of a catalogue problem (``curation.problems.Problem`` is one); a
    protocol, so that this module, which every layer imports, imports none of them."""

    @property
    def field(self) -> str: ...

    @property
    def message(self) -> str: ...

    @property
    def is_error(self) -> bool: ...

    @property
    def where(self) -> str: ...


class ReferralError(Exception):
    """Base of every error the service raises on purpose."""

    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal"
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str, *, fields: Sequence[dict[str, str]] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.fields = list(fields)

    @property
    def type_uri(self) -> str:
        return f"https://honest-referral.example/problems/{self.slug}"


class InputError(ReferralError):
    status = 422
    slug = "invalid-input"
    title = "Invalid input"


class CatalogInvalid(InputError):
    slug = "invalid-catalog"
    title = "Invalid catalogue"

    def __init__(self, problems: Sequence[CatalogProblem]) -> None:
        errors = [p for p in problems if p.is_error]
        super().__init__(
            f"{len(errors)} problem(s); first: {errors[0]}" if errors else "invalid catalogue",
            fields=[{"field": p.field, "message": p.message, "at": p.where} for p in errors],
        )
        self.problems = list(problems)


class NotFound(ReferralError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(ReferralError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class Unauthenticated(ReferralError):
    status = 401
    slug = "unauthenticated"
    title = "Authentication required"


class Forbidden(ReferralError):
    status = 403
    slug = "forbidden"
    title = "Forbidden"


class PayloadTooLarge(ReferralError):
    status = 413
    slug = "payload-too-large"
    title = "Payload too large"


class RateLimited(ReferralError):
    status = 429
    slug = "rate-limited"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Unavailable(ReferralError):
    status = 503
    slug = "unavailable"
    title = "Service unavailable"

    def __init__(self, detail: str, *, retry_after: int = 5) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
