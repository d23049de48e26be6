"""Every catalogue field and every rule kind is documented; a new one without docs fails here."""

from __future__ import annotations

import dataclasses

import pytest

from referral_api.curation import SECTIONS
from referral_api.curation.catalog_loader import (
    CAPABILITY_FIELDS,
    CATALOG_FIELDS,
    OFFERING_FIELDS,
    PRICE_FIELDS,
    REFERRAL_FIELDS,
)
from referral_api.domain import ConstraintKind, Thresholds, TieBreak, Weights
from referral_api.domain.rules import CueKind
from tests.conftest import CATALOG_DIR, RULES_DIR

CATALOG_README = (CATALOG_DIR / "README.md").read_text(encoding="utf-8")
RULES_README = (RULES_DIR / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "field",
    sorted(
        {*CATALOG_FIELDS, *CAPABILITY_FIELDS, *OFFERING_FIELDS, *PRICE_FIELDS, *REFERRAL_FIELDS}
    ),
)
def test_catalogue_field_is_documented(field: str) -> None:
    assert f"`{field}`" in CATALOG_README


RULE_NAMES = sorted(
    {
        *SECTIONS,
        *(f.name for f in dataclasses.fields(Weights)),
        *(f.name for f in dataclasses.fields(Thresholds)),
        *(k.value for k in CueKind),
        *(k.value for k in ConstraintKind),
        *(t.value for t in TieBreak),
        "tie_break", "staleness_days", "require_sources", "disclosures", "partner_fee",
    }
)  # fmt: skip


@pytest.mark.parametrize("name", RULE_NAMES)
def test_rule_kind_is_documented(name: str) -> None:
    assert f"`{name}`" in RULES_README


def test_every_file_the_documents_name_exists() -> None:
    """A module or test moved without its documents following fails here, naming both."""
    import re

    from tests.conftest import ROOT

    pattern = re.compile(r"\b((?:referral_api|tests|bench|rules|catalog)/[\w/.-]+\.(?:py|yaml|md))")
    missing = [
        f"{doc.relative_to(ROOT)}: {path}"
        for doc in sorted(ROOT.glob("*.md")) + sorted(ROOT.glob("[!.]*/README.md"))
        for path in pattern.findall(doc.read_text(encoding="utf-8"))
        if not (ROOT / path).exists()
    ]
    assert missing == []
