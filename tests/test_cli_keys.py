"""``referral keys bootstrap``: the first start prints what a person needs to try every surface."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from referral_api.cli import app


def test_first_start_prints_an_admin_key_the_console_and_a_widget_demo(tmp_path: Path) -> None:
    url = ["--database-url", f"sqlite:///{tmp_path / 'first.db'}"]
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade", *url]).exit_code == 0
    first = runner.invoke(app, ["keys", "bootstrap", *url, "--port", "8123"])
    assert first.exit_code == 0, first.output
    assert re.search(r"REFERRAL_KEY=rk_\w+", first.output)
    assert "http://127.0.0.1:8123/console" in first.output
    assert re.search(r"http://127\.0\.0\.1:8123/widget-demo\?key=pk_\w+", first.output)
    listed = runner.invoke(app, ["keys", "list", *url]).output
    assert "origins=http://127.0.0.1:8123" in listed  # the demo key works on this server only
    again = runner.invoke(app, ["keys", "bootstrap", *url, "--port", "8123"])
    assert again.exit_code == 0, again.output
    assert "Keys exist" in again.output


def test_a_later_start_reprints_the_console_the_widget_demo_and_how_to_get_a_key(
    tmp_path: Path,
) -> None:
    """Issue 19: a second `make run` printed only "keys exist"."""
    url = ["--database-url", f"sqlite:///{tmp_path / 'again.db'}", "--port", "8123"]
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade", *url[:2]]).exit_code == 0
    first = runner.invoke(app, ["keys", "bootstrap", *url]).output
    again = runner.invoke(app, ["keys", "bootstrap", *url])
    assert again.exit_code == 0, again.output
    assert "REFERRAL_KEY=" not in again.output  # no new admin key
    assert "http://127.0.0.1:8123/console" in again.output
    old = re.search(r"widget-demo\?key=(pk_\w+)", first)
    new = re.search(r"http://127\.0\.0\.1:8123/widget-demo\?key=(pk_\w+)", again.output)
    assert old
    assert new
    assert old[1] != new[1]
    assert "keys create --name me --scopes admin" in again.output
    listed = runner.invoke(app, ["keys", "list", "--all", *url[:2]]).output.splitlines()
    demo = [line for line in listed if "local widget demo" in line]
    # the one printed works; the one it replaces (only its hash is kept) is revoked
    assert len(demo) == 2, listed
    assert sum("revoked" in line for line in demo) == 1, listed


def test_a_later_start_makes_no_demo_key_where_there_was_none(tmp_path: Path) -> None:
    url = ["--database-url", f"sqlite:///{tmp_path / 'ops.db'}"]
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade", *url]).exit_code == 0
    assert runner.invoke(app, ["keys", "create", *url, "--name", "ops", "--scopes", "admin"])
    again = runner.invoke(app, ["keys", "bootstrap", *url])
    assert again.exit_code == 0, again.output
    assert "widget-demo" not in again.output
    assert "/console" in again.output
