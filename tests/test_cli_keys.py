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
    again = runner.invoke(app, ["keys", "bootstrap", *url])
    assert "keys exist" in again.output
