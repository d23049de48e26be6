"""Gap reports: the capability labels a report is shown with."""

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
