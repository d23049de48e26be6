"""What a request does beyond parsing: ask the engine, store the record, run the audit.

Routes and CLI commands call these; they take a session (the caller's unit of work) and the
engine, and keep SQL inside repositories.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from referral_api.api.runtime import EngineFactory, LoadedEngine, RecommendationEngine
from referral_api.api.schemas import (
    AuditFindingPublic,
    AuditPublic,
    CapabilityPublic,
    DisclosurePolicyPublic,
    OutcomeCreate,
    OutcomePublic,
    RankingParameter,
    RankingPublic,
    RecommendationCreate,
    RecommendationPublic,
    recommendation_body,
)
from referral_api.domain import (
    Catalog,
    ConstraintKind,
    Need,
    Offering,
    Recommendation,
    Relationship,
    Rules,
)
from referral_api.errors import InputError, NotFound
from referral_api.insights.audit import AuditCase, audit_rankings, mask_relationships
from referral_api.matching import interpret as reading
from referral_api.store.catalogs import rebuild
from referral_api.store.models import Outcome, RecommendationRecord, utcnow
from referral_api.store.redaction import redact
from referral_api.store.repositories import (
    CatalogVersionRepository,
    GapFactRepository,
    OutcomeRepository,
    RecommendationRepository,
)


def new_record_id() -> str:
    return f"rec_{secrets.token_hex(12)}"


@dataclass(frozen=True)
class Recorded:
    """A recommendation as it is stored: the public response (JSON body), the engine's
    recommendation, and the record's column values."""

    body: dict[str, Any]
    recommendation: Recommendation
    record: dict[str, Any]

    @property
    def public(self) -> RecommendationPublic:
        """The response as its model (for the console's templates)."""
        return RecommendationPublic.model_validate(self.body)


def make_recommendation(
    loaded: LoadedEngine,
    body: RecommendationCreate,
    *,
    channel: str,
    key_id: str | None,
    redact_needs: bool,
) -> Recorded:
    """Ask the engine; the response and the record to store (nothing is written here)."""
    need = body.to_need()
    text = redact(need.text) if redact_needs else need.text
    need = Need(text=text, constraints=need.constraints)
    recommendation = loaded.engine.recommend(need, limit=body.limit)
    record_id = new_record_id()
    created_at = utcnow()
    response = recommendation_body(
        recommendation,
        record_id=record_id,
        created_at=created_at,
        channel=channel,
        catalog_version_id=loaded.version_id,
    )
    winner = recommendation.results[0].offering if recommendation.results else None
    record = {
        "id": record_id,
        "created_at": created_at,
        "channel": channel,
        "api_key_id": key_id,
        "need_text": text,
        "request": body.model_dump(mode="json", exclude={"need"}),
        "interpretation": response["interpreted"],
        "ranking": [
            {
                "offering_id": fit["offering"]["id"],
                "rank": fit["rank"],
                "score": fit["score"],
                "relationship": fit["offering"]["relationship"],
            }
            for fit in response["results"]
        ],
        "best_own": response["best_own"],
        "unmet": response["unmet"],
        "winner_offering_id": winner.id if winner else None,
        "winner_relationship": winner.relationship.value if winner else None,
        "response": response,
        "catalog_version_id": loaded.version_id,
        "catalog_version": recommendation.coverage.version,
        "rules_version": recommendation.rules_version,
        "engine_version": recommendation.engine_version,
    }
    return Recorded(response, recommendation, record)


def store_records(session: Session, records: Sequence[dict[str, Any]]) -> None:
    """Write recommendation records (as made by :func:`make_recommendation`) and their gap
    facts, in the same unit of work; the record writer (``api/recording.py``) writes through
    here, a batch of concurrent requests at a time."""
    RecommendationRepository(session).add_values(records)
    GapFactRepository(session).add_for_all(records)


def store_record(session: Session, record: dict[str, Any]) -> None:
    """Write one record and its gap facts (:func:`store_records` of one)."""
    store_records(session, [record])


def recommend_and_record(
    session: Session,
    loaded: LoadedEngine,
    body: RecommendationCreate,
    *,
    channel: str,
    key_id: str | None,
    redact_needs: bool,
) -> Recorded:
    """Ask the engine and store the record in the caller's unit of work."""
    recorded = make_recommendation(
        loaded, body, channel=channel, key_id=key_id, redact_needs=redact_needs
    )
    store_record(session, recorded.record)
    return recorded


def stored_recommendation(
    session: Session, record_id: str
) -> tuple[RecommendationRecord, RecommendationPublic]:
    """A past recommendation exactly as it was made, with its outcome; :class:`NotFound` if none."""
    record = RecommendationRepository(session).get(record_id)
    if record is None:
        raise NotFound(f"no recommendation {record_id}")
    public = RecommendationPublic.model_validate(record.response)
    if record.outcome is not None:
        public.outcome = OutcomePublic.model_validate(record.outcome)
    return record, public


