"""The self-preference audit, record retention, and keys."""

from __future__ import annotations

import dataclasses
import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from referral_api import ENGINE_VERSION
from referral_api.domain import Catalog, Need, Recommendation, Relationship, Rules
from referral_api.service.audit import run_audit
from referral_api.service.keys import create_key, hash_secret
from referral_api.store.models import ApiKey, RecommendationRecord, utcnow
from referral_api.store.repositories import ApiKeyRepository, RecommendationRepository
from tests.api.conftest import Keys
from tests.api.fake_engine import FakeEngine

NEEDS = ["invoices and payroll", "bookkeeping", "payroll, card payments and invoices", "invoices"]


class SelfPreferring(FakeEngine):
    """An engine that cheats: own offerings jump to the top."""

    def recommend(self, need: Need, *, limit: int = 5) -> Recommendation:
        result = super().recommend(need, limit=limit)
        ranked = sorted(
            result.results, key=lambda f: f.offering.relationship is not Relationship.OWN
        )
        return dataclasses.replace(result, results=tuple(ranked))


def _record_needs(client: TestClient, keys: Keys) -> None:
    for need in NEEDS:
        response = client.post(
            "/v1/recommendations", json={"need": need}, headers=keys.auth(keys.admin)
        )
        assert response.status_code == 201


class TestSelfPreferenceAudit:
    def test_an_ownership_blind_engine_passes(self, client: TestClient, keys: Keys) -> None:
        _record_needs(client, keys)
        report = client.get("/v1/insights/audit", headers=keys.auth(keys.insights)).json()
        assert report["checked"] == len(NEEDS)
        assert report["identical"] == len(NEEDS)
        assert report["differing"] == 0
        assert report["findings"] == []
        assert report["not_reproducible"] == 0

    def test_a_self_preferring_engine_is_caught(
        self, client: TestClient, keys: Keys, session: Session
    ) -> None:
        _record_needs(client, keys)

        def cheat(catalog: Catalog, rules: Rules) -> SelfPreferring:
            return SelfPreferring(catalog, rules)

        report = run_audit(session, cheat, since=None)
        assert report.differing >= 1
        finding = report.findings[0]
        assert finding.ranking != finding.masked_ranking

    def test_since_limits_the_records(self, client: TestClient, keys: Keys) -> None:
        _record_needs(client, keys)
        later = (utcnow() + dt.timedelta(hours=1)).isoformat()
        report = client.get(
            "/v1/insights/audit", params={"since": later}, headers=keys.auth(keys.insights)
        ).json()
        assert report["checked"] == 0


class TestRecords:
    def test_every_record_names_its_catalogue_rules_and_engine(
        self, client: TestClient, keys: Keys, session: Session
    ) -> None:
        _record_needs(client, keys)
        records = session.scalars(select(RecommendationRecord)).all()
        assert len(records) == len(NEEDS)
        for record in records:
            assert record.catalog_version_id
            assert record.catalog_version == "test-1"
            assert record.rules_version
            assert record.engine_version == ENGINE_VERSION
            assert record.response["id"] == record.id

    def test_purge_removes_old_records_and_their_outcomes(
        self, client: TestClient, keys: Keys, session: Session
    ) -> None:
        _record_needs(client, keys)
        record = session.scalars(select(RecommendationRecord)).first()
        assert record is not None
        client.post(
            f"/v1/recommendations/{record.id}/outcome", json={"outcome": "no_answer"},
            headers=keys.auth(keys.admin),
        )  # fmt: skip
        removed = RecommendationRepository(session).purge_before(utcnow() + dt.timedelta(days=1))
        assert removed == len(NEEDS)
        assert session.scalars(select(RecommendationRecord)).all() == []


class TestKeys:
    def test_only_a_hash_of_the_secret_is_stored(self, session: Session) -> None:
        created = create_key(session, name="k", scopes=["advocate"])
        stored = session.scalars(select(ApiKey).where(ApiKey.id == created.key.id)).one()
        assert created.secret.startswith(f"rk_{stored.id}_")
        assert stored.secret_hash == hash_secret(created.secret)
        assert created.secret not in str(vars(stored))

    def test_a_revoked_key_stops_working(
        self, client: TestClient, keys: Keys, session: Session
    ) -> None:
        assert client.get("/v1/capabilities", headers=keys.auth(keys.advocate)).status_code == 200
        key_id = keys.advocate.split("_")[1]
        repository = ApiKeyRepository(session)
        key = repository.get(key_id)
        assert key is not None
        repository.revoke(key, utcnow())
        session.commit()
        assert client.get("/v1/capabilities", headers=keys.auth(keys.advocate)).status_code == 401

    def test_publishable_keys_carry_recommend_only_and_need_origins(self, session: Session) -> None:
        import pytest

        from referral_api.errors import InputError

        with pytest.raises(InputError):
            create_key(session, name="w", scopes=["recommend", "curator"], publishable=True,
                       origins=["https://a.example"])  # fmt: skip
        with pytest.raises(InputError):
            create_key(session, name="w", scopes=["recommend"], publishable=True)
        created = create_key(session, name="w", scopes=["recommend"], publishable=True,
                             origins=["https://A.example/"])  # fmt: skip
        assert created.secret.startswith("pk_")
        assert created.key.origins == ["https://a.example"]
