"""``referral gaps`` names offerings and must-haves as the page does, and counts needs."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import CATALOG_DIR, RULES_DIR
from tests.insights.test_cli import WINDOW, run

NEEDS = [
    {"need": "payroll for my team in Japan", "created_at": "2026-11-02T10:00:00Z"},
    {"need": "crypto payments for my online shop in Nigeria",
     "created_at": "2026-11-03T10:00:00Z"},
]  # fmt: skip


def test_the_table_and_the_json_name_offerings(tmp_path: Path) -> None:
    url = ["--database-url", f"sqlite:///{tmp_path / 'gaps.db'}"]
    assert run("db", "upgrade", *url).exit_code == 0
    loaded = run("catalog", "load", str(CATALOG_DIR), "--rules", str(RULES_DIR), *url)
    assert loaded.exit_code == 0, loaded.output
    path = tmp_path / "needs.jsonl"
    path.write_text("".join(json.dumps(n) + "\n" for n in NEEDS), encoding="utf-8")
    assert run("batch", "--record", "--input", str(path), *url).exit_code == 0

    table = run("gaps", *WINDOW, *url)
    assert table.exit_code == 0, table.output
    assert "counts are needs" in table.output
    assert "by Kyuyo Cloud (competitor) 1" in table.output  # a name, not kyuyo-cloud
    assert "misses region 1" in table.output
    body = json.loads(run("gaps", *WINDOW, "--json", *url).output)
    kinds = {(g["capability"], g["kind"]) for g in body["data"]}
    assert {("payroll", "served_elsewhere"), ("crypto-payments", "unserved")} <= kinds
    payroll = next(g for g in body["data"] if g["capability"] == "payroll")
    assert payroll["served_by"][0]["name"] == "Kyuyo Cloud"
