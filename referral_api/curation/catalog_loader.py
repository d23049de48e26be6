"""Load and validate a catalogue directory into a :class:`~referral_api.domain.catalog.Catalog`.

A catalogue is a set of *documents*: ``catalog.yaml``, ``capabilities.yaml`` and
``offerings/*.yaml``. Files on disk and a stored snapshot (the same documents as JSON) go through
the same validation, so a catalogue edited through the API is checked exactly like one in git.
Validation reports every problem it finds, each as ``file:line: field: message``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import networkx as nx
import pycountry

from referral_api.curation.fields import FieldReader, did_you_mean
from referral_api.curation.located import line_of, load_yaml
from referral_api.curation.problems import Problem, ProblemLog
from referral_api.domain.catalog import (
    Capability,
    Catalog,
    CatalogInfo,
    CoverageLevel,
    EdgeKind,
    Offering,
    OfferingStatus,
    Price,
    PriceModel,
    Referral,
    Relationship,
    SourceRef,
)
from referral_api.domain.rules import ConstraintKind, Rules
from referral_api.errors import CatalogInvalid

CATALOG_FILE = "catalog.yaml"
CAPABILITIES_FILE = "capabilities.yaml"
OFFERINGS_DIR = "offerings"

#: Fields each kind of entry understands; any other field is kept as ``extra``.
CATALOG_FIELDS = ("company", "currency", "version", "name", "date")
CAPABILITY_FIELDS = (
    "id", "label", "synonyms", "examples", "description", "broader", "related", "requires",
    "translations",
)  # fmt: skip
OFFERING_FIELDS = (
    "id", "name", "provider", "relationship", "summary", "capabilities", "price", "segments",
    "regions", "platforms", "compliance", "languages", "integrations", "licenses", "url",
    "status", "reviewed", "sources", "referral",
)  # fmt: skip
PRICE_FIELDS = ("model", "monthly_from", "monthly_to", "currency", "free_tier", "one_time")
REFERRAL_FIELDS = ("fee", "disclosure")

#: Documents: display name → parsed data (located when read from YAML, plain from JSON).
Documents = Mapping[str, Any]


@dataclass(frozen=True)
class CatalogLoad:
    """The outcome of loading: the catalogue (``None`` if any error) and every problem found."""

    catalog: Catalog | None
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.is_error)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if not p.is_error)

    def require(self) -> Catalog:
        """The catalogue, or :class:`CatalogInvalid` listing every error."""
        if self.catalog is None:
            raise CatalogInvalid(self.problems)
        return self.catalog


def read_documents(catalog_dir: Path, log: ProblemLog) -> dict[str, Any]:
    """Parse the catalogue's YAML files; names are relative to ``catalog_dir``."""
    documents: dict[str, Any] = {}
    if not catalog_dir.is_dir():
        log.error(str(catalog_dir), None, "(dir)", "catalogue directory does not exist")
        return documents
    for name in (CATALOG_FILE, CAPABILITIES_FILE):
        path = catalog_dir / name
        if path.is_file():
            documents[name] = load_yaml(path, name, log)
        else:
            log.error(name, None, "(file)", f"missing: a catalogue needs {name}")
    offering_files = sorted((catalog_dir / OFFERINGS_DIR).glob("*.y*ml"))
    for path in offering_files:
        name = f"{OFFERINGS_DIR}/{path.name}"
        documents[name] = load_yaml(path, name, log)
    return documents


def load_catalog(
    catalog_dir: Path, rules: Rules | None = None, *, today: dt.date | None = None
) -> CatalogLoad:
    """Load and validate the catalogue in ``catalog_dir``.

    Parameters
    ----------
    catalog_dir
        A directory holding ``catalog.yaml``, ``capabilities.yaml`` and ``offerings/*.yaml``.
    rules
        Rules for vocabulary aliases, region groups, staleness and disclosure policy.
    today
        The date staleness is measured against (defaults to today).
    """
    log = ProblemLog()
    documents = read_documents(catalog_dir, log)
    return _Validator(documents, rules or Rules(version="defaults"), today, log).run()


def load_catalog_documents(
    documents: Documents, rules: Rules | None = None, *, today: dt.date | None = None
) -> CatalogLoad:
    """Validate a catalogue given as documents (e.g. a stored snapshot), exactly like files."""
    return _Validator(documents, rules or Rules(version="defaults"), today, ProblemLog()).run()


def valid_region(code: str, rules: Rules) -> bool:
    """``global``, an ISO 3166 alpha-2 code, or a region group the rules define."""
    return (
        code == "global"
        or code in rules.region_groups
        or (len(code) == 2 and pycountry.countries.get(alpha_2=code) is not None)
    )


