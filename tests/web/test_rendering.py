"""Templates escape everything: autoescaping is on and nothing is marked safe."""

from __future__ import annotations

import re

from referral_api.web.rendering import TEMPLATES_DIR, environment


def test_autoescaping_is_on_for_every_template() -> None:
    rendered = environment.from_string("{{ x }}").render(x="<img src=x onerror=alert(1)>")
    assert rendered == "&lt;img src=x onerror=alert(1)&gt;"


def test_no_template_marks_anything_safe() -> None:
    for path in TEMPLATES_DIR.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\|\s*safe\b|autoescape\s+false|Markup\(", text), path.name


def test_no_template_has_inline_script_or_style() -> None:
    for path in TEMPLATES_DIR.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\ssrc=)", text), path.name
        assert "<style" not in text, path.name
        assert " style=" not in text, path.name