def record_outcome(
    session: Session, record: RecommendationRecord, body: OutcomeCreate, *, recorded_by: str
) -> Outcome:
    """Record what the customer did; the chosen offering must be one the customer was shown."""
    shown = {item["offering_id"] for item in record.ranking}
    if body.offering_id is not None and body.offering_id not in shown:
        raise InputError(
            f"{body.offering_id!r} was not among the results of {record.id}",
            fields=[{"field": "offering_id", "message": "not among this recommendation's results"}],
        )
    return OutcomeRepository(session).add(
        Outcome(
            recommendation_id=record.id,
            outcome=body.outcome.value,
            offering_id=body.offering_id,
            note=body.note,
            recorded_by=recorded_by,
            recorded_at=utcnow(),
        )
    )


def _need_of(record: RecommendationRecord) -> tuple[Need, int]:
    request = RecommendationCreate.model_validate({"need": record.need_text, **record.request})
    return request.to_need(), request.limit


def run_audit(
    session: Session,
    factory: EngineFactory,
    *,
    since: dt.datetime | None,
    limit: int | None = None,
) -> AuditPublic:
    """Re-rank recorded needs with relationships masked; report every ranking that differs."""
    versions = CatalogVersionRepository(session)

    @lru_cache(maxsize=8)
    def engine(version_id: int, masked: bool) -> RecommendationEngine:
        version = versions.get(version_id)
        if version is None:
            raise LookupError(version_id)
        snapshot = rebuild(version)
        catalog = mask_relationships(snapshot.catalog) if masked else snapshot.catalog
        return factory(catalog, snapshot.rules)

    def rank(need: Need, top: int, version_id: int, masked: bool) -> tuple[str, ...]:
        result = engine(version_id, masked).recommend(need, limit=top)
        return tuple(fit.offering.id for fit in result.results)

    unreadable = 0

    def cases() -> Iterator[AuditCase]:
        nonlocal unreadable
        for record in RecommendationRepository(session).since(since, limit=limit):
            try:
                need, top = _need_of(record)
            except ValidationError:  # stored by an older, different request schema
                unreadable += 1
                continue
            yield AuditCase(
                record_id=record.id,
                created_at=record.created_at,
                need=need,
                limit=top,
                recorded=tuple(str(item["offering_id"]) for item in record.ranking),
                catalog_key=record.catalog_version_id,
            )

    report = audit_rankings(cases(), rank)
    return AuditPublic(
        since=since,
        checked=report.checked,
        identical=report.identical,
        differing=report.differing,
        skipped=report.skipped + unreadable,
        not_reproducible=report.not_reproducible,
        findings=[
            AuditFindingPublic(
                recommendation_id=f.record_id,
                created_at=f.created_at,
                ranking=list(f.ranking),
                masked_ranking=list(f.masked_ranking),
            )
            for f in report.findings
        ],
    )


def _encode_cursor(offering_id: str) -> str:
    return base64.urlsafe_b64encode(f"o:{offering_id}".encode()).decode("ascii").rstrip("=")


def _decode_cursor(cursor: str) -> str:
    invalid = InputError(
        "invalid cursor", fields=[{"field": "cursor", "message": "not a cursor we issued"}]
    )
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
    except (ValueError, UnicodeError):
        raise invalid from None
    if not text.startswith("o:"):
        raise invalid
    return text[2:]


@dataclass(frozen=True)
class OfferingFilter:
    relationship: Relationship | None = None
    capability: str | None = None
    region: str | None = None
    platform: str | None = None
    q: str | None = None

    def matches(self, offering: Offering, rules: Rules) -> bool:
        if self.relationship is not None and offering.relationship is not self.relationship:
            return False
        if self.capability is not None and self.capability not in offering.capabilities:
            return False
        if self.platform is not None:
            platform = rules.canonical(ConstraintKind.PLATFORM, self.platform)
            if platform not in offering.platforms:
                return False
        if self.region is not None and not _serves_region(offering, self.region.upper(), rules):
            return False
        if self.q:
            needle = self.q.lower()
            haystack = " ".join(
                part or "" for part in (offering.id, offering.name, offering.provider,
                                        offering.summary)
            ).lower()  # fmt: skip
            if needle not in haystack:
                return False
        return True


def _serves_region(offering: Offering, region: str, rules: Rules) -> bool:
    for code in offering.regions:
        if code in ("global", region) or region in rules.region_groups.get(code, ()):
            return True
    return False


def page_offerings(
    catalog: Catalog, rules: Rules, where: OfferingFilter, *, cursor: str | None, limit: int
) -> tuple[list[Offering], int, str | None]:
    """One page of matching offerings by id, the total count, and the next page's cursor."""
    matching = sorted((o for o in catalog.offerings if where.matches(o, rules)), key=lambda o: o.id)
    after = _decode_cursor(cursor) if cursor else None
    start = 0 if after is None else next(
        (i for i, o in enumerate(matching) if o.id > after), len(matching)
    )  # fmt: skip
    page = matching[start : start + limit]
    more = start + limit < len(matching)
    return page, len(matching), _encode_cursor(page[-1].id) if more and page else None


