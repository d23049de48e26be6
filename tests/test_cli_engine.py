"""The engine's command line: recommend, batch and eval, as a curator or analyst runs them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from referral_api.cli import app
from tests.conftest import CATALOG_DIR, ROOT, RULES_DIR

BASE = ["--catalog", str(CATALOG_DIR), "--rules", str(RULES_DIR)]


def run(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args), input=stdin)


class TestRecommend:
    def test_readable_answer(self) -> None:
        result = run("recommend", "UK bakery, 6 staff, payroll under £50 a month", *BASE)
        assert result.exit_code == 0, result.output
        assert "understood: payroll" in result.output
        assert " 1. " in result.output
        assert "disclosure:" in result.output
        assert "considered" in result.output

    def test_json_is_the_v1_response(self) -> None:
        result = run("recommend", "send invoices in Germany", "--json", "--limit", "3", *BASE)
        body = json.loads(result.output)
        assert set(body) >= {
            "interpreted",
            "results",
            "best_own",
            "bundles",
            "unmet",
            "relaxations",
            "coverage",
        }
        assert len(body["results"]) <= 3
        assert body["results"][0]["disclosure"]["text"]

    def test_empty_need_is_refused(self) -> None:
        result = run("recommend", "  ", *BASE)
        assert result.exit_code == 2
        assert "need: must be 1 to 2,000 characters" in result.output

    def test_broken_catalogue_names_file_and_line(self, tmp_path: Path) -> None:
        (tmp_path / "catalog.yaml").write_text("company: X\ncurrency: USD\nversion: 1\n")
        (tmp_path / "capabilities.yaml").write_text("- id: a\n  label: A\n")
        (tmp_path / "offerings").mkdir()
        (tmp_path / "offerings" / "o.yaml").write_text(
            "- id: o\n  name: O\n  relationship: ours\n  capabilities: {a: full}\n"
        )
        result = run("recommend", "a", "--catalog", str(tmp_path), "--rules", str(RULES_DIR))
        assert result.exit_code == 1
        assert f"{tmp_path}/offerings/o.yaml:3: o.relationship: must be one of" in result.output


class TestBatch:
    def test_every_line_answered_in_order_and_bad_lines_do_not_stop_it(self) -> None:
        lines = [
            {"id": "a", "need": "send invoices", "limit": 2, "ticket": 123},
            {"id": "b", "need": ""},
            "not json",
            {"id": "c", "need": "payroll", "constraints": {"must_have": ["nope"]}},
            {"id": "d", "need": "payroll in the UK"},
        ]
        stdin = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n"
        result = run("batch", *BASE, stdin=stdin)
        assert result.exit_code == 1  # a line failed: the exit status says so (issue 19)
        out = [json.loads(line) for line in result.stdout.splitlines()]
        assert [o["id"] for o in out] == ["a", "b", "line-3", "c", "d"]
        assert len(out[0]["response"]["results"]) == 2
        assert out[1]["error"]["errors"][0]["field"] == "need"
        assert "not valid JSON" in out[2]["error"]["detail"]
        assert [e["field"] for e in out[3]["error"]["errors"]] == ["constraints.must_have[0]"]
        assert "response" in out[4]
        # the summary on stderr: what was answered, every failed line with its number and why
        assert "answered 2 need(s); 3 line(s) failed" in result.stderr
        assert "stdin:2: need: String should have at least 1 character" in result.stderr
        assert "stdin:3: line 3: not valid JSON" in result.stderr
        assert "stdin:4: constraints.must_have[0]: unknown capability 'nope'" in result.stderr

    def test_a_batch_without_failures_exits_0(self) -> None:
        result = run("batch", *BASE, stdin=json.dumps({"need": "send invoices"}) + "\n")
        assert result.exit_code == 0, result.output
        assert "answered 1 need(s); 0 line(s) failed" in result.stderr

    def test_the_default_limit_applies_unless_the_line_sets_its_own(self) -> None:
        lines = [
            {"id": "own", "need": "send invoices", "limit": 1},
            {"id": "nested", "need": "send invoices", "ticket": {"limit": 1}},
        ]
        stdin = "\n".join(json.dumps(x) for x in lines) + "\n"
        result = run("batch", "--limit", "3", *BASE, stdin=stdin)
        out = {o["id"]: o for o in map(json.loads, result.stdout.splitlines())}
        assert len(out["own"]["response"]["results"]) == 1
        assert len(out["nested"]["response"]["results"]) == 3  # a ticket's own "limit" is data


class TestEval:
    def test_prints_metrics_per_kind_with_baseline(self) -> None:
        cases = ROOT / "tests" / "data" / "demo_needs.jsonl"
        result = run("eval", "--cases", str(cases), "--baseline", "--json", *BASE)
        assert result.exit_code == 0, result.output
        body = json.loads(result.stdout)
        assert set(body) == {"engine", "bm25"}
        overall = body["engine"]["overall"]
        assert set(overall) == {
            "cases", "p@1", "ndcg@10", "mrr@10", "right", "empty", "violations"
        }  # fmt: skip
        assert overall["violations"] == 0.0

    def test_bad_case_file_names_the_line(self, tmp_path: Path) -> None:
        cases = tmp_path / "cases.jsonl"
        cases.write_text('{"id": "a", "need": "x", "relevant": {}}\n{oops\n')
        result = run("eval", "--cases", str(cases), *BASE)
        assert result.exit_code == 1
        assert f"{cases}:2: not a valid case" in result.output
