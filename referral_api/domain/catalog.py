"""The catalogue: capabilities, offerings and the capability graph, as immutable values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeAlias

import networkx as nx


class Relationship(StrEnum):
    """Who owns an offering relative to the company. Never an input to a score."""

    OWN = "own"
    PARTNER = "partner"
    COMPETITOR = "competitor"
    OTHER = "other"


class CoverageLevel(StrEnum):
    """How completely an offering provides a capability."""

    FULL = "full"
    PARTIAL = "partial"


class PriceModel(StrEnum):
    FREE = "free"
    ONE_TIME = "one_time"
    SUBSCRIPTION = "subscription"
    USAGE = "usage"
    QUOTE = "quote"


class OfferingStatus(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


class EdgeKind(StrEnum):
    """Kinds of edge in the capability graph; an edge u → v reads "u <kind> v"."""

    BROADER = "broader"
    RELATED = "related"
    REQUIRES = "requires"


EMPTY_EXTRA: Mapping[str, Any] = MappingProxyType({})
#: No translations: the default of :attr:`Capability.translations`.
EMPTY_TRANSLATIONS: Mapping[str, tuple[str, ...]] = MappingProxyType({})

#: The capability graph; node = capability id, edge attribute ``kind`` = :class:`EdgeKind`.
CapabilityGraph: TypeAlias = "nx.DiGraph[str]"


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where a value was read from, for messages a curator can act on."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class Capability:
    """Something a customer can need, e.g. "invoicing".

    ``translations`` maps an ISO 639-1 language code to the phrases customers write in that
    language ("es" → ("facturación", "hacer facturas")), read-only.
    """

    id: str
    label: str
    synonyms: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    description: str | None = None
    broader: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    translations: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: EMPTY_TRANSLATIONS)
    extra: Mapping[str, Any] = field(default_factory=lambda: EMPTY_EXTRA)
    source: SourceRef | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Price:
    """What an offering costs. Monthly amounts are in ``currency``; ``None`` means not published."""

    model: PriceModel
    monthly_from: float | None = None
    monthly_to: float | None = None
    currency: str | None = None
    free_tier: bool = False
    one_time: float | None = None


@dataclass(frozen=True, slots=True)
class Referral:
    """The commercial side of recommending an offering, disclosed with every result."""

    fee: bool = False
    disclosure: str | None = None


@dataclass(frozen=True, slots=True)
class Offering:
    """A product or service from any provider, ours or not."""

    id: str
    name: str
    relationship: Relationship
    capabilities: Mapping[str, CoverageLevel]
    provider: str | None = None
    summary: str | None = None
    price: Price | None = None
    segments: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    compliance: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    integrations: tuple[str, ...] = ()
    licenses: tuple[str, ...] = ()
    url: str | None = None
    status: OfferingStatus = OfferingStatus.ACTIVE
    reviewed: dt.date | None = None
    sources: tuple[str, ...] = ()
    referral: Referral | None = None
    extra: Mapping[str, Any] = field(default_factory=lambda: EMPTY_EXTRA)
    source: SourceRef | None = field(default=None, compare=False, repr=False)

    @property
    def active(self) -> bool:
        return self.status is OfferingStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class CatalogInfo:
    """The header of a catalogue (``catalog.yaml``)."""

    company: str
    currency: str
    version: str
    name: str | None = None
    date: dt.date | None = None
    extra: Mapping[str, Any] = field(default_factory=lambda: EMPTY_EXTRA)


def build_capability_graph(capabilities: Mapping[str, Capability]) -> CapabilityGraph:
    """The capability graph: one node per capability, an edge ``u → v`` with ``kind`` per relation.

    Edges point the way the catalogue states them: ``invoicing --broader--> accounting``. Only edges
    between known capabilities are kept; validation reports the others. The graph is frozen.
    """
    graph: CapabilityGraph = nx.DiGraph()
    for cap in capabilities.values():
        graph.add_node(cap.id, label=cap.label)
    for cap in capabilities.values():
        for kind, targets in (
            (EdgeKind.BROADER, cap.broader),
            (EdgeKind.RELATED, cap.related),
            (EdgeKind.REQUIRES, cap.requires),
        ):
            for target in targets:
                if (
                    target in capabilities
                    and target != cap.id
                    and not graph.has_edge(cap.id, target)
                ):
                    graph.add_edge(cap.id, target, kind=kind)
    nx.freeze(graph)
    return graph


@dataclass(frozen=True)
class Catalog:
    """A whole catalogue: header, capabilities by id, offerings in file order, and the graph."""

    info: CatalogInfo
    capabilities: Mapping[str, Capability]
    offerings: tuple[Offering, ...]
    graph: CapabilityGraph = field(compare=False, repr=False)

    @classmethod
    def build(
        cls,
        info: CatalogInfo,
        capabilities: Mapping[str, Capability],
        offerings: tuple[Offering, ...],
    ) -> Catalog:
        caps = MappingProxyType(dict(capabilities))
        return cls(info, caps, offerings, build_capability_graph(caps))

    def offering(self, offering_id: str) -> Offering | None:
        for offering in self.offerings:
            if offering.id == offering_id:
                return offering
        return None
