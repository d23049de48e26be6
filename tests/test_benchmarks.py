"""The benchmarks that the README's figures come from still run (in miniature)."""

from __future__ import annotations

import json
from pathlib import Path

from bench import parts_bench


def test_the_parts_benchmark_takes_a_recommendation_apart(tmp_path: Path) -> None:
    status = parts_bench.main(["--calls", "16", "--repeats", "1", "--results", str(tmp_path)])

    assert status == 0
    result = json.loads((tmp_path / "parts-sqlite.json").read_text(encoding="utf-8"))
    whole, parts = result["whole"], result["parts"]
    assert whole["healthz"] > 0
    assert whole["recommend"] > whole["healthz"]  # ranking and a record cost more than "ok"
    assert set(parts) == {
        "validate body",
        "key check and rate limit",
        "ranking (Engine.recommend)",
        "serialise the answer",
        "answer and record built",
        "record write, alone",
        "record write, in units of 8",
    }
    assert all(cost > 0 for cost in parts.values())
    # a unit of work per record costs more per record than one shared by eight
    assert parts["record write, alone"] > parts["record write, in units of 8"]
