"""A recommendation's record ↔ its stored row: the row read back is the record that was made."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from referral_api.domain import Catalog, Need, Rules, record_of
from referral_api.insights.gaps import derive_gap_facts
from referral_api.matching import Engine
from referral_api.schemas import recommendation_body
from referral_api.store.records import record_from_row, record_row

DEMO_NEEDS = Path(__file__).resolve().parent.parent / "data" / "demo_needs.jsonl"
AT = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def demo_engine(demo_catalog: Catalog, rules: Rules) -> Engine:
    return Engine(demo_catalog, rules)


def test_a_stored_row_reads_back_as_the_record_it_was_made_from(demo_engine: Engine) -> None:
    """Facts written with a record and facts rebuilt from its row are the same facts."""
    for index, line in enumerate(DEMO_NEEDS.read_text(encoding="utf-8").splitlines()):
        recommendation = demo_engine.recommend(Need(json.loads(line)["need"]), limit=10)
        record = record_of(
            recommendation, record_id=f"rec_{index}", created_at=AT, channel="api",
            catalog_version_id=3,
        )  # fmt: skip
        response = recommendation_body(
            recommendation, record_id=record.id, created_at=AT, channel="api",
            catalog_version_id=3,
        )  # fmt: skip
        row = record_row(record, request={}, response=response)
        read_back = record_from_row(row)
        assert derive_gap_facts(read_back) == derive_gap_facts(record)
        # scores are stored as the response shows them (four places)
        assert [(f.offering_id, f.rank) for f in read_back.results] == [
            (f.offering_id, f.rank) for f in record.results
        ]
        assert read_back.capabilities == record.capabilities
        assert read_back.rejected == record.rejected
        assert (read_back.best_own, read_back.unmet) == (record.best_own, record.unmet)
        assert read_back.constraints == record.constraints
        assert row["response"] is response  # stored exactly as answered


def test_confidences_and_did_you_mean_read_back(demo_engine: Engine) -> None:
    """What vocabulary suggestions read (confidences, "did you mean") survives the store."""
    recommendation = demo_engine.recommend(Need("need 2 accept upi + paytm on my site"))
    record = record_of(
        recommendation, record_id="rec_x", created_at=AT, channel="api", catalog_version_id=3
    )
    response = recommendation_body(
        recommendation, record_id=record.id, created_at=AT, channel="api", catalog_version_id=3
    )
    read_back = record_from_row(record_row(record, request={}, response=response))
    assert record.did_you_mean
    assert read_back.did_you_mean == record.did_you_mean
    assert read_back.capabilities == record.capabilities
