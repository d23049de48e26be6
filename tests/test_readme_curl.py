"""Every curl of the README works as pasted, in order, against a fresh ``make run``.

The README's ``sh`` blocks that call curl are run as one shell session (its variables carry
from one block to the next, as in a reader's terminal) against a live server on a fresh
database, set up the way ``make run`` sets it up: ``db upgrade``, ``catalog load``, ``keys
bootstrap``. The key the bootstrap prints replaces ``rk_…`` in ``export KEY=rk_…``, as the
README tells the reader to, and the server's address replaces ``http://127.0.0.1:8000``. Each
curl must answer 2xx, and JSON when it says it is JSON. Once on SQLite, once on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from referral_api.config import Environment, Settings
from referral_api.server import create_app
from referral_api.store.db import Database
from tests.conftest import CATALOG_DIR, IN_CI, ROOT, RULES_DIR, postgres_schema
from tests.web.live import free_port, serve_app

README = ROOT / "README.md"
#: the command `make run` runs
REFERRAL = str(Path(sys.executable).with_name("referral"))
DEFAULT_BASE = "http://127.0.0.1:8000"
PLACEHOLDER_KEY = "rk_…"

# Wraps curl for the run: the body still goes where the README sends it (a pipe, a file),
# and a copy of it and its status land in $CURL_LOG, one numbered call at a time (counted in a
# file: a curl in a pipeline runs in a subshell of its own).
CURL_SHIM = r"""
set -eo pipefail
curl() {
    local n=$(( $(cat "$CURL_LOG/count" 2>/dev/null || echo 0) + 1 ))
    echo "$n" > "$CURL_LOG/count"
    command curl --write-out "%{stderr}$n %{http_code} %{content_type}\n" "$@" \
        2>> "$CURL_LOG/status" | tee "$CURL_LOG/$n.body"
}
"""


def sh_blocks(markdown: str) -> list[str]:
    """The README's ``sh`` code blocks, in order."""
    return re.findall(r"^```sh\n(.*?)^```", markdown, flags=re.MULTILINE | re.DOTALL)


def curl_blocks(markdown: str) -> list[str]:
    """The ``sh`` blocks that call curl: these are run, whole and in order."""
    return [block for block in sh_blocks(markdown) if re.search(r"^\s*curl ", block, re.M)]


def curl_count(blocks: list[str]) -> int:
    # (a curl inside a command substitution runs too: "ID=$(curl -s …)")
    return sum(len(re.findall(r"^\s*curl |\$\(curl ", block, re.M)) for block in blocks)


def test_the_readme_has_curl_blocks_and_the_key_placeholder() -> None:
    """(So that the live test below cannot pass by running nothing.)"""
    blocks = curl_blocks(README.read_text(encoding="utf-8"))
    assert curl_count(blocks) >= 15
    assert f"export KEY={PLACEHOLDER_KEY}" in blocks[0]
    assert f"export API={DEFAULT_BASE}" in blocks[0]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: ``make run`` migrates it."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/readme.db"
        return
    with postgres_schema("readme") as url:
        yield url


def make_run_setup(database_url: str, port: int) -> str:
    """What ``make run`` does before it serves (the same commands, each a process of its own);
    the admin key the bootstrap printed."""
    env = {
        **os.environ,
        "REFERRAL_DATABASE_URL": database_url,
        "REFERRAL_CATALOG_DIR": str(CATALOG_DIR),
        "REFERRAL_RULES_DIR": str(RULES_DIR),
        "REFERRAL_PORT": str(port),
    }
    output = ""
    for command in (["db", "upgrade"], ["catalog", "load", "--if-changed"], ["keys", "bootstrap"]):
        done = subprocess.run(
            [REFERRAL, *command],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        output = done.stdout
    found = re.search(r"REFERRAL_KEY=(rk_\S+)", output)
    assert found, output
    return found[1]


def test_every_readme_curl_works_as_pasted_in_order(database_url: str, tmp_path: Path) -> None:
    bash, curl = shutil.which("bash"), shutil.which("curl")
    if bash is None or curl is None:
        reason = "the README's examples need bash and curl"
        if IN_CI:
            pytest.fail(f"{reason} (mandatory under CI=true)")
        pytest.skip(reason)
    port = free_port()
    key = make_run_setup(database_url, port)
    base = f"http://127.0.0.1:{port}"
    blocks = curl_blocks(README.read_text(encoding="utf-8"))
    script = "\n".join(blocks)
    assert f"export KEY={PLACEHOLDER_KEY}" in script
    script = script.replace(f"export KEY={PLACEHOLDER_KEY}", f"export KEY={key}", 1)
    script = script.replace(DEFAULT_BASE, base)
    log = tmp_path / "curl"
    log.mkdir()
    work = tmp_path / "reader"  # the reader's working directory (files the examples write)
    work.mkdir()
    settings = Settings(
        env=Environment.TEST, database_url=database_url, catalog_dir=CATALOG_DIR,
        rules_dir=RULES_DIR, port=port,
    )  # fmt: skip
    database = Database.from_url(database_url)
    try:
        with serve_app(create_app(settings, database=database), port=port):
            run = subprocess.run(
                [bash, "-c", CURL_SHIM + script],
                cwd=work,
                env={**os.environ, "CURL_LOG": str(log)},
                capture_output=True,
                text=True,
                timeout=120,
            )
    finally:
        database.dispose()
    statuses = (log / "status").read_text().splitlines() if (log / "status").exists() else []
    assert run.returncode == 0, (run.stderr[-2000:], statuses)
    assert len(statuses) == curl_count(blocks), statuses  # every curl ran
    for line in statuses:
        number, status, *content_type = line.split(" ", 2)
        body = (log / f"{number}.body").read_text(encoding="utf-8")
        assert status.startswith("2"), (line, body[:2000])
        if "json" in "".join(content_type):
            json.loads(body)
