"""Snapshots: a validated catalogue and rules, with the plain data that rebuilds them.

:func:`snapshot_from_dirs` and :func:`snapshot_from_documents` validate (files, or documents
edited through the API); :func:`trusted_snapshot` rebuilds a stored one without validating it
again.

A snapshot's documents were produced by :func:`~referral_api.curation.dump.catalog_documents`
from a catalogue that passed validation when it was loaded, so a worker starting up (or picking
up a new version) can trust their shape and build the domain objects directly: on a
100,000-offering catalogue this takes about a tenth of full validation. Anything else — files,
API edits — goes through :mod:`referral_api.curation.catalog_loader`. A test checks that both
paths give equal catalogues.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from referral_api.curation.catalog_loader import (
    CAPABILITIES_FILE,
    CAPABILITY_FIELDS,
    CATALOG_FIELDS,
    CATALOG_FILE,
    OFFERING_FIELDS,
    OFFERINGS_DIR,
    load_catalog,
    load_catalog_documents,
)
from referral_api.curation.dump import catalog_documents
from referral_api.curation.fields import freeze
from referral_api.curation.problems import ProblemLog
from referral_api.curation.rules_loader import load_rules_texts, read_rules_texts
from referral_api.domain.catalog import (
    EMPTY_EXTRA,
    EMPTY_TRANSLATIONS,
    Capability,
    Catalog,
    CatalogInfo,
    CoverageLevel,
    Offering,
    OfferingStatus,
    Price,
    PriceModel,
    Referral,
    Relationship,
    SourceRef,
)
from referral_api.domain.rules import Rules
from referral_api.errors import CatalogInvalid
from referral_api.memory import bulk_build

_LEVELS = {level.value: level for level in CoverageLevel}
_RELATIONSHIPS = {r.value: r for r in Relationship}
_MODELS = {m.value: m for m in PriceModel}
_STATUSES = {s.value: s for s in OfferingStatus}
_OFFERING_FIELDS = frozenset(OFFERING_FIELDS)


def _extra(data: Mapping[str, Any], known: frozenset[str] | tuple[str, ...]) -> Mapping[str, Any]:
    if known is _OFFERING_FIELDS and data.keys() <= _OFFERING_FIELDS:
        return EMPTY_EXTRA  # the common case, without building a mapping per offering
    return MappingProxyType({k: freeze(v) for k, v in data.items() if k not in known})


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def _tuple(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    return tuple(data.get(key) or ())


def _translations(data: Mapping[str, Any]) -> Mapping[str, tuple[str, ...]]:
    translations = data.get("translations")
    if not translations:
        return EMPTY_TRANSLATIONS
    return MappingProxyType({code: tuple(phrases) for code, phrases in translations.items()})


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _offering(data: Mapping[str, Any], source: SourceRef) -> Offering:
    price = data.get("price")
    referral = data.get("referral")
    return Offering(
        id=data["id"],
        name=data["name"],
        relationship=_RELATIONSHIPS[data["relationship"]],
        capabilities=MappingProxyType({k: _LEVELS[v] for k, v in data["capabilities"].items()}),
        provider=data.get("provider"),
        summary=data.get("summary"),
        price=None
        if price is None
        else Price(
            model=_MODELS[price["model"]],
            monthly_from=_float(price.get("monthly_from")),
            monthly_to=_float(price.get("monthly_to")),
            currency=price.get("currency"),
            free_tier=price.get("free_tier", price["model"] == PriceModel.FREE.value),
            one_time=_float(price.get("one_time")),
        ),
        segments=_tuple(data, "segments"),
        regions=_tuple(data, "regions"),
        platforms=_tuple(data, "platforms"),
        compliance=_tuple(data, "compliance"),
        languages=_tuple(data, "languages"),
        integrations=_tuple(data, "integrations"),
        licenses=_tuple(data, "licenses"),
        url=data.get("url"),
        status=_STATUSES[data.get("status", "active")],
        reviewed=_date(data.get("reviewed")),
        sources=_tuple(data, "sources"),
        referral=None
        if referral is None
        else Referral(fee=referral.get("fee", False), disclosure=referral.get("disclosure")),
        extra=_extra(data, _OFFERING_FIELDS),
        source=source,
    )


def catalog_from_snapshot(documents: Mapping[str, Any]) -> Catalog:
    """The catalogue stored as ``documents`` (see the module docstring for when to use this)."""
    with bulk_build():
        return _catalog(documents)


def _catalog(documents: Mapping[str, Any]) -> Catalog:
    head = documents[CATALOG_FILE]
    info = CatalogInfo(
        company=head["company"],
        currency=head["currency"],
        version=str(head["version"]),
        name=head.get("name"),
        date=_date(head.get("date")),
        extra=_extra(head, CATALOG_FIELDS),
    )
    capabilities = {
        cap["id"]: Capability(
            id=cap["id"],
            label=cap["label"],
            synonyms=_tuple(cap, "synonyms"),
            examples=_tuple(cap, "examples"),
            description=cap.get("description"),
            broader=_tuple(cap, "broader"),
            related=_tuple(cap, "related"),
            requires=_tuple(cap, "requires"),
            translations=_translations(cap),
            extra=_extra(cap, CAPABILITY_FIELDS),
            source=SourceRef(CAPABILITIES_FILE, 0),
        )
        for cap in documents[CAPABILITIES_FILE]
    }
    names = sorted(n for n in documents if n.startswith(f"{OFFERINGS_DIR}/"))
    offerings = tuple(
        _offering(item, source)
        for name, source in ((n, SourceRef(n, 0)) for n in names)
        for item in documents[name] or ()
    )
    return Catalog.build(info, capabilities, offerings)


@dataclass(frozen=True)
class Snapshot:
    """A validated catalogue and rules, with the plain data that rebuilds them."""

    catalog: Catalog
    rules: Rules
    documents: dict[str, Any]
    rules_texts: dict[str, str]

    @property
    def content_hash(self) -> str:
        return content_hash(self.documents, self.rules_texts)


def _plain(value: Any) -> Any:
    """JSON-safe data (dates as ISO text), as stored."""

    def default(item: Any) -> Any:
        if isinstance(item, dt.date | dt.datetime):
            return item.isoformat()
        raise TypeError(f"not JSON-serialisable: {type(item).__name__}")

    return json.loads(json.dumps(value, default=default))


def content_hash(documents: Mapping[str, Any], rules_texts: Mapping[str, str]) -> str:
    text = json.dumps({"catalog": documents, "rules": rules_texts}, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def snapshot_from_dirs(catalog_dir: Path, rules_dir: Path) -> Snapshot:
    """Validate ``catalog_dir`` and ``rules_dir``; :class:`CatalogInvalid` lists every error."""
    log = ProblemLog()
    texts = read_rules_texts(rules_dir, log) if rules_dir.is_dir() else {}
    if not rules_dir.is_dir():
        log.error(str(rules_dir), None, "(dir)", "rules directory does not exist")
    if log.has_errors:
        raise CatalogInvalid(log.sorted())
    rules = load_rules_texts(texts, str(rules_dir)).require()
    catalog = load_catalog(catalog_dir, rules).require()
    return Snapshot(catalog, rules, _plain(catalog_documents(catalog)), texts)


def snapshot_from_documents(
    documents: Mapping[str, Any], rules_texts: Mapping[str, str]
) -> Snapshot:
    """Validate documents exactly like files (e.g. a stored version, or one edited by the API)."""
    rules = load_rules_texts(rules_texts).require()
    plain = _plain(dict(documents))
    catalog = load_catalog_documents(plain, rules).require()
    return Snapshot(catalog, rules, plain, dict(rules_texts))


def trusted_snapshot(documents: Mapping[str, Any], rules_texts: Mapping[str, str]) -> Snapshot:
    """The catalogue and rules of a stored version.

    Stored documents were validated before they were stored (every way in goes through
    :func:`snapshot_from_dirs` or :func:`snapshot_from_documents`), so they are rebuilt on the
    trusted path, without validating them again.
    """
    rules = load_rules_texts(rules_texts).require()
    catalog = catalog_from_snapshot(documents)
    return Snapshot(catalog, rules, dict(documents), dict(rules_texts))
