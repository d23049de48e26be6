"""``referral suggestions``: listed from a recorded backlog, accepted and rejected by a curator."""

from __future__ import annotations

import json
from pathlib import Path

from tests.insights.test_cli import run, url

__all__ = ["url"]

#: needs the demo catalogue does not understand; the engine's nearest guess is online payments
UPI = ["accept upi and paytm on our site", "we want upi and paytm", "upi and paytm for my shop"]


def record(tmp_path: Path, url: list[str], needs: list[str]) -> None:
    path = tmp_path / "upi.jsonl"
    path.write_text("".join(json.dumps({"need": n}) + "\n" for n in needs), encoding="utf-8")
    assert run("batch", "--record", "--input", str(path), *url).exit_code == 0


def test_listed_then_accepted_then_understood(tmp_path: Path, url: list[str]) -> None:
    record(tmp_path, url, UPI)
    listed = run("suggestions", "--json", *url)
    assert listed.exit_code == 0, listed.output
    body = json.loads(listed.stdout)
    [pix] = [s for s in body["data"] if s["phrase"] == "upi and paytm"]
    assert (pix["capability"], pix["support"], pix["language"]) == ("online-payments", 3, "en")
    assert body["scanned"] == 3
    table = run("suggestions", *url)
    assert f"{pix['id']}  “upi and paytm” (en) → Online payments [online-payments]" in table.output
    assert "3 need(s), agreement 67%, 0 by recorded outcome" in table.output

    accepted = run("suggestions", "--accept", pix["id"], *url)
    assert accepted.exit_code == 0, accepted.output
    assert "accepted" in accepted.output
    assert "in catalogue version 2" in accepted.output
    again = run("suggestions", "--accept", pix["id"], *url)
    assert again.exit_code == 1
    assert "already accepted" in again.output
    decided = json.loads(run("suggestions", "--status", "accepted", "--json", *url).stdout)
    assert [(s["id"], s["decided_by"][:4]) for s in decided["data"]] == [(pix["id"], "cli:")]

    # the next look-up (a new engine over the new active version) understands it
    result = run("batch", "--record", "--input", str(tmp_path / "upi.jsonl"), *url)
    answer = json.loads(result.stdout.splitlines()[1])["response"]["interpreted"]
    assert answer["ask_understood"] is True
    assert [c["id"] for c in answer["capabilities"]] == ["online-payments"]


def test_errors_name_the_option_or_the_id(tmp_path: Path, url: list[str]) -> None:
    record(tmp_path, url, UPI)
    missing = run("suggestions", "--reject", "sug_nope", *url)
    assert missing.exit_code == 1
    assert "no suggestion 'sug_nope'" in missing.output
    bad = run("suggestions", "--status", "maybe", *url)
    assert bad.exit_code == 2
    assert "--status:" in bad.output
    pix = json.loads(run("suggestions", "--json", *url).stdout)["data"][0]["id"]
    clash = run("suggestions", "--accept", pix, "--phrase", "payroll", *url)
    assert clash.exit_code == 2
    assert "phrase: 'payroll' already names capability 'payroll'" in clash.output


def test_a_phrase_in_another_language_becomes_a_translation(tmp_path: Path, url: list[str]) -> None:
    record(tmp_path, url, ["necesitamos aceptar upi y paytm en la tienda",
                           "queremos cobrar con upi y paytm"])  # fmt: skip
    body = json.loads(run("suggestions", "--json", *url).stdout)
    [spanish] = [s for s in body["data"] if s["language"] == "es"]
    assert (spanish["phrase"], spanish["capability"]) == ("upi y paytm", "online-payments")
    assert run("suggestions", "--accept", spanish["id"], *url).exit_code == 0
    # the active version holds it under translations.es, not under the English synonyms
    from referral_api.service.catalogue import rebuild
    from referral_api.store.db import Database
    from referral_api.store.repositories import CatalogVersionRepository

    database = Database.from_url(url[1])
    with database.session(write=False) as session:
        version = CatalogVersionRepository(session).active()
        assert version is not None
        capability = rebuild(version).catalog.capabilities["online-payments"]
    database.dispose()
    assert "upi y paytm" in capability.translations["es"]
    assert "upi y paytm" not in capability.synonyms