class _Validator:
    def __init__(
        self, documents: Documents, rules: Rules, today: dt.date | None, log: ProblemLog
    ) -> None:
        self.documents = documents
        self.rules = rules
        self.today = today or dt.date.today()
        self.log = log

    def run(self) -> CatalogLoad:
        info = self._info()
        capabilities = self._capabilities()
        offerings = self._offerings()
        self._check_graph(capabilities)
        self._check_references(capabilities)
        self._warn(offerings)
        if self.log.has_errors or info is None:
            return CatalogLoad(None, tuple(self.log.sorted()))
        catalog = Catalog.build(
            info, capabilities, tuple(offering for offering, _ in offerings.values())
        )
        return CatalogLoad(catalog, tuple(self.log.sorted()))

    # catalog.yaml ---------------------------------------------------------------------------
    def _info(self) -> CatalogInfo | None:
        data = self.documents.get(CATALOG_FILE)
        if data is None:
            if CATALOG_FILE in self.documents:
                self.log.error(
                    CATALOG_FILE, None, "(file)", "empty: needs company, currency, version"
                )
            return None
        if not isinstance(data, Mapping):
            self.log.error(CATALOG_FILE, line_of(data), "(file)", "must be a mapping")
            return None
        reader = FieldReader(data, CATALOG_FILE, "", self.log)
        company = reader.string("company", required=True)
        currency = self._currency(reader, "currency", required=True)
        version = reader.string("version", required=True)
        if company is None or currency is None or version is None:
            return None
        return CatalogInfo(
            company=company,
            currency=currency,
            version=version,
            name=reader.string("name"),
            date=reader.date("date"),
            extra=reader.extra(CATALOG_FIELDS),
        )

    def _currency(self, reader: FieldReader, key: str, *, required: bool = False) -> str | None:
        code = reader.string(key, required=required)
        if code is None:
            return None
        if pycountry.currencies.get(alpha_3=code.upper()) is None:
            reader.error(key, f"{code!r} is not an ISO 4217 currency code")
            return None
        return code.upper()

    # capabilities.yaml ------------------------------------------------------------------------
    def _capabilities(self) -> dict[str, Capability]:
        data = self.documents.get(CAPABILITIES_FILE)
        capabilities: dict[str, Capability] = {}
        self.capability_readers: dict[str, FieldReader] = {}
        if data is None:
            if CAPABILITIES_FILE in self.documents:
                self.log.error(CAPABILITIES_FILE, None, "(file)", "no capabilities defined")
            return capabilities
        if not isinstance(data, list):
            self.log.error(CAPABILITIES_FILE, line_of(data), "(file)", "must be a list")
            return capabilities
        for index, item in enumerate(data):
            line = line_of(data, index)
            if not isinstance(item, Mapping):
                self.log.error(CAPABILITIES_FILE, line, f"[{index}]", "must be a mapping")
                continue
            reader = FieldReader(item, CAPABILITIES_FILE, "", self.log)
            cap_id = reader.string("id", required=True)
            if cap_id is None:
                continue
            reader.prefix = cap_id
            if cap_id in capabilities:
                first = capabilities[cap_id].source
                self.log.error(
                    CAPABILITIES_FILE, reader.line("id"), f"{cap_id}.id",
                    f"duplicate capability id (first defined at {first})",
                )  # fmt: skip
                continue
            label = reader.string("label", required=True) or cap_id
            capabilities[cap_id] = Capability(
                id=cap_id,
                label=label,
                synonyms=reader.strings("synonyms"),
                examples=reader.strings("examples"),
                description=reader.string("description"),
                broader=reader.strings("broader"),
                related=reader.strings("related"),
                requires=reader.strings("requires"),
                translations=reader.translations("translations"),
                extra=reader.extra(CAPABILITY_FIELDS),
                source=SourceRef(CAPABILITIES_FILE, reader.line() or 0),
            )
            self.capability_readers[cap_id] = reader
        return capabilities

    # offerings/*.yaml -------------------------------------------------------------------------
    def _offerings(self) -> dict[str, tuple[Offering, FieldReader]]:
        offerings: dict[str, tuple[Offering, FieldReader]] = {}
        #: every entry read, valid or not, for the checks of its references
        self.offering_entries: list[_OfferingEntry] = []
        first_seen: dict[str, SourceRef] = {}
        names = sorted(name for name in self.documents if name.startswith(f"{OFFERINGS_DIR}/"))
        for name in names:
            data = self.documents[name]
            if data is None:
                continue
            if not isinstance(data, list):
                self.log.error(name, line_of(data), "(file)", "must be a list of offerings")
                continue
            for index, item in enumerate(data):
                if not isinstance(item, Mapping):
                    self.log.error(name, line_of(data, index), f"[{index}]", "must be a mapping")
                    continue
                reader = FieldReader(item, name, f"[{index}]", self.log)
                entry = self._offering(reader)
                self.offering_entries.append(entry)
                if entry.id is None:
                    continue
                if entry.id in first_seen:
                    # the duplicate is reported once; its own fields were read (and reported)
                    # above, and its references are checked like any other entry's
                    self.log.error(
                        name, reader.line("id"), f"{entry.id}.id",
                        f"duplicate offering id (first defined at {first_seen[entry.id]})",
                    )  # fmt: skip
                    continue
                first_seen[entry.id] = SourceRef(reader.file, reader.line() or 0)
                if entry.offering is not None:
                    offerings[entry.id] = (entry.offering, reader)
        #: every id an entry declares, valid or not: a reference to an entry with problems of
        #: its own is not a problem of the referring entry (those are reported once, there)
        self.declared_offerings = set(first_seen)
        if not offerings and not self.log.has_errors:
            where = f"{OFFERINGS_DIR}/*.yaml"
            self.log.error(where, None, "(catalogue)", "empty catalogue: no offerings defined")
        return offerings

    def _offering(self, reader: FieldReader) -> _OfferingEntry:
        """Read every field of one entry (each bad value reported), and the offering when it
        has all it needs; one bad field never hides the others."""
        offering_id = reader.string("id", required=True)
        if offering_id is not None:
            reader.prefix = offering_id
        name = reader.string("name", required=True)
        relationship = reader.choice("relationship", Relationship, required=True)
        capabilities = self._coverage(reader)
        price = self._price(reader)
        referral = self._referral(reader)
        regions = self._regions(reader)
        status = reader.choice("status", OfferingStatus) or OfferingStatus.ACTIVE
        url = reader.url("url")
        reviewed = reader.date("reviewed")
        provider = reader.string("provider")
        summary = reader.string("summary")
        segments = self._vocabulary(reader, "segments", ConstraintKind.SEGMENT)
        platforms = self._vocabulary(reader, "platforms", ConstraintKind.PLATFORM)
        compliance = self._vocabulary(reader, "compliance", ConstraintKind.COMPLIANCE)
        languages = self._vocabulary(reader, "languages", ConstraintKind.LANGUAGE)
        integrations = reader.strings("integrations")
        licenses = reader.strings("licenses")
        sources = reader.urls("sources")
        extra = reader.extra(OFFERING_FIELDS)
        named = reader.data.get("capabilities")
        cap_ids = tuple(str(key) for key in named) if isinstance(named, Mapping) else ()
        entry = _OfferingEntry(offering_id, reader, cap_ids, integrations)
        if offering_id is None or name is None or relationship is None or capabilities is None:
            return entry
        entry.offering = Offering(
            id=offering_id,
            name=name,
            relationship=relationship,
            capabilities=capabilities,
            provider=provider,
            summary=summary,
            price=price,
            segments=segments,
            regions=regions,
            platforms=platforms,
            compliance=compliance,
            languages=languages,
            integrations=integrations,
            licenses=licenses,
            url=url,
            status=status,
            reviewed=reviewed,
            sources=sources,
            referral=referral,
            extra=extra,
            source=SourceRef(reader.file, reader.line() or 0),
        )
        return entry

    def _coverage(self, reader: FieldReader) -> Mapping[str, CoverageLevel] | None:
        data = reader.mapping("capabilities", required=True)
        if data is None:
            return None
        nested = reader.nested("capabilities", data)
        coverage: dict[str, CoverageLevel] = {}
        for cap_id in data:
            level = nested.choice(cap_id, CoverageLevel, required=True)
            if level is not None:
                coverage[cap_id] = level
        return MappingProxyType(coverage)

    def _price(self, reader: FieldReader) -> Price | None:
        data = reader.mapping("price")
        if data is None:
            return None
        nested = reader.nested("price", data)
        nested.warn_unknown(PRICE_FIELDS)
        model = nested.choice("model", PriceModel, required=True)
        low = nested.number("monthly_from", minimum=0.0)
        high = nested.number("monthly_to", minimum=0.0)
        if low is not None and high is not None and low > high:
            nested.error(
                "monthly_to", f"inverted range: monthly_to {high:g} < monthly_from {low:g}"
            )
        currency = self._currency(nested, "currency")
        if currency is None and (low or high) and not nested.has("currency"):
            nested.warn("currency", "no currency given; the catalogue's default is assumed")
        one_time = nested.number("one_time", minimum=0.0)
        if model is None:
            return None
        return Price(
            model=model,
            monthly_from=low,
            monthly_to=high,
            currency=currency,
            free_tier=nested.boolean("free_tier", model is PriceModel.FREE),
            one_time=one_time,
        )

    def _referral(self, reader: FieldReader) -> Referral | None:
        data = reader.mapping("referral")
        if data is None:
            return None
        nested = reader.nested("referral", data)
        nested.warn_unknown(REFERRAL_FIELDS)
        return Referral(fee=nested.boolean("fee", False), disclosure=nested.string("disclosure"))

    def _regions(self, reader: FieldReader) -> tuple[str, ...]:
        regions: list[str] = []
        for raw in reader.strings("regions"):
            code = self.rules.canonical(ConstraintKind.REGION, raw)
            code = "global" if code.lower() == "global" else code.upper()
            if valid_region(code, self.rules):
                regions.append(code)
            else:
                hint = " (use 'global' or an ISO 3166 alpha-2 code such as 'DE')"
                reader.error("regions", f"{raw!r} is not a valid region code{hint}")
        return tuple(regions)

    def _vocabulary(self, reader: FieldReader, key: str, kind: ConstraintKind) -> tuple[str, ...]:
        values = (self.rules.canonical(kind, value) for value in reader.strings(key))
        return tuple(dict.fromkeys(values))

    # cross-references -------------------------------------------------------------------------
    def _check_graph(self, capabilities: Mapping[str, Capability]) -> None:
        broader: nx.DiGraph[str] = nx.DiGraph()
        for cap in capabilities.values():
            for kind, targets in (
                (EdgeKind.BROADER, cap.broader),
                (EdgeKind.RELATED, cap.related),
                (EdgeKind.REQUIRES, cap.requires),
            ):
                reader = self.capability_readers[cap.id]
                for target in targets:
                    if target not in capabilities:
                        hint = did_you_mean(target, capabilities)
                        reader.error(kind, f"unknown capability {target!r}{hint}")
                    elif target == cap.id:
                        reader.warn(kind, "refers to itself; ignored")
                    elif kind is EdgeKind.BROADER:
                        broader.add_edge(cap.id, target)
        for cycle in _broader_cycles(broader):
            path = " → ".join([*cycle, cycle[0]])
            self.capability_readers[cycle[0]].error("broader", f"cycle: {path}")

    def _check_references(self, capabilities: Mapping[str, Capability]) -> None:
        """Capabilities and integrations every entry names, valid or not (a duplicate's or an
        incomplete entry's references are its own problems, reported like any other)."""
        for entry in self.offering_entries:
            reader = entry.reader
            nested = reader.nested("capabilities", reader.data.get("capabilities") or {})
            for cap_id in entry.capabilities:
                if cap_id not in capabilities:
                    hint = did_you_mean(cap_id, capabilities)
                    nested.error(cap_id, f"unknown capability {cap_id!r}{hint}")
            for target in entry.integrations:
                if target not in self.declared_offerings:
                    hint = did_you_mean(target, self.declared_offerings)
                    reader.error("integrations", f"unknown offering {target!r}{hint}")
                elif target == entry.id:
                    reader.error("integrations", "an offering cannot integrate with itself")

    def _warn(self, offerings: Mapping[str, tuple[Offering, FieldReader]]) -> None:
        policy = self.rules.policy
        stale_before = self.today - dt.timedelta(days=policy.staleness_days)
        for offering, reader in offerings.values():
            if not offering.active:
                continue
            if offering.reviewed is not None and offering.reviewed < stale_before:
                reader.warn(
                    "reviewed",
                    f"last reviewed {offering.reviewed.isoformat()}, older than the "
                    f"{policy.staleness_days}-day staleness limit",
                )
            if not offering.capabilities:
                reader.warn("capabilities", "no capabilities: no need can reach this offering")
            has_text = offering.referral is not None and offering.referral.disclosure
            if offering.relationship is Relationship.PARTNER and not has_text:
                default = policy.disclosure_for(offering.relationship, _fee(offering))
                fallback = f"; the rules' default is used: {default!r}" if default else ""
                reader.warn("referral", f"partner offering without a disclosure text{fallback}")
            if offering.relationship in policy.require_sources and not offering.sources:
                reader.warn(
                    "sources",
                    f"{offering.relationship} facts should name a source (a URL they come from)",
                )


@dataclass
class _OfferingEntry:
    """One entry of an offerings file as read: its id and references even when it is invalid,
    and the offering when it is complete."""

    id: str | None
    reader: FieldReader
    #: every capability id it names, whatever the level given
    capabilities: tuple[str, ...]
    integrations: tuple[str, ...]
    offering: Offering | None = None


def _fee(offering: Offering) -> bool:
    return offering.referral is not None and offering.referral.fee


def _broader_cycles(graph: nx.DiGraph[str]) -> list[list[str]]:
    """One cycle per strongly connected component of the ``broader`` relation, deterministically."""
    cycles = []
    for component in sorted(nx.strongly_connected_components(graph), key=min):
        if len(component) < 2:
            continue
        start = min(component)
        edges = nx.find_cycle(graph.subgraph(component), source=start)
        cycles.append([u for u, _ in edges])
    return cycles
