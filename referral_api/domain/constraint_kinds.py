"""Every kind of constraint a need can carry, declared once.

Each :class:`ConstraintSpec` says what a kind is called on the wire and in the console's form,
which vocabulary its values are spelt in, which fact of an offering it is judged against (and
so whether a catalogue records anything about it), whether it is a must-have by default, and
how its relaxation is worded. The engine's checker, its relaxations, the interpreter, the API
schemas, the console form and the command line all read this table; adding a kind is an entry
here, its check in :class:`~referral_api.matching.constraints.ConstraintChecker` (a method
named ``_<field>``) and its tests.

    field                  vocabulary   fact        hard   form field
    must_have              —            —           yes    must_have
    region                 region       regions     yes    region
    language_area          language     regions     yes    —
    platforms              platform     platforms   yes    platforms
    excluded_platforms     platform     platforms   yes    —
    compliance             compliance   compliance  yes    compliance
    budget_monthly         —            price       yes    budget
    price_models           price_model  price       yes    —
    excluded_price_models  price_model  price       yes    —
    segment                segment      segments    no     segment
    languages              language     languages   no     —
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from operator import attrgetter
from types import MappingProxyType

from referral_api.domain.catalog import Offering
from referral_api.domain.rules import ConstraintKind


@dataclass(frozen=True, slots=True)
class ConstraintSpec:
    """One kind of constraint."""

    #: the :class:`~referral_api.domain.need.Constraints` field, the v1 wire field and the
    #: name of the verdicts it yields (``platforms:ios`` for one value of a list)
    field: str
    #: what a person calls it ("budget", "platforms")
    label: str
    #: the rules vocabulary its values are spelt in (``None``: numbers or capability ids)
    vocabulary: ConstraintKind | None
    #: the offering's attribute it is judged against (``None``: judged against capabilities)
    fact: str | None
    #: what the catalogue knows nothing about when no offering records that fact
    unknown: str | None
    #: a must-have unless the customer hedges it (else only a preference)
    hard: bool
    #: a list of values (``platforms``) rather than one (``region``)
    many: bool
    #: the console's look-up form field that carries it (``None``: not on the form)
    form_field: str | None
    #: the wording of relaxing it, with ``{value}`` for one value of a list
    relax: str

    @property
    def read_fact(self) -> Callable[[Offering], object] | None:
        """How to read the fact from an offering."""
        return attrgetter(self.fact) if self.fact else None


#: every kind, in the order constraints are checked, explained and relaxed
CONSTRAINT_KINDS: tuple[ConstraintSpec, ...] = (
    ConstraintSpec(
        "must_have", "must-haves", None, None, None,
        hard=True, many=True, form_field="must_have", relax="without must-have {value}",
    ),
    ConstraintSpec(
        "region", "region", ConstraintKind.REGION, "regions",
        "where offerings are available",
        hard=True, many=False, form_field="region",
        relax="if it need not be available in {region}",
    ),
    ConstraintSpec(
        "language_area", "language area", ConstraintKind.LANGUAGE, "regions",
        "where offerings are available",
        hard=True, many=False, form_field=None,
        relax="if it need not be available where {value} is spoken",
    ),
    ConstraintSpec(
        "platforms", "platforms", ConstraintKind.PLATFORM, "platforms", "platforms",
        hard=True, many=True, form_field="platforms", relax="without the {value} requirement",
    ),
    ConstraintSpec(
        "excluded_platforms", "excluded platforms", ConstraintKind.PLATFORM, "platforms",
        "platforms",
        hard=True, many=True, form_field=None, relax="if {value} is acceptable after all",
    ),
    ConstraintSpec(
        "compliance", "compliance", ConstraintKind.COMPLIANCE, "compliance",
        "compliance",
        hard=True, many=True, form_field="compliance", relax="without {value} compliance",
    ),
    ConstraintSpec(
        "budget_monthly", "budget", None, "price", "prices",
        hard=True, many=False, form_field="budget", relax="without the budget limit",
    ),
    ConstraintSpec(
        "price_models", "price models", ConstraintKind.PRICE_MODEL, "price",
        "price models",
        hard=True, many=True, form_field=None, relax="if another price model is acceptable",
    ),
    ConstraintSpec(
        "excluded_price_models", "excluded price models", ConstraintKind.PRICE_MODEL, "price",
        "price models",
        hard=True, many=True, form_field=None, relax="if {value} pricing is acceptable",
    ),
    ConstraintSpec(
        "segment", "segment", ConstraintKind.SEGMENT, "segments", None,
        hard=False, many=False, form_field="segment", relax="for another segment",
    ),
    ConstraintSpec(
        "languages", "languages", ConstraintKind.LANGUAGE, "languages", None,
        hard=False, many=True, form_field=None, relax="in another language",
    ),
)  # fmt: skip

#: the kinds by field name
KIND_OF: Mapping[str, ConstraintSpec] = MappingProxyType({k.field: k for k in CONSTRAINT_KINDS})

#: the facts offerings may record, each read once (several kinds share one: price)
FACTS: Mapping[str, Callable[[Offering], object]] = MappingProxyType(
    {k.fact: attrgetter(k.fact) for k in CONSTRAINT_KINDS if k.fact}
)
