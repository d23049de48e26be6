"""Strict checking of the web addresses a catalogue holds (an offering's ``url``, its ``sources``).

They are shown as links and printed in messages for customers, so a prefix check is not
enough: ``http://\\njavascript:alert(1)`` starts with ``http://``. An address is accepted when
``urllib.parse`` reads it as an ``http://`` or ``https://`` URL (lower case) with a host — a
name of letters (of any script, for internationalised names), digits and hyphens, or an IP
address — and a valid port, and it holds no whitespace, control, format or private-use
character anywhere, no backslash, and no user name or password
(``https://bank.example@evil.example``).
"""

from __future__ import annotations

import ipaddress
import unicodedata
from urllib.parse import urlsplit

SCHEMES = frozenset({"http", "https"})
MAX_LENGTH = 2000
EXPECTED = "an http(s) URL with a host, and no spaces or control characters"

# whitespace, control, format (zero-width, bidi overrides), private use, surrogates, unassigned
_UNSEEN = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Co", "Cs", "Cn"})


def url_problem(url: str) -> str | None:
    """What is wrong with ``url`` as a link we show, or ``None`` when nothing is."""
    reason = _reason(url)
    return f"must be {EXPECTED} ({reason})" if reason else None


def _reason(url: str) -> str | None:
    if len(url) > MAX_LENGTH:
        return f"longer than {MAX_LENGTH} characters"
    for char in url:
        if char.isspace() or unicodedata.category(char) in _UNSEEN:
            return f"it holds {_named(char)}"
        if char == "\\":
            return "it holds a backslash"
    try:
        parts = urlsplit(url)
        port = parts.port  # reads the port: ValueError when it is not a number in range
    except ValueError as exc:
        return str(exc).lower()
    if parts.scheme not in SCHEMES or not url.startswith(f"{parts.scheme}://"):
        return "the scheme is not http:// or https://"
    if "@" in parts.netloc:
        return "it carries a user name or password"
    if not _is_host(parts.hostname or "") or (port is None and parts.netloc.endswith(":")):
        return "no valid host"
    return None


def _is_host(host: str) -> bool:
    if host.startswith("[") or ":" in host:  # urlsplit drops an IPv6 literal's brackets
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return False
        return True
    labels = host.rstrip(".").split(".")
    return len(host) <= 253 and all(
        label
        and len(label) <= 63
        and "-" not in (label[0], label[-1])
        and all(char.isalnum() or char == "-" for char in label)
        for label in labels
    )


def _named(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"{char!r} ({name})" if name else repr(char)
