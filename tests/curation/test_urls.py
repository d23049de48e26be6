"""Offering links are parsed strictly: http(s), a host, nothing blank or unseen anywhere.

Issue 16, defect 8: ``http://\\njavascript:alert(1)`` passed the prefix check, and was shown as
a link and printed in the message for the customer. That links and the message show only what
passes: ``tests/web/test_views.py``.
"""

from __future__ import annotations

import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referral_api.curation.urls import url_problem

GOOD = [
    "https://example.com",
    "http://example.com/",
    "https://books.example/pricing?plan=small&currency=EUR#fees",
    "https://exämple.de/preise",
    "https://пример.рф/",
    "https://xn--exmple-cua.de/",
    "http://127.0.0.1:8000/x",
    "http://[::1]:8080/",
    "https://example.com.",
    "https://example.com/a%20b",
]

BAD = [
    "http://\njavascript:alert(1)",
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "ftp://example.com/",
    "//example.com/",
    "http:/example.com",
    "http://",
    "https:///path",
    "https://:443/",
    "https:// example.com",
    "https://example.com /x",
    "https://example.com/\tx",
    "https://example.com/x\r\n",
    "https://example.com/\x00",
    "https://example.com/\x7f",
    "https://example.com/\u200b",
    "https://example.com/\u202e",
    "https://example.com/\u2028",
    "https://exa\u00a0mple.com",
    "https://user:pass@example.com",
    "https://example.com@evil.example",
    "https://example.com\\@evil.example",
    "https://example.com:99999/",
    "https://example.com:port/",
    "https://example.com:/",
    "https://-example.com/",
    "https://exa_mple.com/",
    "https://[not-ipv6]/",
    "HTTPS://EXAMPLE.COM/",
    "https://example.com/" + "a" * 2000,
]


@pytest.mark.parametrize("url", GOOD)
def test_well_formed_links_are_accepted(url: str) -> None:
    assert url_problem(url) is None


@pytest.mark.parametrize("url", BAD)
def test_malformed_links_are_refused(url: str) -> None:
    problem = url_problem(url)
    assert problem is not None
    assert problem.startswith("must be an http(s) URL")


#: every character that is blank, a control, a format character or unassigned-looking
UNSEEN = st.characters(
    categories=["Zs", "Zl", "Zp", "Cc", "Cf", "Co"], max_codepoint=sys.maxunicode
) | st.sampled_from(" \t\n\r\x0b\x0c\x85")


@given(
    url=st.sampled_from(GOOD),
    char=UNSEEN,
    position=st.integers(min_value=0, max_value=2000),
)
def test_a_blank_or_unseen_character_anywhere_is_refused(
    url: str, char: str, position: int
) -> None:
    """Whatever well-formed link, and wherever in it a whitespace, control, format or
    private-use character is put, the link is refused."""
    at = position % (len(url) + 1)
    tainted = url[:at] + char + url[at:]
    assert url_problem(tainted) is not None
