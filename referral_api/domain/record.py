"""The record of one answered need: what the analytics and the console read of a recommendation.

A :class:`RecommendationRecord` is built from the engine's :class:`Recommendation` when it is
made (:func:`record_of`), and read back from a stored row by the store. The v1 response stored
beside it is what the API answered, kept byte for byte; the record is the typed view of it that
gap facts and the console work from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from referral_api.domain.catalog import Relationship
from referral_api.domain.need import Constraints
from referral_api.domain.recommendation import BestOwn, CoverageStatus, Recommendation, Unmet


@dataclass(frozen=True, slots=True)
class RecordedCapability:
    """A capability read in the need; ``central`` when it is part of the ask, not its context."""

    id: str
    label: str = ""
    matched: str = ""
    central: bool = True
    #: how sure the reading is, 0–1 (vocabulary suggestions read the weakly understood needs)
    confidence: float = 1.0


@dataclass(frozen=True, slots=True)
class RecordedFit:
    """One ranked result: the offering and how it covers each requested capability."""

    offering_id: str
    name: str
    relationship: Relationship
    rank: int
    score: float
    #: (capability, status) in the order the engine gave them
    coverage: tuple[tuple[str, CoverageStatus], ...] = ()

    def coverage_of(self, capability: str) -> CoverageStatus:
        """How this offering covers ``capability`` (``missing`` when it is not listed)."""
        for covered, status in self.coverage:
            if covered == capability:
                return status
        return CoverageStatus.MISSING


@dataclass(frozen=True, slots=True)
class RecordedRejection:
    """A close candidate shown as failing a must-have: the hard constraints it fails, by name."""

    offering_id: str
    name: str
    relationship: Relationship
    does_not_meet: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RecommendationRecord:
    """One answered need as recorded: the need (redacted as stored), what was understood,
    what was ranked, what nothing covered, and under which catalogue, rules and engine."""

    id: str
    created_at: dt.datetime
    channel: str
    catalog_version_id: int
    need_text: str = ""
    api_key_id: str | None = None
    language: str = "en"
    understood: float = 1.0
    ask_understood: bool = True
    capabilities: tuple[RecordedCapability, ...] = ()
    constraints: Constraints = field(default_factory=Constraints)
    not_understood: tuple[str, ...] = ()
    #: capabilities nearest to an ask that was not understood ("did you mean"), by id
    did_you_mean: tuple[str, ...] = ()
    results: tuple[RecordedFit, ...] = ()
    rejected: tuple[RecordedRejection, ...] = ()
    best_own: BestOwn | None = None
    unmet: tuple[Unmet, ...] = ()
    catalog_version: str = ""
    rules_version: str = ""
    engine_version: str = ""
    #: what the customer did, once recorded (``accepted``, ``declined``, …)
    outcome: str | None = None

    @property
    def winner(self) -> RecordedFit | None:
        """The first-ranked fit, if any."""
        return self.results[0] if self.results else None


def record_of(
    recommendation: Recommendation,
    *,
    record_id: str,
    created_at: dt.datetime,
    channel: str,
    catalog_version_id: int,
    api_key_id: str | None = None,
) -> RecommendationRecord:
    """The record of an engine answer (its need text is stored as the engine received it)."""
    interpretation = recommendation.interpretation
    return RecommendationRecord(
        id=record_id,
        created_at=created_at,
        channel=channel,
        catalog_version_id=catalog_version_id,
        need_text=recommendation.need.text,
        api_key_id=api_key_id,
        language=interpretation.language,
        understood=interpretation.understood,
        ask_understood=interpretation.ask_understood,
        capabilities=tuple(
            # confidence as the response shows it (four places), so a row reads back equal
            RecordedCapability(c.id, c.label, c.matched, c.central, round(c.confidence, 4))
            for c in interpretation.capabilities
        ),
        constraints=interpretation.constraints,
        not_understood=tuple(interpretation.not_understood),
        did_you_mean=tuple(cap_id for cap_id, _ in interpretation.suggestions),
        results=tuple(
            RecordedFit(
                offering_id=fit.offering.id,
                name=fit.offering.name,
                relationship=fit.offering.relationship,
                rank=fit.rank if fit.rank is not None else index,
                score=fit.score,
                coverage=tuple((c.capability, CoverageStatus(c.status)) for c in fit.coverage),
            )
            for index, fit in enumerate(recommendation.results, start=1)
        ),
        rejected=tuple(
            RecordedRejection(
                offering_id=fit.offering.id,
                name=fit.offering.name,
                relationship=fit.offering.relationship,
                does_not_meet=tuple(verdict.name for verdict in fit.failed),
            )
            for fit in recommendation.rejected
        ),
        best_own=recommendation.best_own,
        unmet=tuple(recommendation.unmet),
        catalog_version=recommendation.coverage.version,
        rules_version=recommendation.rules_version,
        engine_version=recommendation.engine_version,
    )
