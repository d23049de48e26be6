"""The v1 wire format's building blocks: every field described, every body strict.

Families are named alike: ``XCreate`` / ``XUpdate`` (bodies, unknown fields refused),
``XPublic`` (responses), ``XsPublic{data, count}`` (lists). Every field has a description and
an example (:func:`described`), so the committed OpenAPI reads as documentation.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

MAX_LIMIT = 50
NEED_MAX = 2000

Word = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
NeedText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NEED_MAX)
]


#: the moments a window filter may name (beyond them a date is a typo, and some databases'
#: timestamps end)
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)


def utc_moment(value: dt.datetime | None) -> dt.datetime | None:
    """A window's bound in UTC (a naive one is taken as UTC), within :data:`EARLIEST` …
    :data:`LATEST`, for a field validator (a ``ValueError`` names what is allowed)."""
    if value is None:
        return None
    value = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    if not EARLIEST <= value < LATEST:
        raise ValueError(f"must be between {EARLIEST:%Y} and {LATEST:%Y}")
    return value.astimezone(dt.UTC)


def described(description: str, example: Any, **kwargs: Any) -> Any:
    """A field with its description and one example (both land in the OpenAPI document)."""
    return Field(description=description, examples=[example], **kwargs)


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Body(BaseModel):
    """A request body: unknown fields are refused, so nothing can be mass-assigned.

    NUL characters are refused anywhere in it: no store keeps them faithfully (PostgreSQL
    text refuses them), and no customer means one.
    """

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        where = _nul_path(data, "")
        if where is not None:
            raise FieldValueError(f"NUL characters are not allowed (at {where or 'body'})", where)
        return data


class FieldValueError(ValueError):
    """A model-level check's error about one of its fields (``field``, dotted), so that the
    problem names that field rather than the whole body."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _nul_path(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            found = inner if "\x00" in str(key) else _nul_path(item, inner)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_path(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None
