"""``referral batch --record`` and ``referral gaps``: a backlog recorded, then reported."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from referral_api.cli import app
from tests.conftest import CATALOG_DIR, RULES_DIR

BACKLOG = [
    {"id": "a", "need": "we need payroll with pensions in the UK",
     "created_at": "2026-11-02T10:00:00Z", "channel": "widget"},
    {"id": "b", "need": "timesheets and blockchain llamas", "created_at": "2026-11-10T10:00:00Z"},
    {"id": "c", "need": "=HYPERLINK(\"x\") send invoices from Germany on my iPhone",
     "created_at": "2026-11-17T10:00:00"},
]  # fmt: skip
WINDOW = ["--since", "2026-10-01T00:00:00Z", "--until", "2026-12-01T00:00:00Z"]


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def url(tmp_path: Path) -> list[str]:
    url = ["--database-url", f"sqlite:///{tmp_path / 'gaps.db'}"]
    assert run("db", "upgrade", *url).exit_code == 0
    loaded = run("catalog", "load", str(CATALOG_DIR), "--rules", str(RULES_DIR), *url)
    assert loaded.exit_code == 0, loaded.output
    return url


@pytest.fixture
def backlog(tmp_path: Path, url: list[str]) -> Path:
    path = tmp_path / "needs.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in BACKLOG), encoding="utf-8")
    result = run("batch", "--record", "--input", str(path), *url)
    assert result.exit_code == 0, result.output
    return path


class TestBatchRecord:
    def test_the_backlog_is_recorded_with_its_own_times(
        self, backlog: Path, url: list[str]
    ) -> None:
        body = json.loads(run("gaps", *WINDOW, "--json", "--kind", "served", *url).output)
        assert body["needs"] > 0
        report = json.loads(run("gaps", *WINDOW, "--json", *url).output)
        weeks = {point["week"] for point in report["trend"]}
        assert weeks <= {"2026-W45", "2026-W46", "2026-W47"}
        assert len(weeks) >= 2
        assert report["needs"] == 3

    def test_bad_lines_name_file_and_line_and_the_rest_is_recorded(
        self, tmp_path: Path, url: list[str]
    ) -> None:
        path = tmp_path / "bad.jsonl"
        lines = [
            json.dumps({"need": "payroll", "created_at": "yesterday"}),
            "not json",
            json.dumps({"need": "payroll", "channel": "fax"}),
            json.dumps({"need": "we need payroll", "created_at": "2026-11-03T09:00:00Z"}),
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        result = run("batch", "--record", "--input", str(path), *url)
        assert result.exit_code == 1
        assert f"{path}:1: created_at: not an ISO 8601 time" in result.output
        assert f"{path}:2: line 2: not valid JSON" in result.output
        assert f"{path}:3: channel: must be api, advocate or widget" in result.output
        assert "recorded 1 need(s); 3 line(s) failed" in result.output
        report = json.loads(run("gaps", *WINDOW, "--json", "--kind", "served", *url).output)
        assert report["needs"] == 1

    def test_recording_needs_an_active_catalogue(self, tmp_path: Path) -> None:
        url = ["--database-url", f"sqlite:///{tmp_path / 'empty.db'}"]
        assert run("db", "upgrade", *url).exit_code == 0
        result = run("batch", "--record", *url)
        assert result.exit_code == 1
        assert "no active catalogue version" in result.output


class TestGaps:
    def test_the_table_shows_the_gaps(self, backlog: Path, url: list[str]) -> None:
        result = run("gaps", *WINDOW, *url)
        assert result.exit_code == 0, result.output
        assert "3 need(s)" in result.output
        assert "not_understood" in result.output
        assert "kind" in result.output.splitlines()[1]

    def test_csv_is_the_api_s_csv(self, backlog: Path, url: list[str]) -> None:
        result = run("gaps", *WINDOW, "--csv", *url)
        rows = list(csv.DictReader(io.StringIO(result.output)))
        body = json.loads(run("gaps", *WINDOW, "--json", *url).output)
        assert [(r["kind"], int(r["count"])) for r in rows] == [
            (g["kind"], g["count"]) for g in body["data"]
        ]
        assert all(not r["example"].startswith("=") for r in rows)
        assert any(r["example"].startswith("'=HYPERLINK") for r in rows)

    def test_rebuild_gives_the_same_report(self, backlog: Path, url: list[str]) -> None:
        before = json.loads(run("gaps", *WINDOW, "--json", *url).output)
        rebuilt = run("gaps", *WINDOW, "--json", "--rebuild", *url)
        assert rebuilt.exit_code == 0
        assert "rebuilt" in rebuilt.stderr
        assert json.loads(rebuilt.stdout) == before

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--channel", "fax"], "--channel:"),
            (["--since", "soon"], "--since:"),
            (["--kind", "all"], "--kind"),
            (["--since", "2026-12-01", "--until", "2026-11-01"], "--since: must be before until"),
        ],
    )
    def test_invalid_filters_name_the_option(
        self, url: list[str], args: list[str], message: str
    ) -> None:
        result = run("gaps", *args, *url)
        assert result.exit_code == 2
        assert message in result.output
