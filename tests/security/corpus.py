"""A hostile input corpus, kept as data: values to put in any field, and whole raw bodies.

:data:`VALUES` are JSON values (strings, numbers, wrong types, deep structures) that
``test_corpus.py`` places into every field of every input route; :data:`RAW_BODIES` are byte
strings sent as a whole body (invalid JSON, invalid UTF-8, NaN, huge, empty);
:data:`RAW_QUERIES` are percent-encoded query values no JSON value can express.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

NEED_MAX = 2000
BODY_MAX = 64 * 1024


@dataclass(frozen=True)
class Case:
    """One hostile input: a name to report, and the value."""

    name: str
    value: Any


def _nested(depth: int, *, kind: str) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value] if kind == "list" else {"a": value}
    return value


SQL = [
    "' OR 1=1 --",
    "'; DROP TABLE recommendations; --",
    '"; DROP TABLE recommendations; --',
    "1; DELETE FROM api_keys",
    "' UNION SELECT secret_hash FROM api_keys --",
    "admin'--",
    "%' OR '%'='",
    "') OR ('1'='1",
    "1' AND SLEEP(5)#",
    "'; SELECT pg_sleep(5); --",
    "\\'; DROP TABLE outcomes; --",
    "' || (SELECT name FROM sqlite_master) || '",
    "$$; DROP TABLE catalog_versions; $$",
    "invoicing' OR capability LIKE '%",
    "1e309",
]
XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
    "</textarea><script>alert(1)</script>",
    "{{7*7}}",  # template injection
    "${7*7}",
    "{% raw %}{{ config }}{% endraw %}",
    "<iframe src=//evil.example>",
    "' onmouseover='alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "&lt;script&gt;",
]
UNICODE = [
    "\u202eevil\u202c invoicing",  # right-to-left override
    "فواتير ورواتب",  # Arabic (RTL)
    "חשבוניות",  # Hebrew
    "請求書と給与",  # CJK
    "invoices 🎉🧾💳",
    "👩‍👩‍👧‍👦" * 50,  # zero-width joiner sequences
    "e\u0301" * 500,  # combining marks
    "Z̴̡̢̛̗̘̙̜̝̞̟̠̀́̂̃̄̅̆̇̉̊̋̌" * 20,  # stacked combining marks ("zalgo")
    "\ufeffinvoices",  # byte order mark
    "\u200b\u200c\u200d",  # zero-width only
    "\ud7ff\ue000\ufffd",
    "𝕚𝕟𝕧𝕠𝕚𝕔𝕖𝕤",  # mathematical alphanumerics (astral plane)
    "ｉｎｖｏｉｃｅｓ",  # full-width
    "İnvoıces",  # Turkish dotted/dotless i
    "\u2028line\u2029paragraph",
    "\u0085next line",
]
CONTROL = [f"invoices{chr(code)}payroll" for code in [*range(0x20), 0x7F]]
LENGTHS = [
    "",
    " ",
    "\t\n\r ",
    "a",
    "x" * NEED_MAX,
    "invoices " * (NEED_MAX // 9),
    "x" * (NEED_MAX + 1),
    "x" * 10_000,
    "é" * NEED_MAX,  # 2,000 characters, 4,000 bytes
    "🎉" * (NEED_MAX + 1),  # over the limit in characters, astral
]
HEADERS_AND_LOGS = [
    "invoices\r\nX-Injected: 1",
    "invoices\n2026-11-23 ERROR forged log line",
    "\x1b[31mred\x1b[0m",
    "../../../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "C:\\Windows\\system32",
    "%00",
    "%s%s%s%n",
    "{0.__class__.__mro__}",
    "__proto__",
    "constructor",
    "null",
    "undefined",
    "NaN",
    "true",
    "0x41",
]
NEAR_VALID = [  # look like real values, are not quite
    "DE",
    "de",
    "XX",
    "global",
    "EU",
    "invoicing",
    "invoicing ",
    "INVOICING",
    "invoicng",
    "ios",
    "subscription",
    "accepted",
    "ACCEPTED",
    "ledger-own",
    "ledger-own/../pay-rival",
    "rec_0",
    "rk_000000000000_x",
    "https://evil.example",
    "//evil.example",
    "50",
    "-1",
    "1e3",
    "0x10",
    "½",
]
NUMBERS: list[Any] = [
    0,
    -1,
    1,
    50,
    51,
    2**31,
    2**63,
    -(2**63) - 1,
    10**30,
    0.5,
    -0.0,
    1e-320,  # subnormal
    1e308,
    -1e308,
    3.4028235e38,
    1.7976931348623157e308,
    123456789.123456789,
    1e9,
    1e9 + 1,
]
TYPES: list[Any] = [
    None,
    True,
    False,
    [],
    {},
    [None],
    ["invoicing"],
    {"need": "invoices"},
    [1, "two", None, {"three": 3}],
    {"$ne": None},  # NoSQL-style operator
    {"$where": "1 == 1"},
    {"__class__": "x"},
    _nested(30, kind="list"),
    _nested(30, kind="dict"),
    _nested(200, kind="list"),
    _nested(200, kind="dict"),
    ["x" * 80] * 25,  # more list items than any list allows
    {f"k{i}": "full" for i in range(250)},  # more keys than any mapping allows
]

VALUES: list[Case] = [
    *(Case(f"sql-{i}", value) for i, value in enumerate(SQL)),
    *(Case(f"sql-after-text-{i}", f"invoices {value}") for i, value in enumerate(SQL)),
    *(Case(f"xss-{i}", value) for i, value in enumerate(XSS)),
    *(Case(f"near-valid-{i}", value) for i, value in enumerate(NEAR_VALID)),
    *(Case(f"unicode-{i}", value) for i, value in enumerate(UNICODE)),
    *(Case(f"control-{ord(value[8]):02x}", value) for value in CONTROL),
    *(Case(f"length-{len(value)}-{i}", value) for i, value in enumerate(LENGTHS)),
    *(Case(f"text-{i}", value) for i, value in enumerate(HEADERS_AND_LOGS)),
    *(Case(f"number-{i}", value) for i, value in enumerate(NUMBERS)),
    *(Case(f"type-{i}", value) for i, value in enumerate(TYPES)),
]


def _deep(depth: int) -> bytes:
    return b'{"need": ' + b"[" * depth + b"1" + b"]" * depth + b"}"


RAW_BODIES: list[Case] = [
    Case("body-empty", b""),
    Case("body-whitespace", b"   \n\t"),
    Case("body-null", b"null"),
    Case("body-array", b"[]"),
    Case("body-string", b'"invoices"'),
    Case("body-number", b"42"),
    Case("body-truncated", b'{"need": "invoices'),
    Case("body-trailing-comma", b'{"need": "invoices",}'),
    Case("body-single-quotes", b"{'need': 'invoices'}"),
    Case("body-comments", b'{"need": "invoices" /* hi */}'),
    Case("body-duplicate-keys", b'{"need": "invoices", "need": "' + b"x" * 3000 + b'"}'),
    Case("body-nan", b'{"need": "invoices", "limit": NaN, "constraints": {"budget_monthly": NaN}}'),
    Case("body-infinity", b'{"need": "invoices", "constraints": {"budget_monthly": Infinity}}'),
    Case("body--infinity", b'{"need": "invoices", "constraints": {"budget_monthly": -Infinity}}'),
    Case("body-huge-int", b'{"need": "invoices", "limit": ' + b"9" * 5000 + b"}"),
    Case("body-huge-exponent", b'{"need": "invoices", "limit": 1e999999}'),
    Case("body-invalid-utf8", b'{"need": "invoices \xff\xfe"}'),
    Case("body-overlong-utf8", b'{"need": "\xc0\xaf"}'),
    Case("body-lone-surrogate-escape", b'{"need": "\\ud800 invoices"}'),
    Case("body-utf16-body", '{"need": "invoices"}'.encode("utf-16")),
    Case("body-nul-escape", b'{"need": "invoices\\u0000payroll"}'),
    Case("body-raw-nul", b'{"need": "invoices\x00payroll"}'),
    Case("body-deep-100", _deep(100)),
    Case("body-deep-10000", _deep(10_000)),
    Case("body-deep-30000", _deep(30_000)),
    Case("body-deep-50000-over-the-limit", _deep(50_000)),
    Case("body-over-body-limit", b'{"need": "' + b"x" * BODY_MAX + b'"}'),
    Case("body-just-under-body-limit", b'{"need": "' + b"x" * (BODY_MAX - 20) + b'"}'),
    Case("body-bom", b'\xef\xbb\xbf{"need": "invoices"}'),
    Case("body-form-encoded", b"need=invoices&limit=5"),
]

RAW_QUERIES: list[Case] = [
    Case("query-invalid-utf8", "%FF%FE"),
    Case("query-overlong", "%C0%AF"),
    Case("query-nul", "%00"),
    Case("query-crlf", "%0D%0AX-Injected:%201"),
    Case("query-lone-surrogate", "%ED%A0%80"),
    Case("query-percent", "%"),
    Case("query-plus", "+++"),
]

#: every case the corpus holds
SIZE = len(VALUES) + len(RAW_BODIES) + len(RAW_QUERIES)
