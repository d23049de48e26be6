"""Turn a catalogue back into documents (plain data) and write them as YAML.

``load_catalog_documents(catalog_documents(c))`` equals ``c``: the stored snapshot of a catalogue
version and the API's edits both rely on this round trip.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from referral_api.curation.catalog_loader import (
    CAPABILITIES_FILE,
    CATALOG_FILE,
    OFFERINGS_DIR,
)
from referral_api.curation.fields import thaw
from referral_api.domain.catalog import Capability, Catalog, CatalogInfo, Offering


def _compact(data: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value not in (None, [], {})}


def info_document(info: CatalogInfo) -> dict[str, Any]:
    return _compact(
        {
            "company": info.company,
            "currency": info.currency,
            "version": info.version,
            "name": info.name,
            "date": info.date.isoformat() if info.date else None,
            **thaw(info.extra),
        }
    )


def capability_document(cap: Capability) -> dict[str, Any]:
    return _compact(
        {
            "id": cap.id,
            "label": cap.label,
            "synonyms": list(cap.synonyms),
            "examples": list(cap.examples),
            "description": cap.description,
            "broader": list(cap.broader),
            "related": list(cap.related),
            "requires": list(cap.requires),
            "translations": {code: list(phrases) for code, phrases in cap.translations.items()},
            **thaw(cap.extra),
        }
    )


def offering_document(offering: Offering) -> dict[str, Any]:
    """One offering as plain data, in the catalogue file format."""
    price = offering.price
    referral = offering.referral
    return _compact(
        {
            "id": offering.id,
            "name": offering.name,
            "provider": offering.provider,
            "relationship": offering.relationship.value,
            "summary": offering.summary,
            "capabilities": {cap: level.value for cap, level in offering.capabilities.items()},
            "price": None
            if price is None
            else _compact(
                {
                    "model": price.model.value,
                    "monthly_from": price.monthly_from,
                    "monthly_to": price.monthly_to,
                    "currency": price.currency,
                    "free_tier": price.free_tier,
                    "one_time": price.one_time,
                }
            ),
            "segments": list(offering.segments),
            "regions": list(offering.regions),
            "platforms": list(offering.platforms),
            "compliance": list(offering.compliance),
            "languages": list(offering.languages),
            "integrations": list(offering.integrations),
            "licenses": list(offering.licenses),
            "url": offering.url,
            "status": offering.status.value,
            "reviewed": offering.reviewed.isoformat() if offering.reviewed else None,
            "sources": list(offering.sources),
            "referral": None
            if referral is None
            else _compact({"fee": referral.fee, "disclosure": referral.disclosure}),
            **thaw(offering.extra),
        }
    )


def catalog_documents(catalog: Catalog) -> dict[str, Any]:
    """The whole catalogue as documents; offerings keep their original file when known."""
    files: dict[str, list[dict[str, Any]]] = {}
    for offering in catalog.offerings:
        name = offering.source.file if offering.source else f"{OFFERINGS_DIR}/catalog.yaml"
        files.setdefault(name, []).append(offering_document(offering))
    return {
        CATALOG_FILE: info_document(catalog.info),
        CAPABILITIES_FILE: [capability_document(c) for c in catalog.capabilities.values()],
        **files,
    }


def write_documents(documents: Mapping[str, Any], catalog_dir: Path) -> None:
    """Write documents as YAML files under ``catalog_dir``."""
    for name, data in documents.items():
        path = catalog_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
        path.write_text(text, encoding="utf-8")