def capability_views(catalog: Catalog) -> list[CapabilityPublic]:
    """Every capability with its graph neighbours and how many active offerings cover it."""
    narrower: dict[str, list[str]] = {c: [] for c in catalog.capabilities}
    for cap in catalog.capabilities.values():
        for broader in cap.broader:
            narrower.setdefault(broader, []).append(cap.id)
    covering: dict[str, int] = {}
    for offering in catalog.offerings:
        if offering.active:
            for cap_id in offering.capabilities:
                covering[cap_id] = covering.get(cap_id, 0) + 1
    return [
        CapabilityPublic(
            id=cap.id,
            label=cap.label,
            description=cap.description,
            synonyms=list(cap.synonyms),
            broader=list(cap.broader),
            narrower=sorted(narrower.get(cap.id, [])),
            related=list(cap.related),
            requires=list(cap.requires),
            offerings=covering.get(cap.id, 0),
        )
        for cap in catalog.capabilities.values()
    ]


def ranking_view(rules: Rules, catalog_version_id: int) -> RankingPublic:
    """The main parameters that determine ranking, in plain words (ranking transparency)."""
    w, t, p = rules.weights, rules.thresholds, rules.policy
    parameters = [
        RankingParameter(
            name="capability coverage",
            value=f"full {w.full:g}, partial {w.partial:g}, via a narrower capability "
            f"{w.via_narrower:g}, via a broader one {w.via_broader:g}, related only {w.related:g}",
            explanation="The largest part of the score: how much of what you asked for the "
            "offering provides, and how directly.",
        ),
        RankingParameter(
            name="graph distance",
            value=f"credit × {w.hop_decay:g} per further step, at most {t.max_hops} steps",
            explanation="Credit through neighbouring capabilities shrinks with each step.",
        ),
        RankingParameter(
            name="text similarity",
            value=f"{w.similarity:g} of the score",
            explanation="How closely the offering's description matches your words.",
        ),
        RankingParameter(
            name="preferences",
            value=f"−{w.soft_penalty:g} per unmet preference",
            explanation="Soft wishes (segment, language, hedged constraints) lower the score a "
            "little; hard constraints (region, platform, compliance, budget, must-haves, "
            "excluded price models) are never relaxed silently: an offering failing one is "
            "not a fit, and is shown only as 'does not meet'.",
        ),
        RankingParameter(
            name="the central ask",
            value=f"side capabilities under {reading.PRIMARY_SHARE:g} of the best one's "
            "confidence, or broader than another asked for, do not make a fit",
            explanation="A fit must serve what you ask for (the words after 'we need', "
            "'looking for'…, or all of them when no such words are there), fully, partly or "
            "through a narrower or broader capability. When we did not understand what you ask "
            "for, no fit is claimed: the answer says what we did not understand and the "
            "nearest capabilities ('did you mean').",
        ),
        RankingParameter(
            name="evidence from words",
            value=f"one everyday word (wordfreq Zipf ≥ {reading.GENERIC_ZIPF:g}) counts down to "
            f"0.3; words only in the context you describe × {reading.CONTEXT_CONFIDENCE:g}; "
            f"minimum confidence {t.min_confidence:g}",
            explanation="A capability is read from a phrase that names it, or from several "
            "specific words the catalogue knows — never from one stray word. The name of an "
            "offering is read as what you use today, not as a need.",
        ),
        RankingParameter(
            name="languages",
            value=", ".join(rules.supported_languages),
            explanation="The language of your words is detected; they are read with that "
            "language's stems, phrases and cue words, beside English ones.",
        ),
        RankingParameter(
            name="facts you state",
            value=f"amounts read up to {reading.MAX_AMOUNT:g}",
            explanation="Where you are (a city, state or country), the devices you have, a "
            "compliance you must meet, a budget and 'no subscription' are must-haves unless "
            "you hedge them ('ideally'); someone else's places, and amounts that are not a "
            "budget (a loan, revenue, what you pay today), are not.",
        ),
        RankingParameter(
            name="minimum score",
            value=f"{t.min_score:g}",
            explanation="Results scoring below this are not shown.",
        ),
        RankingParameter(
            name="freshness",
            value=f"{p.staleness_days} days",
            explanation="Offerings whose facts were last checked longer ago carry a caveat.",
        ),
    ]
    return RankingPublic(
        summary="Offerings are ranked by how well they fit the need: the capabilities asked "
        "for, the constraints stated, and price fit. The same evidence that produces a "
        "score produces the reasons shown with it.",
        ownership="Who owns an offering — us, a partner, a competitor or nobody — is never an "
        "input to its score or to tie-breaking: swapping the owners of any two offerings "
        "never changes a ranking. Every result discloses the relationship and any fee.",
        parameters=parameters,
        tie_break=[*(tb.value for tb in p.tie_break), "offering id"],
        disclosures=[
            DisclosurePolicyPublic(relationship=key, text=text)
            for key, text in sorted(p.disclosures.items())
        ],
        staleness_days=p.staleness_days,
        rules_version=rules.version,
        catalog_version_id=catalog_version_id,
    )
