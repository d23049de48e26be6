"""Typed reads of one mapping's fields, logging a located problem for every bad value."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeVar

import pycountry
from rapidfuzz import process

from referral_api.curation.located import line_of
from referral_api.curation.problems import ProblemLog
from referral_api.curation.urls import url_problem

E = TypeVar("E", bound=StrEnum)


def did_you_mean(value: str, choices: Collection[str]) -> str:
    """`` (did you mean 'x'?)`` when a close choice exists, else an empty string."""
    match = process.extractOne(value, list(choices), score_cutoff=70) if choices else None
    return f" (did you mean {match[0]!r}?)" if match else ""


def freeze(value: Any) -> Any:
    """A deep, read-only copy of plain YAML/JSON data (for fields kept as-is)."""
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Plain, JSON-friendly data from a frozen value (the inverse of :func:`freeze`)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [thaw(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _describe(value: Any) -> str:
    """What a YAML/JSON value is, in a curator's words."""
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return f"a number ({value!r})"
    return type(value).__name__


class FieldReader:
    """Reads the fields of one mapping (an offering, a capability, a rule) into typed values."""

    def __init__(self, data: Mapping[str, Any], file: str, prefix: str, log: ProblemLog) -> None:
        self.data = data
        self.file = file
        self.prefix = prefix
        self.log = log

    def line(self, key: str | None = None) -> int | None:
        return line_of(self.data, key)

    def path(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def error(self, key: str, message: str) -> None:
        self.log.error(self.file, self.line(key), self.path(key), message)

    def warn(self, key: str, message: str) -> None:
        self.log.warn(self.file, self.line(key), self.path(key), message)

    def has(self, key: str) -> bool:
        return key in self.data and self.data[key] is not None

    def string(self, key: str, *, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.log.error(self.file, self.line(), self.path(key), "required field is missing")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.error(key, f"must be text, not {type(value).__name__}")
            return None
        text = str(value).strip()
        if not text:
            if required:
                self.error(key, "must not be empty")
            return None
        return text

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple):
            self.error(key, f"must be a list of text, not {type(value).__name__}")
            return ()
        out: list[str] = []
        for index, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                line = line_of(value, index) or self.line(key)
                self.log.error(self.file, line, f"{self.path(key)}[{index}]", "must be text")
                continue
            text = str(item).strip()
            if text:
                out.append(text)
        return tuple(out)

    def translations(self, key: str) -> Mapping[str, tuple[str, ...]]:
        """Phrases per language: ISO 639-1 code → phrases, each list read like :meth:`strings`.

        Codes are case-insensitive and kept in lower case; a language without phrases is dropped.
        """
        data = self.data.get(key)
        if data is None:
            return MappingProxyType({})
        if not isinstance(data, Mapping):
            self.error(key, f"must be a mapping of language code → phrases, not {_describe(data)}")
            return MappingProxyType({})
        nested = self.nested(key, data)
        out: dict[str, tuple[str, ...]] = {}
        for raw, value in data.items():
            code = str(raw).strip().lower()
            if len(code) != 2 or pycountry.languages.get(alpha_2=code) is None:
                hint = " (e.g. 'es', 'fr', 'de')"
                nested.error(raw, f"{raw!r} is not an ISO 639-1 language code{hint}")
                continue
            if code in out:
                nested.error(raw, f"language {code!r} is given twice")
                continue
            if value is not None and not isinstance(value, str | list | tuple):
                nested.error(raw, f"must be a list of phrases, not {_describe(value)}")
                continue
            phrases = nested.strings(raw)
            if phrases:
                out[code] = phrases
        return MappingProxyType(out)

    def url(self, key: str) -> str | None:
        """An http(s) link we may show (see :func:`~referral_api.curation.urls.url_problem`)."""
        url = self.string(key)
        problem = url_problem(url) if url is not None else None
        if problem:
            self.error(key, f"{problem}, not {url!r}")
            return None
        return url

    def urls(self, key: str) -> tuple[str, ...]:
        """A list of http(s) links; each bad one is a problem at its own line."""
        value = self.data.get(key)
        urls = self.strings(key)
        kept = []
        for index, url in enumerate(urls):
            problem = url_problem(url)
            if problem:
                line = (line_of(value, index) if isinstance(value, list) else None) or self.line(
                    key
                )
                self.log.error(
                    self.file, line, f"{self.path(key)}[{index}]", f"{problem}, not {url!r}"
                )
            else:
                kept.append(url)
        return tuple(kept)

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(key, f"must be true or false, not {value!r}")
            return default
        return value

    def number(self, key: str, *, minimum: float | None = None) -> float | None:
        value = self.data.get(key)
        if value is None:
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            self.error(key, f"must be a number, not {value!r}")
            return None
        if minimum is not None and value < minimum:
            self.error(key, f"must be at least {minimum:g}, not {value:g}")
            return None
        return float(value)

    def integer(self, key: str, *, minimum: int | None = None) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(key, f"must be a whole number, not {value!r}")
            return None
        if minimum is not None and value < minimum:
            self.error(key, f"must be at least {minimum}, not {value}")
            return None
        return value

    def date(self, key: str) -> dt.date | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.error(key, f"must be a date as YYYY-MM-DD, not {value!r}")
        return None

    def choice(self, key: str, enum: type[E], *, required: bool = False) -> E | None:
        text = self.string(key, required=required)
        if text is None:
            return None
        try:
            return enum(text.lower())
        except ValueError:
            allowed = " | ".join(member.value for member in enum)
            hint = did_you_mean(text.lower(), [member.value for member in enum])
            self.error(key, f"must be one of {allowed}, not {text!r}{hint}")
            return None

    def mapping(self, key: str, *, required: bool = False) -> Mapping[str, Any] | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.log.error(self.file, self.line(), self.path(key), "required field is missing")
            return None
        if not isinstance(value, Mapping):
            self.error(key, f"must be a mapping, not {type(value).__name__}")
            return None
        return value

    def nested(self, key: str, data: Mapping[str, Any]) -> FieldReader:
        return FieldReader(data, self.file, self.path(key), self.log)

    def unknown_keys(self, known: Collection[str]) -> list[str]:
        return [key for key in self.data if key not in known]

    def warn_unknown(self, known: Collection[str]) -> None:
        for key in self.unknown_keys(known):
            self.warn(key, f"unknown field, ignored{did_you_mean(key, known)}")

    def extra(self, known: Collection[str]) -> Mapping[str, Any]:
        return MappingProxyType({key: freeze(self.data[key]) for key in self.unknown_keys(known)})
