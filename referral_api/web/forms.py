"""The console's forms: what a browser posts, and how it becomes a v1 request body.

Every field arrives as text; :meth:`LookUpForm.to_request` turns it into a
:class:`~referral_api.schemas.RecommendationCreate` (the API's own validation) and reports
problems per form field, so the page can show them next to the fields.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from referral_api.domain.constraint_kinds import CONSTRAINT_KINDS
from referral_api.errors import ReferralError
from referral_api.schemas import NEED_MAX, ConstraintsCreate, OutcomeCreate, RecommendationCreate

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

    def extend(self, other: FormProblems) -> None:
        """Add ``other``'s messages (each once) to these."""
        for name, messages in other.by_field.items():
            for message in messages:
                if message not in self.by_field.get(name, []):
                    self.add(name, message)

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
    """The look-up form: the need and optional constraints, as typed.

    ``refines`` is the look-up this one refines (its page's form carries it); ``ignore`` the
    constraints read in the words that the advocate removed, kept while they refine.
    """

    model_config = ConfigDict(extra="ignore")

    need: Text = ""
    budget: Short = ""
    currency: Short = ""
    region: Short = ""
    platforms: list[Short] = Field(default_factory=list, max_length=len(PLATFORMS))
    segment: Short = ""
    compliance: Short = ""
    must_have: Short = ""
    ignore: list[Short] = Field(default_factory=list, max_length=20)
    refines: Annotated[str, StringConstraints(max_length=64, pattern=r"^[A-Za-z0-9_-]*$")] = ""

    @classmethod
    def of_request(cls, need: str, request: Mapping[str, Any], *, refines: str) -> LookUpForm:
        """The form as it was filled for a stored look-up (its need text and the constraints
        as asked), to refine it; ``refines`` is that look-up's id."""
        c: Mapping[str, Any] = request.get("constraints") or {}
        budget = c.get("budget_monthly")
        return cls(
            need=need,
            budget=f"{budget:g}" if isinstance(budget, int | float) else "",
            currency=c.get("currency") or "",
            region=c.get("region") or "",
            platforms=[p for p in c.get("platforms") or [] if p in PLATFORMS],
            segment=c.get("segment") or "",
            compliance=", ".join(c.get("compliance") or []),
            must_have=", ".join(c.get("must_have") or []),
            ignore=list(c.get("ignore") or []),
            refines=refines,
        )

    @property
    def has_constraints(self) -> bool:
        """Whether any optional constraint is filled in (the form shows them open)."""
        return any(
            (self.budget, self.currency, self.region, self.platforms, self.segment,
             self.compliance, self.must_have)
        )  # fmt: skip

    def without(self, key: str) -> LookUpForm:
        """This form with the constraint ``key`` (a field, or ``field=value``) taken out: its
        value dropped from the form, and the words' reading of it disregarded."""
        field, _, value = key.partition("=")
        changes: dict[str, object] = {"ignore": list(dict.fromkeys([*self.ignore, key]))}
        form_field = FORM_FIELD_OF.get(f"constraints.{field}")
        if form_field == "platforms":
            changes["platforms"] = [p for p in self.platforms if value and p != value]
        elif form_field in ("compliance", "must_have"):
            kept = [w for w in _words(getattr(self, form_field)) if value and w != value]
            changes[form_field] = ", ".join(kept)
        elif form_field is not None:
            changes[form_field] = ""
            if field == "budget_monthly":
                changes["currency"] = ""
        return self.model_copy(update=changes)

    def to_request(self) -> tuple[RecommendationCreate | None, FormProblems]:
        """The v1 request body, or every problem that stops it, by form field (all at once)."""
        problems = FormProblems()
        if not self.need:
            problems.add("need", "Describe what the customer needs.")
        constraints = self._constraints(problems)
        if problems or constraints is None:
            return None, problems
        try:
            body = RecommendationCreate.model_validate(
                {"need": self.need, "constraints": constraints.model_dump(exclude_defaults=True)}
            )
        except ValidationError as exc:
            for error in exc.errors():
                path = ".".join(str(part) for part in error["loc"] if not isinstance(part, int))
                problems.add(FORM_FIELD_OF.get(path, ""), str(error["msg"]))
            return None, problems
        return body, problems

    def constraints_request(self) -> ConstraintsCreate | None:
        """The well-formed structured constraints alone, malformed fields left out (to check
        them against the catalogue even when the rest of the form has problems)."""
        values = self._values()
        try:
            return ConstraintsCreate.model_validate(values)
        except ValidationError as exc:
            bad = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
        try:
            return ConstraintsCreate.model_validate(
                {k: v for k, v in values.items() if k not in bad}
            )
        except ValidationError:
            return None

    def _budget(self) -> float | None:
        """The budget as a number; ``ValueError`` when it is not one."""
        return float(self.budget.replace(",", ".").lstrip("$€£ ")) if self.budget else None

    def _values(self) -> dict[str, object]:
        try:
            budget = self._budget()
        except ValueError:
            budget = None
        values: dict[str, object] = {
            "budget_monthly": budget,
            "currency": self.currency or None,
            "region": self.region or None,
            "platforms": [p for p in self.platforms if p],
            "segment": self.segment or None,
            "compliance": _words(self.compliance),
            "must_have": _words(self.must_have),
            "ignore": [i for i in self.ignore if i],
        }
        return {k: v for k, v in values.items() if v not in (None, [])}

    def _constraints(self, problems: FormProblems) -> ConstraintsCreate | None:
        try:
            self._budget()
        except ValueError:
            problems.add("budget", "Give the budget as a number, e.g. 50.")
        try:
            constraints = ConstraintsCreate.model_validate(self._values())
        except ValidationError as exc:
            for error in exc.errors():
                path = ".".join(str(part) for part in error["loc"] if not isinstance(part, int))
                problems.add(FORM_FIELD_OF.get(f"constraints.{path}", ""), str(error["msg"]))
            return None
        return None if problems.by_field.keys() - {"need"} else constraints


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
