"""Browsing the active catalogue's offerings: filters and cursor pages."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from referral_api.domain import Catalog, ConstraintKind, Offering, Relationship, Rules
from referral_api.errors import InputError


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
