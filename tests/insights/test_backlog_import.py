"""``referral batch [--record] --input backlog.csv|.jsonl``: CSV as well as JSONL, a progress
bar on a terminal only, a summary with every rejected line, and nothing recorded is lost."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from referral_api.cli import app, recommend
from tests.insights.test_cli import WINDOW, run, url

__all__ = ["url"]

CSV = (
    "\ufeffid,need,region,platforms,created_at,channel\n"  # a spreadsheet's byte-order mark
    'a,"send invoices, quotes and reminders",DE,"ios; android",2026-11-02T10:00:00Z,widget\n'
    'b,"we need payroll\nwith pensions in the UK",GB,,2026-11-03T10:00:00Z,\n'  # two lines
    "c,payroll,,,yesterday,\n"  # line 5: a bad time
    "d,payroll,XX-too-long-a-region-code-for-anyone-to-mean-it-really,,,\n"  # line 6
    "e,payroll,GB,,,,extra\n"  # line 7: more cells than columns
    "f,,,,,\n"  # line 8: no need text
    "g,timesheets for staff,,web,2026-11-10T10:00:00Z,advocate\n"
)


def test_a_csv_backlog_is_recorded_and_the_summary_names_every_rejected_line(
    tmp_path: Path, url: list[str]
) -> None:
    path = tmp_path / "backlog.csv"
    path.write_text(CSV, encoding="utf-8")
    result = run("batch", "--record", "--input", str(path), *url)
    assert result.exit_code == 1  # some lines failed
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "b", "c", "d", "line-7", "f", "g"]
    first = out[0]["response"]
    assert first["interpreted"]["constraints"]["region"] == "DE"
    assert first["interpreted"]["constraints"]["platforms"] == ["ios", "android"]
    assert (
        "pensions" in out[1]["response"]["interpreted"]["capabilities"][0]["matched"]
        or (out[1]["response"]["interpreted"]["capabilities"])
    )
    summary = result.stderr
    assert "recorded 3 need(s); 4 line(s) failed" in summary
    assert f"{path}:5: created_at: not an ISO 8601 time" in summary
    assert f"{path}:6: constraints.region: String should have at most 40 characters" in summary
    assert f"{path}:7: line 7: 7 cells, but the header names 6 columns" in summary
    assert f"{path}:8: need: Field required" in summary
    report = json.loads(run("gaps", *WINDOW, "--json", "--kind", "served", *url).output)
    assert report["needs"] == 3


def test_plain_batch_reads_csv_too(tmp_path: Path) -> None:
    path = tmp_path / "needs.csv"
    path.write_text("need,must_have,limit\nsend invoices,invoicing,2\n", encoding="utf-8")
    result = run("batch", "--input", str(path))
    assert result.exit_code == 0, result.output
    [line] = [json.loads(x) for x in result.stdout.splitlines()]
    assert line["id"] == "line-2"
    assert len(line["response"]["results"]) <= 2
    assert "answered 1 need(s); 0 line(s) failed" in result.stderr
    stdin = CliRunner().invoke(app, ["batch", "--format", "csv"], input="need\nsend invoices\n")
    assert stdin.exit_code == 0, stdin.output


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("need,regoin", "line 1: unknown column 'regoin' (did you mean 'region'?)"),
        ("text,region", "line 1: the header row has no 'need' column (it has: text, region)"),
    ],
)
def test_an_unusable_header_names_file_line_and_column(
    tmp_path: Path, url: list[str], header: str, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(f"{header}\npayroll,GB\n", encoding="utf-8")
    result = run("batch", "--record", "--input", str(path), *url)
    assert result.exit_code == 1
    assert f"{path}: {message}" in result.stderr
    assert "Traceback" not in result.output


def test_what_was_recorded_stays_recorded_when_the_import_stops(
    tmp_path: Path, url: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import stopped half-way (here a failure inside line 6) keeps every need answered
    before it: full batches were committed as they filled, the last one on the way out."""
    from referral_api.service import recommendations

    monkeypatch.setattr(recommend, "RECORD_BATCH", 2)
    real = recommendations.make_recommendation
    calls = 0

    def failing(*args: object, **kwargs: object) -> recommendations.Recorded:
        nonlocal calls
        calls += 1
        if calls == 6:
            raise RuntimeError("the machine went away")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(recommendations, "make_recommendation", failing)
    path = tmp_path / "backlog.jsonl"
    lines = [
        json.dumps({"need": "we need payroll", "created_at": "2026-11-03T09:00:00Z"})
        for _ in range(8)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("batch", "--record", "--input", str(path), *url)
    assert isinstance(result.exception, RuntimeError)
    monkeypatch.setattr(recommendations, "make_recommendation", real)
    report = json.loads(run("gaps", *WINDOW, "--json", "--kind", "served", *url).output)
    assert report["needs"] == 5  # two batches of 2 committed as they filled, then the 5th


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("stream", "drawn"), [(_Terminal(), True), (io.StringIO(), False)])
def test_the_progress_bar_is_drawn_only_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, stream: io.StringIO, drawn: bool
) -> None:
    monkeypatch.setattr(sys, "stderr", stream)
    items = list(recommend.read_need_lines(['{"need": "payroll"}'] * 3, default_limit=None))
    with recommend._progress(items, "recording") as progress:
        assert len(list(progress)) == 3
    assert ("recording" in stream.getvalue()) is drawn
