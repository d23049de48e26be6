"""Catalogue reloads cannot break what is serving: a broken load changes nothing, and loads
racing each other leave exactly one active version.

Real ``referral`` processes against a real server, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from referral_api.store.db import Database
from referral_api.store.models import CatalogVersion
from tests.conftest import BACKENDS, CATALOG_DIR
from tests.reliability.harness import REFERRAL, Server, Target, database, new_key, referral

pytestmark = [pytest.mark.slow]


def versions(target: Target) -> list[tuple[int, bool]]:
    db = Database.from_url(target.direct_url)
    try:
        with db.session(write=False) as session:
            query = select(CatalogVersion.id, CatalogVersion.active).order_by(CatalogVersion.id)
            return [(i, bool(a)) for i, a in session.execute(query).all()]
    finally:
        db.dispose()


def edited_catalogue(tmp_path: Path, name: str, summary: str) -> Path:
    """A copy of the bundled catalogue with one offering's summary changed (a new version)."""
    copy = tmp_path / name
    shutil.copytree(CATALOG_DIR, copy)
    own = copy / "offerings" / "own.yaml"
    text = own.read_text()
    at = text.index("summary: ")
    end = text.index("\n", at)
    own.write_text(f"{text[:at]}summary: {summary!r}{text[end:]}")
    return copy


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_broken_load_leaves_the_active_version_serving(backend: str, tmp_path: Path) -> None:
    with database(backend, tmp_path) as target:
        key = new_key(target.direct_env, "recommend")
        server = Server(target.env)
        try:
            ready = server.wait_ready()
            before = versions(target)
            broken = edited_catalogue(tmp_path, "broken", "still fine")
            (broken / "offerings" / "own.yaml").write_text(
                (broken / "offerings" / "own.yaml").read_text() + "\n- id: [unclosed\n"
            )
            done = referral("catalog", "load", str(broken), env=target.direct_env, check=False)
            assert done.returncode == 1
            assert "own.yaml:" in done.stderr
            assert "Traceback" not in done.stderr
            assert versions(target) == before
            time.sleep(1.5)  # past the reload interval: nothing new to pick up
            answer = httpx.post(
                f"{server.base}/v1/recommendations",
                headers={"Authorization": f"Bearer {key}"},
                json={"need": "send invoices"},
                timeout=10,
            )
            assert answer.status_code == 201
            assert answer.json()["catalog_version_id"] == ready["catalog_version_id"]
            still = httpx.get(f"{server.base}/readyz", timeout=10).json()
            assert still["catalog_version_id"] == ready["catalog_version_id"]
        finally:
            server.terminate()


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_loads_leave_exactly_one_active_version(backend: str, tmp_path: Path) -> None:
    with database(backend, tmp_path) as target:
        sources = [edited_catalogue(tmp_path, f"c{i}", f"edition {i}") for i in range(6)]
        loads = [
            subprocess.Popen(
                [REFERRAL, "catalog", "load", str(source)],
                env=target.direct_env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for source in sources
        ]
        results = [(p.wait(timeout=120), *p.communicate()) for p in loads]
        for code, _out, err in results:
            assert "Traceback" not in err
            if code:  # a load may lose the race; it says so and changes nothing
                assert "another catalogue version was activated at the same time" in err
        stored = versions(target)
        assert sum(1 for _, active in stored if active) == 1
        assert len(stored) == 1 + sum(1 for code, *_ in results if code == 0)
