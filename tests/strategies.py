"""Hypothesis strategies for valid catalogues, as documents (the catalogue file format)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

CAPABILITY_IDS = [
    "accounting", "invoicing", "payments", "card-payments", "payroll", "expenses", "tax",
    "point-of-sale", "inventory", "banking",
]  # fmt: skip
RELATIONSHIPS = ["own", "partner", "competitor", "other"]
REGIONS = ["global", "US", "GB", "DE", "NO", "FR", "JP", "EU"]
PLATFORMS = ["web", "ios", "android", "windows", "macos", "linux", "self_hosted", "api", "haiku"]
SEGMENTS = ["individual", "small", "mid", "enterprise"]
COMPLIANCE = ["gdpr", "hipaa", "soc2", "pci_dss"]
CURRENCIES = ["USD", "EUR", "GBP"]
LANGUAGES = ["es", "fr", "de", "pt", "it", "nl", "no"]  # "no": Norwegian, not a boolean

text = (
    st.text(
        alphabet=st.characters(
            whitelist_categories=("L", "N", "P", "Zs", "S"), blacklist_characters="\x85\u2028\u2029"
        ),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(bool)
)
money = st.floats(min_value=0, max_value=10_000, allow_nan=False).map(lambda x: round(x, 2))
dates = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2026, 12, 31)).map(
    dt.date.isoformat
)


def _unique(items: st.SearchStrategy[list[str]]) -> st.SearchStrategy[list[str]]:
    return items.map(lambda xs: list(dict.fromkeys(xs)))


@st.composite
def prices(draw: st.DrawFn) -> dict[str, Any]:
    model = draw(st.sampled_from(["free", "one_time", "subscription", "usage", "quote"]))
    price: dict[str, Any] = {"model": model}
    if model in ("subscription", "usage"):
        low, high = sorted([draw(money), draw(money)])
        price.update(monthly_from=low, monthly_to=high, currency=draw(st.sampled_from(CURRENCIES)))
    if model == "one_time":
        price.update(one_time=draw(money), currency=draw(st.sampled_from(CURRENCIES)))
    price["free_tier"] = draw(st.booleans())
    return price


@st.composite
def catalog_documents(draw: st.DrawFn, *, max_offerings: int = 6) -> dict[str, Any]:
    """A valid catalogue: acyclic ``broader`` edges, known references, valid codes and ranges."""
    cap_ids = draw(st.lists(st.sampled_from(CAPABILITY_IDS), min_size=1, max_size=6, unique=True))
    capabilities = []
    for index, cap_id in enumerate(cap_ids):
        earlier = cap_ids[:index]
        cap: dict[str, Any] = {"id": cap_id, "label": draw(text)}
        if earlier:
            cap["broader"] = draw(_unique(st.lists(st.sampled_from(earlier), max_size=2)))
            cap["related"] = draw(_unique(st.lists(st.sampled_from(earlier), max_size=2)))
        cap["synonyms"] = draw(st.lists(text, max_size=3))
        cap["translations"] = draw(
            st.dictionaries(st.sampled_from(LANGUAGES), st.lists(text, min_size=1, max_size=3),
                            max_size=3)
        )  # fmt: skip
        capabilities.append({k: v for k, v in cap.items() if v})
    offering_ids = draw(
        st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,11}", fullmatch=True), min_size=1,
                 max_size=max_offerings, unique=True)
    )  # fmt: skip
    offerings = []
    for offering_id in offering_ids:
        offering: dict[str, Any] = {
            "id": offering_id,
            "name": draw(text),
            "relationship": draw(st.sampled_from(RELATIONSHIPS)),
            "capabilities": draw(
                st.dictionaries(
                    st.sampled_from(cap_ids), st.sampled_from(["full", "partial"]), min_size=1
                )
            ),
            "summary": draw(st.none() | text),
            "price": draw(st.none() | prices()),
            "regions": draw(_unique(st.lists(st.sampled_from(REGIONS), max_size=3))),
            "platforms": draw(_unique(st.lists(st.sampled_from(PLATFORMS), max_size=3))),
            "segments": draw(_unique(st.lists(st.sampled_from(SEGMENTS), max_size=2))),
            "compliance": draw(_unique(st.lists(st.sampled_from(COMPLIANCE), max_size=2))),
            "integrations": draw(
                _unique(st.lists(st.sampled_from(offering_ids), max_size=2)).map(
                    lambda ids, me=offering_id: [i for i in ids if i != me]
                )
            ),
            "status": draw(st.sampled_from(["active", "active", "retired"])),
            "reviewed": draw(st.none() | dates),
            "referral": draw(
                st.none() | st.fixed_dictionaries({"fee": st.booleans(), "disclosure": text})
            ),
            "x_notes": draw(st.none() | text),
        }
        offerings.append({k: v for k, v in offering.items() if v not in (None, [])})
    return {
        "catalog.yaml": {"company": draw(text), "currency": "USD", "version": draw(text)},
        "capabilities.yaml": capabilities,
        "offerings/generated.yaml": offerings,
    }


# --- domain-level catalogues and needs, for the engine's property tests --------------------------

from referral_api.domain import (  # noqa: E402
    Capability,
    Catalog,
    CatalogInfo,
    Constraints,
    CoverageLevel,
    Need,
    Offering,
    OfferingStatus,
    Price,
    PriceModel,
    Referral,
    Relationship,
)

#: words no rule reads as a constraint, cue or stopword, so needs made of them are plain
WORDS = [
    "ledger", "invoice", "harbor", "signal", "lantern", "meadow", "quartz", "violet", "falcon",
    "cobalt", "ember", "juniper", "marble", "nectar", "orchid", "pepper", "tundra", "willow",
]  # fmt: skip
ENGINE_REGIONS = ["global", "US", "GB", "DE", "FR", "EU"]
ENGINE_PLATFORMS = ["web", "ios", "android", "windows", "docker"]


@st.composite
def domain_catalogs(draw: st.DrawFn, *, max_offerings: int = 10) -> Catalog:
    """A small catalogue with an acyclic broader graph, made of plain words."""
    n_caps = draw(st.integers(min_value=2, max_value=6))
    labels = draw(st.lists(st.sampled_from(WORDS), min_size=n_caps, max_size=n_caps, unique=True))
    caps: dict[str, Capability] = {}
    for i, label in enumerate(labels):
        cap_id = f"c{i}"
        earlier = [f"c{j}" for j in range(i)]
        broader = draw(_unique(st.lists(st.sampled_from(earlier), max_size=1))) if earlier else []
        related = draw(_unique(st.lists(st.sampled_from(earlier), max_size=1))) if earlier else []
        caps[cap_id] = Capability(
            cap_id,
            label,
            broader=tuple(broader),
            related=tuple(r for r in related if r not in broader),
        )
    count = draw(st.integers(min_value=1, max_value=max_offerings))
    offerings = []
    for k in range(count):
        coverage = draw(
            st.dictionaries(st.sampled_from(list(caps)), st.sampled_from(list(CoverageLevel)),
                            min_size=1, max_size=3)
        )  # fmt: skip
        model = draw(st.sampled_from(list(PriceModel)))
        low = draw(st.sampled_from([0.0, 10.0, 25.0, 60.0]))
        price = Price(
            model=model,
            monthly_from=None if model is PriceModel.QUOTE else low,
            monthly_to=None if model is PriceModel.QUOTE else low * 2,
            currency=draw(st.sampled_from(["USD", "EUR"])),
            free_tier=draw(st.booleans()),
            one_time=120.0 if model is PriceModel.ONE_TIME else None,
        )
        offerings.append(
            Offering(
                id=f"o{k:02d}",
                name=f"{draw(st.sampled_from(WORDS)).title()} {k}",
                relationship=draw(st.sampled_from(list(Relationship))),
                capabilities=coverage,
                summary=" ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=6))),
                price=draw(st.none() | st.just(price)),
                regions=tuple(draw(_unique(st.lists(st.sampled_from(ENGINE_REGIONS), max_size=2)))),
                platforms=tuple(draw(_unique(st.lists(st.sampled_from(ENGINE_PLATFORMS), max_size=3)))),
                compliance=tuple(draw(_unique(st.lists(st.sampled_from(["gdpr", "soc2"]), max_size=2)))),
                segments=tuple(draw(_unique(st.lists(st.sampled_from(["small", "mid"]), max_size=1)))),
                integrations=(),
                status=draw(st.sampled_from([OfferingStatus.ACTIVE] * 4 + [OfferingStatus.RETIRED])),
                reviewed=draw(st.none() | st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2026, 11, 1))),
                referral=draw(st.none() | st.builds(Referral, st.booleans(), st.none() | st.just("Disclosed."))),
            )
        )  # fmt: skip
    info = CatalogInfo(company="Generated", currency="USD", version="g1")
    return Catalog.build(info, caps, tuple(offerings))


@st.composite
def domain_needs(draw: st.DrawFn, catalog: Catalog) -> Need:
    """A need made of capability labels and plain words, with optional structured constraints."""
    labels = [c.label for c in catalog.capabilities.values()]
    words = draw(st.lists(st.sampled_from(labels + WORDS), min_size=1, max_size=5))
    constraints = Constraints(
        region=draw(st.none() | st.sampled_from(["US", "GB", "DE"])),
        platforms=tuple(draw(_unique(st.lists(st.sampled_from(ENGINE_PLATFORMS), max_size=1)))),
        compliance=tuple(draw(_unique(st.lists(st.just("gdpr"), max_size=1)))),
        budget_monthly=draw(st.none() | st.sampled_from([0.0, 20.0, 50.0])),
        must_have=tuple(draw(_unique(st.lists(st.sampled_from(list(catalog.capabilities)), max_size=1)))),
    )  # fmt: skip
    return Need(" ".join(words), constraints)
