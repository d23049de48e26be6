"""Browsing the active catalogue's offerings: filters and cursor pages."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from referral_api.curation.catalog_loader import valid_region
from referral_api.curation.fields import did_you_mean
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

    def checked(self, catalog: Catalog, rules: Rules) -> OfferingFilter:
        """This filter with its values in canonical form, or :class:`InputError` naming every
        filter whose value cannot match anything ("invoicng" is an error, not zero results).

        A known value that no offering has (a platform of the vocabulary, a country) is fine:
        zero results is then the true answer.
        """
        problems: list[dict[str, str]] = []
        capability, region, platform = self.capability, self.region, self.platform
        if capability is not None and capability not in catalog.capabilities:
            hint = did_you_mean(capability, catalog.capabilities)
            problems.append(
                {"field": "capability", "message": f"unknown capability {capability!r}{hint}"}
            )
        if platform is not None:
            known = _platforms(catalog, rules)
            platform = rules.canonical(ConstraintKind.PLATFORM, platform)
            if platform not in known:
                hint = did_you_mean(platform, known)
                problems.append(
                    {"field": "platform", "message": f"unknown platform {self.platform!r}{hint}"}
                )
        if region is not None:
            region = rules.canonical(ConstraintKind.REGION, region)
            region = "global" if region.lower() == "global" else region.upper()
            if not valid_region(region, rules):
                choices = [*rules.region_groups, "global"]
                hint = did_you_mean(self.region or "", choices)
                problems.append({
                    "field": "region",
                    "message": f"{self.region!r} is not a region: an ISO 3166 alpha-2 code "
                    f"(DE), a region group of the rules (EU) or global{hint}",
                })  # fmt: skip
        if problems:
            raise InputError("; ".join(p["message"] for p in problems), fields=problems)
        return OfferingFilter(self.relationship, capability, region, platform, self.q)

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


def _platforms(catalog: Catalog, rules: Rules) -> set[str]:
    """Every platform a filter can name: the rules' vocabulary and what offerings list."""
    known = set(rules.aliases(ConstraintKind.PLATFORM).values())
    known.update(p for offering in catalog.offerings for p in offering.platforms)
    return known


def _serves_region(offering: Offering, region: str, rules: Rules) -> bool:
    for code in offering.regions:
        if code in ("global", region) or region in rules.region_groups.get(code, ()):
            return True
    return False


def page_offerings(
    catalog: Catalog, rules: Rules, where: OfferingFilter, *, cursor: str | None, limit: int
) -> tuple[list[Offering], int, str | None]:
    """One page of matching offerings by id, the total count, and the next page's cursor.

    A filter value that cannot match anything is an :class:`InputError` naming the filter.
    """
    where = where.checked(catalog, rules)
    matching = sorted((o for o in catalog.offerings if where.matches(o, rules)), key=lambda o: o.id)
    after = _decode_cursor(cursor) if cursor else None
    start = 0 if after is None else next(
        (i for i, o in enumerate(matching) if o.id > after), len(matching)
    )  # fmt: skip
    page = matching[start : start + limit]
    more = start + limit < len(matching)
    return page, len(matching), _encode_cursor(page[-1].id) if more and page else None
