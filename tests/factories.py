"""Keyword-only factories for test data: catalogue documents and snapshots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from referral_api.curation import read_rules_texts
from referral_api.curation.snapshot import Snapshot, snapshot_from_documents

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"

CAPABILITIES: list[dict[str, Any]] = [
    {"id": "accounting", "label": "Accounting", "synonyms": ["bookkeeping", "books"]},
    {"id": "invoicing", "label": "Invoicing", "synonyms": ["invoices"], "broader": ["accounting"]},
    {"id": "payroll", "label": "Payroll", "synonyms": ["salaries"], "related": ["accounting"]},
    {"id": "card-payments", "label": "Card payments", "synonyms": ["cards"]},
]


def make_offering(
    *,
    id: str,
    relationship: str = "own",
    capabilities: dict[str, str] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": id,
        "name": id.replace("-", " ").title(),
        "provider": "Example Ltd",
        "relationship": relationship,
        "summary": f"{id} for small businesses.",
        "capabilities": capabilities or {"invoicing": "full"},
        "price": {"model": "subscription", "monthly_from": 10, "monthly_to": 30, "currency": "USD"},
        "segments": ["small"],
        "regions": ["global"],
        "platforms": ["web"],
        "url": f"https://{id}.example.com",
        "reviewed": "2026-10-01",
        "sources": [f"https://{id}.example.com/pricing"],
    }
    document.update(overrides)
    return document


def make_documents(
    *,
    offerings: list[dict[str, Any]] | None = None,
    version: str = "test-1",
    capabilities: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    offerings = offerings or [
        make_offering(id="ledger-own", relationship="own"),
        make_offering(
            id="books-partner",
            relationship="partner",
            capabilities={"accounting": "full", "invoicing": "partial"},
            referral={"fee": True, "disclosure": "We may receive a referral fee."},
        ),
        make_offering(
            id="pay-rival",
            relationship="competitor",
            capabilities={"payroll": "full", "card-payments": "full"},
            platforms=["web", "ios"],
        ),
        make_offering(
            id="free-other",
            relationship="other",
            capabilities={"invoicing": "partial"},
            price={"model": "free"},
            regions=["DE", "FR"],
        ),
    ]
    return {
        "catalog.yaml": {"company": "Ledgerly", "currency": "USD", "version": version},
        "capabilities.yaml": capabilities or CAPABILITIES,
        "offerings/test.yaml": offerings,
    }


def make_snapshot(
    *,
    offerings: list[dict[str, Any]] | None = None,
    version: str = "test-1",
    capabilities: list[dict[str, Any]] | None = None,
) -> Snapshot:
    documents = make_documents(offerings=offerings, version=version, capabilities=capabilities)
    return snapshot_from_documents(documents, read_rules_texts(RULES_DIR))
