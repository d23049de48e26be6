"""The response body is built as plain data on every request: it must be exactly what the
published model (``RecommendationPublic``, the OpenAPI schema) validates and writes back."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referral_api.domain import Catalog, Constraints, Need, PriceModel, Rules
from referral_api.matching import Engine
from referral_api.schemas import RecommendationPublic, recommendation_body
from tests.strategies import domain_catalogs, domain_needs

DEMO_NEEDS = Path(__file__).resolve().parent.parent / "data" / "demo_needs.jsonl"
MOMENTS = [
    dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC),
    dt.datetime(2026, 11, 23, 10, 0, 0, 123456, tzinfo=dt.UTC),
    dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))),
]


def round_trips(body: dict[str, Any]) -> None:
    assert RecommendationPublic.model_validate(body).model_dump(mode="json") == body
    assert orjson.loads(orjson.dumps(body)) == body  # JSON values only


@pytest.fixture(scope="module")
def demo_engine(demo_catalog: Catalog, rules: Rules) -> Engine:
    return Engine(demo_catalog, rules)


def test_every_demo_need_gives_the_published_shape(demo_engine: Engine) -> None:
    needs = [json.loads(line)["need"] for line in DEMO_NEEDS.read_text().splitlines()]
    for index, text in enumerate(needs):
        recommendation = demo_engine.recommend(Need(text), limit=10)
        body = recommendation_body(
            recommendation,
            record_id=f"rec_{index}",
            created_at=MOMENTS[index % len(MOMENTS)],
            channel="api",
            catalog_version_id=3,
        )
        round_trips(body)


def test_structured_constraints_and_no_record_give_the_published_shape(
    demo_engine: Engine,
) -> None:
    constraints = Constraints(
        budget_monthly=50, region="DE", platforms=("ios",), price_models=(PriceModel.SUBSCRIPTION,),
        excluded_price_models=(PriceModel.USAGE,), must_have=("invoicing",), soft=("segment",),
    )  # fmt: skip
    recommendation = demo_engine.recommend(Need("invoices and payroll", constraints), limit=5)
    body = recommendation_body(recommendation)
    assert body["interpreted"]["constraints"]["budget_monthly"] == 50.0
    round_trips(body)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_catalogue_and_need_give_the_published_shape(data: st.DataObject, rules: Rules) -> None:
    catalog = data.draw(domain_catalogs())
    need = data.draw(domain_needs(catalog))
    recommendation = Engine(catalog, rules).recommend(need, limit=5)
    round_trips(recommendation_body(recommendation, record_id="rec_x", channel="widget"))
