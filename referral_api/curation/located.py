"""YAML that remembers where each value came from.

PyYAML's composer keeps a mark on every node; we turn the node tree into plain ``dict``/``list``
subclasses that carry 1-based line numbers, so validation can say ``file:line`` for any field.
Data that did not come from YAML (a stored JSON snapshot) is plain dicts and lists: every helper
here accepts both and answers ``None`` for lines it cannot know.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from referral_api.curation.problems import ProblemLog

_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_BOOL = "tag:yaml.org,2002:bool"
_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[valid-type,misc]
    """Safe loading with YAML 1.2 booleans: only true/false are booleans.

    YAML 1.1 reads ``NO`` (Norway), ``on`` and ``yes`` as booleans, which silently corrupts
    region codes and phrase lists; catalogues should not have to quote them.
    """

    yaml_implicit_resolvers: ClassVar[dict[Any, list[tuple[str, re.Pattern[str]]]]] = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL]
        for first, resolvers in _Base.yaml_implicit_resolvers.items()
    }


_Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class LocatedMap(dict[str, Any]):
    """A mapping with the line of itself and of each key."""

    line: int | None = None
    key_lines: dict[str, int]

    def __init__(self) -> None:
        super().__init__()
        self.key_lines = {}


class LocatedList(list[Any]):
    """A sequence with the line of itself and of each item."""

    line: int | None = None
    item_lines: list[int]

    def __init__(self) -> None:
        super().__init__()
        self.item_lines = []


def line_of(node: Any, key: str | int | None = None) -> int | None:
    """The line of ``node[key]`` (or of ``node`` itself), when known."""
    if key is None:
        return getattr(node, "line", None)
    if isinstance(node, LocatedMap) and isinstance(key, str):
        return node.key_lines.get(key, node.line)
    if isinstance(node, LocatedList) and isinstance(key, int) and 0 <= key < len(node.item_lines):
        return node.item_lines[key]
    return getattr(node, "line", None)


class _Builder:
    def __init__(self, file: str, log: ProblemLog) -> None:
        self.file = file
        self.log = log
        self.constructor = SafeConstructor()

    def build(self, node: yaml.Node) -> Any:
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            self.constructor.flatten_mapping(node)
            result = LocatedMap()
            result.line = line
            for key_node, value_node in node.value:
                key = self.build(key_node)
                key_line = key_node.start_mark.line + 1
                if not isinstance(key, str | int | float | bool):
                    self.log.error(
                        self.file, key_line, "(key)", "mapping keys must be plain scalars"
                    )
                    continue
                key = str(key)
                if key in result:
                    self.log.error(
                        self.file,
                        key_line,
                        key,
                        f"duplicate key (first at line {result.key_lines[key]})",
                    )
                    continue
                result[key] = self.build(value_node)
                result.key_lines[key] = key_line
            return result
        if isinstance(node, yaml.SequenceNode):
            seq = LocatedList()
            seq.line = line
            for item in node.value:
                seq.append(self.build(item))
                seq.item_lines.append(item.start_mark.line + 1)
            return seq
        try:
            return self.constructor.construct_object(node, deep=True)
        except (ConstructorError, ValueError):
            # e.g. a date-shaped value that is not a date (2026-13-45): keep the text, and let
            # field validation report it against the field it belongs to.
            if node.tag == _TIMESTAMP:
                return str(node.value)
            self.log.error(self.file, line, "(value)", f"cannot read value {node.value!r}")
            return None


def load_yaml(path: Path, display: str, log: ProblemLog) -> Any:
    """Parse one YAML file into located values; parse errors are logged with the parser's line.

    Returns ``None`` (and logs) when the file cannot be read or parsed.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        log.error(display, None, "(file)", f"not UTF-8 text: {exc.reason} at byte {exc.start}")
        return None
    except OSError as exc:
        log.error(display, None, "(file)", f"cannot read: {exc.strerror}")
        return None
    return parse_yaml(text, display, log)


def parse_yaml(text: str, display: str, log: ProblemLog) -> Any:
    """Parse YAML text into located values, like :func:`load_yaml` (e.g. a stored snapshot)."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or str(exc)
        context = f" ({exc.context})" if exc.context else ""
        log.error(display, line, "(yaml)", f"not valid YAML: {problem}{context}")
        return None
    except yaml.YAMLError as exc:
        log.error(display, None, "(yaml)", f"not valid YAML: {exc}")
        return None
    if node is None:
        return None
    return _Builder(display, log).build(node)
