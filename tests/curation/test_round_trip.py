"""Any valid catalogue loads; dumping it and loading again yields equal domain objects."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings

from referral_api.curation import (
    catalog_documents,
    load_catalog,
    load_catalog_documents,
    write_documents,
)
from referral_api.domain import Rules
from tests import strategies


@settings(max_examples=60, deadline=None)
@given(documents=strategies.catalog_documents())
def test_dump_and_reload_is_identity(rules: Rules, documents: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as first, tempfile.TemporaryDirectory() as second:
        write_documents(documents, Path(first))
        loaded = load_catalog(Path(first), rules)
        assert loaded.errors == ()
        catalog = loaded.require()
        assert [o.id for o in catalog.offerings] == [
            o["id"] for o in documents["offerings/generated.yaml"]
        ]
        write_documents(catalog_documents(catalog), Path(second))
        assert load_catalog(Path(second), rules).require() == catalog


@settings(max_examples=30, deadline=None)
@given(documents=strategies.catalog_documents())
def test_snapshot_documents_validate_like_files(rules: Rules, documents: dict[str, Any]) -> None:
    """A stored snapshot (plain JSON-able documents) loads to the same catalogue as the files."""
    with tempfile.TemporaryDirectory() as root:
        write_documents(documents, Path(root))
        from_files = load_catalog(Path(root), rules).require()
    from_snapshot = load_catalog_documents(catalog_documents(from_files), rules).require()
    assert from_snapshot == from_files


@settings(max_examples=40, deadline=None)
@given(documents=strategies.catalog_documents())
def test_trusted_snapshot_rebuilds_the_validated_catalogue(
    rules: Rules, documents: dict[str, Any]
) -> None:
    """Workers rebuild stored versions without re-validating; the result must be identical."""
    import json

    from referral_api.curation.snapshot import catalog_from_snapshot

    with tempfile.TemporaryDirectory() as root:
        write_documents(documents, Path(root))
        validated = load_catalog(Path(root), rules).require()
    stored = json.loads(json.dumps(catalog_documents(validated)))  # as the database keeps it
    assert catalog_from_snapshot(stored) == validated
