"""One definition per constraint kind: every layer reads ``CONSTRAINT_KINDS``, and a kind
added there without its check, wire field or wording fails here."""

from __future__ import annotations

import pytest

from referral_api.domain import Constraints
from referral_api.domain.constraint_kinds import CONSTRAINT_KINDS, FACTS, KIND_OF
from referral_api.matching.constraints import ConstraintChecker
from referral_api.schemas import ConstraintsCreate, ConstraintsPublic
from referral_api.web.forms import FORM_FIELD_OF, LookUpForm

#: fields of Constraints that are not kinds of their own
NOT_KINDS = {"currency", "soft"}


def test_every_constraint_field_is_one_kind() -> None:
    fields = set(Constraints.__dataclass_fields__) - NOT_KINDS
    assert fields == set(KIND_OF)
    assert len(KIND_OF) == len(CONSTRAINT_KINDS)


@pytest.mark.parametrize("kind", CONSTRAINT_KINDS, ids=lambda k: k.field)
class TestEachKind:
    def test_is_checked(self, kind: object) -> None:
        assert callable(getattr(ConstraintChecker, f"_{kind.field}", None))  # type: ignore[attr-defined]

    def test_is_on_the_wire(self, kind: object) -> None:
        field = kind.field  # type: ignore[attr-defined]
        assert field in ConstraintsCreate.model_fields
        assert field in ConstraintsPublic.model_fields

    def test_is_on_the_form_where_it_says(self, kind: object) -> None:
        form_field = kind.form_field  # type: ignore[attr-defined]
        if form_field is not None:
            assert form_field in LookUpForm.model_fields
            assert FORM_FIELD_OF[f"constraints.{kind.field}"] == form_field  # type: ignore[attr-defined]

    def test_reads_a_fact_the_catalogue_records(self, kind: object) -> None:
        fact = kind.fact  # type: ignore[attr-defined]
        assert fact is None or fact in FACTS

    def test_says_how_to_relax_it(self, kind: object) -> None:
        assert kind.relax.strip()  # type: ignore[attr-defined]
