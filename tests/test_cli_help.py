"""``--help`` on every command reads cleanly: no type label on flags (``--help <bool>``) and no
help text whose ``[…]`` part was eaten as markup ("Catalogue directory .")."""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from referral_api.cli import app


def _command_paths() -> list[tuple[str, ...]]:
    root = typer.main.get_command(app)
    paths: list[tuple[str, ...]] = [()]

    def walk(command: object, path: tuple[str, ...]) -> None:
        # (typer carries its own copy of click: groups are told by their commands)
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            paths.append((*path, name))
            walk(sub, (*path, name))

    walk(root, ())
    return paths


COMMANDS = _command_paths()


def test_every_command_is_walked() -> None:
    """The walk finds the groups and their commands (so the test below cannot pass on none)."""
    assert {("catalog", "validate"), ("keys", "bootstrap"), ("serve",), ("recommend",)} <= set(
        COMMANDS
    )


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "referral")
def test_help_reads_cleanly(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    text = result.output
    assert "Usage:" in text
    assert "<bool>" not in text
    # a sentence ending in " ." is what is left of "… [env X]." after markup ate the brackets
    assert not re.search(r"\w \.(\s|$)", text), text
    assert "--help" in text
