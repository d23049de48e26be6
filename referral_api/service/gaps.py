"""Gap reports: the names a report is shown with (capabilities' labels, offerings' names and
relationships), from the active catalogue, so that no page or body shows a raw id."""

from __future__ import annotations

from referral_api.errors import Unavailable
from referral_api.service.engines import EngineHolder


def capability_labels(holder: EngineHolder) -> dict[str, str]:
    """Capability id → label in the active catalogue (none while no catalogue is loaded)."""
    try:
        catalog = holder.current.catalog
    except Unavailable:
        return {}
    return {cap.id: cap.label for cap in catalog.capabilities.values()}


def offering_names(holder: EngineHolder) -> dict[str, str]:
    """Offering id → name in the active catalogue (none while no catalogue is loaded); an
    offering a later catalogue dropped keeps showing its id."""
    try:
        catalog = holder.current.catalog
    except Unavailable:
        return {}
    return {offering.id: offering.name for offering in catalog.offerings}


def rules_stopwords(holder: EngineHolder) -> frozenset[str]:
    """The rules' stopwords (what clusters leave out besides a language's function words)."""
    try:
        return holder.current.rules.stopwords
    except Unavailable:
        return frozenset()
