"""Redaction of need texts before they are stored: contact details and card numbers go.

Placeholders keep the sentence readable for product teams: ``[email]``, ``[phone]``, ``[card]``.
Budgets and years survive: a phone number needs a leading ``+`` or separators between groups,
and a card number is 13–19 digits that pass the Luhn check.
"""

from __future__ import annotations

import re

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
CARD = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")
PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d ().-]{5,}\d(?![\d])")


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return "[card]" if 13 <= len(digits) <= 19 and _luhn(digits) else match.group()


def _phone(match: re.Match[str]) -> str:
    text = match.group()
    digits = re.sub(r"\D", "", text)
    grouped = text.startswith("+") or bool(re.search(r"\d[ ().-]+\d", text))
    return "[phone]" if grouped and 7 <= len(digits) <= 15 else text


def redact(text: str) -> str:
    """``text`` with e-mail addresses, card-like numbers and phone numbers replaced."""
    text = EMAIL.sub("[email]", text)
    text = CARD.sub(_card, text)
    return PHONE.sub(_phone, text)
