"""What the customer did after a recommendation: the body that records it, and the record."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import (
    StringConstraints,
)

from referral_api.schemas.common import (
    Body,
    Schema,
    described,
)


class OutcomeKind(StrEnum):
    ACCEPTED = "accepted"
    REFERRED_ELSEWHERE = "referred_elsewhere"
    DECLINED = "declined"
    NO_ANSWER = "no_answer"


class OutcomeCreate(Body):
    outcome: OutcomeKind = described("What the customer did.", "accepted")
    offering_id: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = described(
        "The offering they chose, if any.", "ledgerly-books", default=None
    )
    note: Annotated[str, StringConstraints(max_length=2000)] | None = described(
        "A short note.", "Signed up for the trial.", default=None
    )


class OutcomePublic(Schema):
    outcome: OutcomeKind = described("What the customer did.", "accepted")
    offering_id: str | None = described("The offering they chose.", "ledgerly-books")
    note: str | None = described("A short note.", "Signed up for the trial.")
    recorded_by: str = described("Name of the key that recorded it.", "support console")
    recorded_at: dt.datetime = described("When.", "2026-11-23T10:00:00Z")
