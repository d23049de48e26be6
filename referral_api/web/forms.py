"""The console's forms: what a browser posts, and how it becomes a v1 request body.

Every field arrives as text; :meth:`LookUpForm.to_request` turns it into a
:class:`~referral_api.schemas.RecommendationCreate` (the API's own validation) and reports
problems per form field, so the page can show them next to the fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from referral_api.domain.constraint_kinds import CONSTRAINT_KINDS
from referral_api.errors import ReferralError
from referral_api.schemas import NEED_MAX, OutcomeCreate, RecommendationCreate

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=NEED_MAX)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=400)]

PLATFORMS = ("web", "ios", "android", "windows", "macos", "linux")
SEGMENTS = ("individual", "small", "mid", "enterprise")
#: request field → the form field that carries it (the currency goes with the budget)
FORM_FIELD_OF = {
    "need": "need",
    "constraints.currency": "currency",
    **{
        f"constraints.{kind.field}": kind.form_field for kind in CONSTRAINT_KINDS if kind.form_field
    },
}


def _words(text: str) -> list[str]:
    return [word.strip() for word in text.replace(";", ",").split(",") if word.strip()]


@dataclass
class FormProblems:
    """Messages by form field (``""`` for the form as a whole)."""

    by_field: dict[str, list[str]] = field(default_factory=dict)
    status: int = 422

    def add(self, name: str, message: str) -> None:
        self.by_field.setdefault(name, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.by_field)

    @classmethod
    def of(cls, error: ReferralError) -> FormProblems:
        """The problems of an error the API raised, placed on the form's fields."""
        problems = cls(status=error.status)
        for item in error.fields or [{"field": "", "message": error.detail}]:
            path = re.sub(r"\[\d+\]", "", item.get("field", ""))
            name = FORM_FIELD_OF.get(path) or FORM_FIELD_OF.get(f"constraints.{path}", "")
            problems.add(name, item.get("message", error.detail))
        return problems


class LookUpForm(BaseModel):
    """The look-up form: the need and optional constraints, as typed."""

    model_config = ConfigDict(extra="ignore")

    need: Text = ""
    budget: Short = ""
    currency: Short = ""
    region: Short = ""
    platforms: list[Short] = Field(default_factory=list, max_length=len(PLATFORMS))
    segment: Short = ""
    compliance: Short = ""
    must_have: Short = ""

    def to_request(self) -> tuple[RecommendationCreate | None, FormProblems]:
        """The v1 request body, or the problems that stop it, by form field."""
        problems = FormProblems()
        if not self.need:
            problems.add("need", "Describe what the customer needs.")
        budget: float | None = None
        if self.budget:
            try:
                budget = float(self.budget.replace(",", ".").lstrip("$€£ "))
            except ValueError:
                problems.add("budget", "Give the budget as a number, e.g. 50.")
        if problems:
            return None, problems
        constraints: dict[str, object] = {
            "budget_monthly": budget,
            "currency": self.currency or None,
            "region": self.region or None,
            "platforms": [p for p in self.platforms if p],
            "segment": self.segment or None,
            "compliance": _words(self.compliance),
            "must_have": _words(self.must_have),
        }
        try:
            body = RecommendationCreate.model_validate(
                {
                    "need": self.need,
                    "constraints": {k: v for k, v in constraints.items() if v not in (None, [])},
                }
            )
        except ValidationError as exc:
            for error in exc.errors():
                path = ".".join(str(part) for part in error["loc"] if not isinstance(part, int))
                problems.add(FORM_FIELD_OF.get(path, ""), str(error["msg"]))
            return None, problems
        return body, problems


class OutcomeForm(BaseModel):
    """The outcome form: which button was pressed, the chosen offering, a note."""

    model_config = ConfigDict(extra="ignore")

    outcome: Short = ""
    offering_id: Short = ""
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""

    def to_request(self) -> tuple[OutcomeCreate | None, FormProblems]:
        problems = FormProblems()
        # a customer who declined or did not answer chose nothing, whatever the select shows
        chose = self.outcome in ("accepted", "referred_elsewhere")
        try:
            body = OutcomeCreate.model_validate(
                {
                    "outcome": self.outcome,
                    "offering_id": (self.offering_id or None) if chose else None,
                    "note": self.note or None,
                }
            )
        except ValidationError as exc:
            for error in exc.errors():
                problems.add(str(error["loc"][0]) if error["loc"] else "", str(error["msg"]))
            return None, problems
        return body, problems
