"""Liveness and readiness on the wire."""

from __future__ import annotations

from referral_api.schemas.common import (
    Schema,
    described,
)


class HealthPublic(Schema):
    status: str = described("ok when the process answers.", "ok")


class ReadyPublic(Schema):
    status: str = described(
        "ready, or degraded: serving from memory while the database does not answer "
        "(records are buffered and written when it does).",
        "ready",
    )
    database: str = described("ok, or unreachable.", "ok")
    records_buffered: int = described("Records waiting for the database.", 0)
    records_dropped: int = described("Records dropped since start because the buffer was full.", 0)
    catalog_version_id: int = described("Catalogue version served.", 3)
    catalog_version: str = described("Its own version.", "2026.11")
    rules_version: str = described("Rules version.", "2026.11+5b736be56c59")
    worker: int = described(
        "Process id of the worker that answered (several workers share one port).", 4242
    )
