"""A recommendation record ↔ its row in ``recommendations``.

The row keeps the v1 response exactly as the API answered it (``response``: GET replays it),
beside columns taken from the typed :class:`~referral_api.domain.RecommendationRecord`. A row
read back becomes a record again (:func:`record_from_row`); the parts no column holds (what was
understood, the ranked and rejected offerings) are read from the stored response, so rows
written before the record existed read back the same.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from referral_api.domain import (
    BestOwn,
    Constraints,
    CoverageStatus,
    PriceModel,
    RecommendationRecord,
    RecordedCapability,
    RecordedFit,
    RecordedRejection,
    Relationship,
    Unmet,
)
from referral_api.store import models

#: the constraints' fields that hold several values (tuples in the domain, lists in JSON)
_FIELDS = dataclasses.fields(Constraints)
_MANY = frozenset(field.name for field in _FIELDS if field.default == ())
_PRICE_MODELS = frozenset({"price_models", "excluded_price_models"})


def record_row(
    record: RecommendationRecord, *, request: dict[str, Any], response: dict[str, Any]
) -> dict[str, Any]:
    """The column values of ``record``, stored with the request as asked and the response as
    answered (its ``interpreted``, ``best_own`` and ``unmet`` are kept as shown)."""
    winner = record.winner
    return {
        "id": record.id,
        "created_at": record.created_at,
        "channel": record.channel,
        "api_key_id": record.api_key_id,
        "need_text": record.need_text,
        "request": request,
        "interpretation": response["interpreted"],
        "ranking": [
            {
                "offering_id": fit.offering_id,
                "rank": fit.rank,
                "score": round(fit.score, 4),  # as the response shows it
                "relationship": fit.relationship.value,
            }
            for fit in record.results
        ],
        "best_own": response["best_own"],
        "unmet": response["unmet"],
        "winner_offering_id": winner.offering_id if winner else None,
        "winner_relationship": winner.relationship.value if winner else None,
        "response": response,
        "catalog_version_id": record.catalog_version_id,
        "catalog_version": record.catalog_version,
        "rules_version": record.rules_version,
        "engine_version": record.engine_version,
    }


def record_from_row(row: Mapping[str, Any], *, outcome: str | None = None) -> RecommendationRecord:
    """The record a stored row holds (its column values, with ``response``).

    Needs only ``id``, ``created_at``, ``channel``, ``catalog_version_id`` and ``response``;
    fields older responses lack take the defaults they had when those were written.
    """
    response: Mapping[str, Any] = row["response"]
    interpreted: Mapping[str, Any] = response.get("interpreted") or {}
    best_own: Mapping[str, Any] | None = response.get("best_own")
    return RecommendationRecord(
        id=str(row["id"]),
        created_at=row["created_at"],
        channel=str(row["channel"]),
        catalog_version_id=int(row["catalog_version_id"]),
        need_text=str(row.get("need_text") or ""),
        api_key_id=row.get("api_key_id"),
        language=str(interpreted.get("language", "en")),
        understood=float(interpreted.get("understood", 1.0)),
        ask_understood=interpreted.get("ask_understood", True) is not False,
        capabilities=tuple(
            RecordedCapability(
                id=str(read["id"]),
                label=str(read.get("label", "")),
                matched=str(read.get("matched", "")),
                central=bool(read.get("central", True)),
                confidence=float(read.get("confidence", 1.0)),
            )
            for read in interpreted.get("capabilities") or ()
        ),
        constraints=_constraints(interpreted.get("constraints") or {}),
        not_understood=tuple(str(phrase) for phrase in interpreted.get("not_understood") or ()),
        did_you_mean=tuple(
            str(nearest["id"])
            for nearest in interpreted.get("did_you_mean") or ()
            if isinstance(nearest, Mapping) and "id" in nearest
        ),
        results=tuple(
            _fit(fit, index) for index, fit in enumerate(response.get("results") or (), 1)
        ),
        rejected=tuple(_rejection(fit) for fit in response.get("rejected") or ()),
        best_own=BestOwn(
            offering_id=str(best_own["offering_id"]),
            rank=best_own.get("rank"),
            comparison=str(best_own.get("comparison", "")),
            does_not_meet=tuple(str(name) for name in best_own.get("does_not_meet") or ()),
        )
        if best_own
        else None,
        unmet=tuple(
            Unmet(str(u["capability"]), str(u.get("detail", "")))
            for u in response.get("unmet") or ()
        ),
        catalog_version=str(row.get("catalog_version") or ""),
        rules_version=str(row.get("rules_version") or ""),
        engine_version=str(row.get("engine_version") or ""),
        outcome=outcome,
    )


def record_from_model(row: models.RecommendationRecord) -> RecommendationRecord:
    """The record a loaded row holds, with its outcome (which the query must have loaded)."""
    values = {column: getattr(row, column) for column in _COLUMNS}
    return record_from_row(values, outcome=row.outcome.outcome if row.outcome else None)


_COLUMNS = tuple(models.RecommendationRecord.__table__.columns.keys())


def _constraints(values: Mapping[str, Any]) -> Constraints:
    known: dict[str, Any] = {}
    for name in (field.name for field in _FIELDS):
        value = values.get(name)
        if value is None:
            continue
        if name in _PRICE_MODELS:
            known[name] = tuple(PriceModel(model) for model in value)
        elif name in _MANY:
            known[name] = tuple(value)
        else:
            known[name] = value
    return Constraints(**known)


def _offering(fit: Mapping[str, Any]) -> tuple[str, str, Relationship]:
    offering: Mapping[str, Any] = fit["offering"]
    return (
        str(offering["id"]),
        str(offering.get("name", offering["id"])),
        Relationship(offering["relationship"]),
    )


def _fit(fit: Mapping[str, Any], index: int) -> RecordedFit:
    offering_id, name, relationship = _offering(fit)
    return RecordedFit(
        offering_id=offering_id,
        name=name,
        relationship=relationship,
        rank=int(fit.get("rank", index)),
        score=float(fit.get("score", 0.0)),
        coverage=tuple(
            (str(cover.get("capability")), CoverageStatus(cover.get("status", "missing")))
            for cover in fit.get("coverage", ())
        ),
    )


def _rejection(fit: Mapping[str, Any]) -> RecordedRejection:
    offering_id, name, relationship = _offering(fit)
    return RecordedRejection(
        offering_id=offering_id,
        name=name,
        relationship=relationship,
        does_not_meet=tuple(
            str(verdict["name"])
            for verdict in fit.get("does_not_meet", ())
            if verdict.get("hard", True) and not verdict.get("ok", True)
        ),
    )
