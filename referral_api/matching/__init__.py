"""The matching engine: a pure library over domain objects (no web framework, no SQL).

``recommend(need, catalog, rules, limit=5)`` answers one need; :class:`Engine` holds the
in-memory index of one catalogue for repeated calls.
"""

from referral_api.matching.engine import Engine, recommend

__all__ = ["Engine", "recommend"]
