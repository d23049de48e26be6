"""Property-based: every operation, with valid keys, answers without 5xx and as documented.

schemathesis generates the requests from the app's own OpenAPI document and checks every
response: no server error, a documented status, content type, headers and body schema.
(Its pytest plugin is driven by hand here: hypothesis runs per operation inside the test,
so each operation gets the rolled-back database of an ordinary test.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.api.conftest import Keys

DOCUMENT = json.loads(
    (Path(__file__).resolve().parents[2] / "openapi" / "openapi.json").read_text(encoding="utf-8")
)
OPERATIONS = [(path, method) for path, item in DOCUMENT["paths"].items() for method in item]


@pytest.mark.parametrize(
    ("path", "method"), OPERATIONS, ids=[f"{m.upper()} {p}" for p, m in OPERATIONS]
)
def test_operation_conforms_to_its_schema(app: FastAPI, keys: Keys, path: str, method: str) -> None:
    operation = schemathesis.openapi.from_asgi("/openapi.json", app)[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def check(case: schemathesis.Case) -> None:
        # valid-by-schema requests may still be refused on meaning (an unknown capability id,
        # an edit that leaves the catalogue invalid): 422 is right there, so that check is off
        case.call_and_validate(
            headers=keys.auth(keys.admin), excluded_checks=[positive_data_acceptance]
        )

    check()
