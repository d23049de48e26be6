"""Need texts lose contact details and card numbers before storage; budgets and years stay."""

from __future__ import annotations

import pytest

from referral_api.store.redaction import redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail jo.doe+x@example.co.uk today", "mail [email] today"),
        ("call +49 151 2345 6789", "call [phone]"),
        ("call (555) 123-4567 please", "call [phone] please"),
        ("card 4111 1111 1111 1111 failed", "card [card] failed"),
        ("card 4111-1111-1111-1111", "card [card]"),
        # budgets, years, team sizes and plain long numbers are not contact details
        (
            "under $5000 a year since 2026 for 12 people",
            "under $5000 a year since 2026 for 12 people",
        ),
        ("budget 1000000", "budget 1000000"),
        # 16 digits failing the Luhn check are not a card
        ("order 1234 5678 9012 3456", "order 1234 5678 9012 3456"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected
