"""Fits, bundles, relaxations and the recommendation the engine returns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from referral_api.domain.catalog import Offering, Relationship
from referral_api.domain.need import Interpretation, Need


class CoverageStatus(StrEnum):
    """How an offering serves one requested capability."""

    FULL = "full"
    PARTIAL = "partial"
    VIA_NARROWER = "via-narrower"
    VIA_BROADER = "via-broader"
    RELATED = "related"
    MISSING = "missing"


@dataclass(frozen=True, slots=True)
class Coverage:
    """One requested capability against one offering."""

    capability: str
    status: CoverageStatus
    credit: float
    via: str | None = None


@dataclass(frozen=True, slots=True)
class ConstraintVerdict:
    """One constraint against one offering. A failed hard verdict disqualifies the offering."""

    name: str
    ok: bool
    hard: bool
    detail: str


@dataclass(frozen=True, slots=True)
class Disclosure:
    """The relationship behind a result, structured so it survives being passed on."""

    relationship: Relationship
    fee: bool
    text: str


@dataclass(frozen=True, slots=True)
class ScoreParts:
    """The terms that make up a fit's score, so that no scoring term is silent."""

    coverage: float
    similarity: float
    penalty: float
    total: float


@dataclass(frozen=True, slots=True)
class Fit:
    """One offering against one need."""

    offering: Offering
    score: float
    parts: ScoreParts
    coverage: tuple[Coverage, ...]
    constraints: tuple[ConstraintVerdict, ...]
    reasons: tuple[str, ...]
    caveats: tuple[str, ...]
    disclosure: Disclosure
    rank: int | None = None

    @property
    def meets_hard_constraints(self) -> bool:
        return all(v.ok for v in self.constraints if v.hard)

    @property
    def failed(self) -> tuple[ConstraintVerdict, ...]:
        return tuple(v for v in self.constraints if v.hard and not v.ok)


@dataclass(frozen=True, slots=True)
class BestOwn:
    """Our best offering for the need, compared honestly with the best overall."""

    offering_id: str
    rank: int | None
    comparison: str
    #: the hard constraints it fails (verdict names: ``region``, ``must_have:payroll``, …);
    #: empty when it is one of the fits
    does_not_meet: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Bundle:
    """A small set of offerings that together cover what no single fit covers."""

    offerings: tuple[str, ...]
    covers: tuple[str, ...]
    reasons: tuple[str, ...]
    score: float


@dataclass(frozen=True, slots=True)
class Unmet:
    """A requested capability no active offering covers."""

    capability: str
    detail: str


@dataclass(frozen=True, slots=True)
class Relaxation:
    """A smallest set of constraints whose relaxation would let some offering fit."""

    relax: tuple[str, ...]
    admits: tuple[str, ...]
    detail: str


@dataclass(frozen=True, slots=True)
class MarketCoverage:
    """Which catalogue answered, and how many offerings of each relationship it considered."""

    catalog: str
    version: str
    date: dt.date | None
    considered: Mapping[Relationship, int]


@dataclass(frozen=True)
class Recommendation:
    """The engine's answer to one need."""

    need: Need
    interpretation: Interpretation
    results: tuple[Fit, ...]
    rejected: tuple[Fit, ...]
    best_own: BestOwn | None
    bundles: tuple[Bundle, ...]
    unmet: tuple[Unmet, ...]
    relaxations: tuple[Relaxation, ...]
    coverage: MarketCoverage
    summary: str
    rules_version: str = ""
    engine_version: str = ""
    extra: Mapping[str, object] = field(default_factory=dict, compare=False)
