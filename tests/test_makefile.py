"""``make run`` says what it is doing: pip's own progress on the install (no ``-q``) and a line
before each step (Issue 19: ~90 s of silent pip on the first start)."""

from __future__ import annotations

import re

from tests.conftest import ROOT

MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")


def recipe(target: str) -> list[str]:
    """The recipe lines of ``target`` (as written, without the leading tab)."""
    found = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", MAKEFILE, re.MULTILINE)
    assert found, target
    return [line[1:] for line in found[1].splitlines()]


def test_pip_is_never_quiet() -> None:
    pip_lines = [line for line in MAKEFILE.splitlines() if "pip install" in line]
    assert len(pip_lines) >= 3
    for line in pip_lines:
        assert not re.search(r"\s-q\b|--quiet", line), line


def test_every_step_is_announced() -> None:
    for target in ("$(BIN)/python", "$(VENV)/.installed-run", "$(VENV)/.installed-dev", "run"):
        lines = recipe(target)
        assert lines[0].startswith("@echo "), (target, lines)
    steps = recipe("run")
    commands = [i for i, line in enumerate(steps) if "$(BIN)/referral" in line]
    assert len(commands) == 4  # migrate, load, keys, serve
    for index in commands:
        assert steps[index - 1].startswith("@echo "), steps[index]
