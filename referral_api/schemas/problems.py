"""Errors on the wire: RFC 9457 problem details, for the API and the CLI's batch output alike."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from referral_api.curation.fields import did_you_mean
from referral_api.errors import InputError, RateLimited, ReferralError, Unavailable
from referral_api.schemas.common import FieldValueError


class ProblemField(BaseModel):
    field: str = Field(description="The failing field, dotted.", examples=["constraints.region"])
    message: str = Field(description="What is wrong with it.", examples=["unknown region"])
    at: str | None = Field(
        default=None, description="file:line, for catalogue problems.", examples=["offerings/x:3"]
    )


class ProblemPublic(BaseModel):
    """An error, as RFC 9457 problem details."""

    model_config = ConfigDict(title="Problem")

    type: str = Field(
        description="Stable URI of the error kind.",
        examples=["https://honest-referral.example/problems/invalid-input"],
    )
    title: str = Field(description="Short summary of the kind.", examples=["Invalid input"])
    status: int = Field(description="HTTP status.", examples=[422])
    detail: str = Field(description="What happened here.", examples=["1 invalid field(s)"])
    instance: str = Field(description="The request path.", examples=["/v1/recommendations"])
    errors: list[ProblemField] | None = Field(
        default=None,
        description="The failing fields (validation errors).",
        examples=[[{"field": "limit", "message": "Input should be less than or equal to 50"}]],
    )
    retry_after: int | None = Field(
        default=None, description="Seconds to wait (429, 503).", examples=[30]
    )


def problem_body(error: ReferralError, instance: str) -> dict[str, Any]:
    """``error`` as a problem+json body; ``instance`` says where (a path, or file:line)."""
    body: dict[str, Any] = {
        "type": error.type_uri,
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        "instance": instance,
    }
    if error.fields:
        body["errors"] = error.fields
    if isinstance(error, RateLimited | Unavailable):
        body["retry_after"] = error.retry_after
    return body


def _location(loc: tuple[int | str, ...]) -> str:
    """``("body", "constraints", "must_have", 0)`` → ``constraints.must_have[0]``."""
    parts = list(loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc)
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or (str(loc[0]) if loc else "body")


def input_error(errors: Sequence[Mapping[str, Any]]) -> InputError:
    """Validation errors (pydantic's, or FastAPI's request validation) as one
    :class:`InputError` whose ``fields`` name each failing field, dotted."""
    fields = []
    for error in errors:
        loc = tuple(error.get("loc", ()))
        message = str(error.get("msg", "invalid"))
        cause = error.get("ctx", {}).get("error")
        name = _location(loc)
        if isinstance(cause, FieldValueError) and cause.field:
            name = cause.field if name == "body" else f"{name}.{cause.field}"
        if error.get("type") == "json_invalid":
            message = f"not valid JSON: {error.get('ctx', {}).get('error', message)}"
        if error.get("type") == "enum" and isinstance(error.get("input"), str):
            # pydantic lists the values ("'own', 'partner' or 'other'"); name the closest
            choices = re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))
            message += did_you_mean(error["input"], choices)
        fields.append({"field": name, "message": message})
    first = fields[0] if fields else {"field": "body", "message": "invalid"}
    return InputError(
        f"{len(fields)} invalid field(s); first: {first['field']}: {first['message']}",
        fields=fields,
    )
