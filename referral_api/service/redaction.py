"""Redaction of need texts before they are stored: contact details and card numbers go.

Placeholders keep the sentence readable for product teams: ``[email]``, ``[phone]``, ``[card]``.

Customers write numbers with whatever their keyboard or word processor gives them: no-break and
thin spaces, non-breaking hyphens, en dashes, full-width or Arabic-Indic digits. So the text is
first *normalised* character by character (every Unicode space or invisible format character
becomes a space, every dash a hyphen, every decimal digit its ASCII digit, full-width
punctuation its ASCII form). Each character maps to exactly one character, so a span found in
the normalised text is the same span of the original, and only the spans found are replaced:
the rest of the text is stored as it was written.

In the normalised text:

- **e-mail addresses** are found around each ``@``: a local part of Unicode letters, marks,
  digits and the RFC 5322/6531 specials, and a domain of at least two labels of Unicode letters,
  marks, digits and hyphens (internationalised domains as written, or their ``xn--`` form)
  whose last label is at least two letters;
- **card numbers** are 13–19 digits, written together or in groups with any separators, that
  pass the Luhn check;
- **phone numbers** are what ``phonenumbers``' ``PhoneNumberMatcher`` (Google's
  libphonenumber) finds: any valid number in international form (``+44 20 7946 0958``,
  ``0044 20 7946 0958``), any valid personal (fixed, mobile, VoIP) number in the national form
  of one of :data:`PHONE_REGIONS`, with its trunk ``0`` where the country dials one
  (``415-555-2671``, ``020 7946 0958``, ``0151 23456789``), and any possible North American
  number written grouped like one (``(555) 123-4567``, ``555-1234``; not ``1 000 000``).

Budgets, years, team sizes and dates survive: the matcher refuses slashed dates, times and
numbers glued to letters or currency signs; a match that reads as a date (``07.12.2026``, also
a valid German number) is kept; a bare run of digits is a phone number only if it is a valid
one. The matcher is asked only about runs of at least seven digits, and a text with more such
runs than a need has (a list of numbers) has all of them replaced without asking it, so a
2,000-character need costs at most a few tens of milliseconds.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

from referral_api.domain import REDACTED_KINDS, redaction_placeholder

#: Regions whose national formats are recognised (international numbers are found whatever
#: their country). The catalogue's largest markets; ``US`` covers the whole North American
#: numbering plan (Canada and the Caribbean too).
PHONE_REGIONS: tuple[str, ...] = ("US", "GB", "DE", "FR", "AU", "IE", "ES", "NL", "IT")

#: The region whose *possible* (not necessarily assigned) numbers are also redacted when they are
#: written grouped like a phone number, so fictional or not-yet-assigned ones go too.
LENIENT_REGION = "US"

# Fewer digits than this (country code included) and it is no phone number we look for.
_MIN_PHONE_DIGITS = 7
_CARD_DIGITS = range(13, 20)
# More runs of phone-like digits than this, or more digits in them all, and the text is a list
# of numbers: each run is replaced without asking the matcher (which costs about 0.25 ms a
# number and region, on the event loop).
_MAX_PHONE_CLUSTERS = 8
_MAX_PHONE_DIGITS = 80

# Numbers a person may be reached on. A national-format match of another type (a service
# number such as Australia's six-digit 13 xx xx, toll-free, premium rate) is not personal
# data, and too often the same digits as an amount ("130 000 EUR").
_PERSONAL_TYPES = frozenset(
    {
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        phonenumbers.PhoneNumberType.VOIP,
        phonenumbers.PhoneNumberType.PERSONAL_NUMBER,
        phonenumbers.PhoneNumberType.PAGER,
    }
)

#: of two overlapping finds, the kind named first wins
_PRIORITY = {kind: rank for rank, kind in enumerate(REDACTED_KINDS)}

# Characters that stand for an ASCII one but are not NFKC-equivalent to it (or whose NFKC form
# is several characters, which would shift every later position).
_EXTRA = {
    "\u2212": "-",  # minus sign
    "\u2043": "-",  # hyphen bullet
    "\u3002": ".",  # ideographic full stop (also a domain label separator)
    "\uff61": ".",  # half-width ideographic full stop
    "\u2024": ".",  # one dot leader
}

# RFC 5322 atext specials, allowed in a local part besides letters, marks and digits.
_LOCAL_SPECIALS = frozenset("!#$%&'*+/=?^_`{|}~-.")


@lru_cache(maxsize=4096)
def _normal_char(char: str) -> str:
    """One character standing for ``char`` when looking for numbers and addresses."""
    if char.isascii():
        return char
    if char in _EXTRA:
        return _EXTRA[char]
    digit = unicodedata.decimal(char, None)
    if digit is not None:
        return str(digit)
    category = unicodedata.category(char)
    if category == "Zs" or category == "Cf" or char in "\u2028\u2029\x85":
        return " "
    if category == "Pd":
        return "-"
    folded = unicodedata.normalize("NFKC", char)
    if len(folded) == 1 and folded.isascii() and not folded.isalnum():
        return folded  # full-width @ + ( ) . and the like
    return char


def normalise(text: str) -> str:
    """``text`` with separators, dashes and digits in ASCII; the same length as ``text``."""
    return "".join(_normal_char(char) for char in text)


@dataclass(frozen=True, slots=True)
class _Span:
    start: int
    end: int
    kind: str


def redact(text: str) -> str:
    """``text`` with e-mail addresses, card numbers and phone numbers replaced."""
    normal = normalise(text)
    spans = [*_emails(normal), *_cards(normal), *_phones(normal)]
    if not spans:
        return text
    parts: list[str] = []
    position = 0
    for span in _merged(spans):
        parts.append(text[position : span.start])
        parts.append(redaction_placeholder(span.kind))
        position = span.end
    parts.append(text[position:])
    return "".join(parts)


def _merged(spans: list[_Span]) -> Iterator[_Span]:
    """Overlapping spans as one, of the most specific kind (e-mail, then card, then phone)."""
    spans = sorted(spans, key=lambda span: span.start)
    current = spans[0]
    for span in spans[1:]:
        if span.start < current.end:
            kind = min(current.kind, span.kind, key=_PRIORITY.__getitem__)
            current = _Span(current.start, max(current.end, span.end), kind)
        else:
            yield current
            current = span
    yield current


# -- e-mail ----------------------------------------------------------------------------------


def _local_char(char: str) -> bool:
    return char.isalnum() or char in _LOCAL_SPECIALS or unicodedata.category(char)[0] == "M"


def _domain_char(char: str) -> bool:
    return char.isalnum() or char in "-." or unicodedata.category(char)[0] == "M"


def _emails(normal: str) -> Iterator[_Span]:
    at = normal.find("@")
    while at != -1:
        start = at
        while start > 0 and _local_char(normal[start - 1]):
            start -= 1
        while start < at and normal[start] == ".":
            start += 1
        end = at + 1
        while end < len(normal) and _domain_char(normal[end]):
            end += 1
        while end > at + 1 and normal[end - 1] in ".-":
            end -= 1
        if start < at:
            domain = _domain(normal[at + 1 : end])
            if domain:
                yield _Span(start, at + 1 + len(domain), "email")
        at = normal.find("@", at + 1)


def _domain(written: str) -> str:
    """The longest run of ``written``'s leading labels that makes a domain ("" if none):
    ``example.de.a`` (a sentence glued on after the dot) gives ``example.de``. One pass."""
    labels = written.split(".")
    longest = 0
    for count, label in enumerate(labels, start=1):
        if not label or "-" in (label[0], label[-1]):
            break
        if count >= 2 and _is_top_level(label):
            longest = count
    return ".".join(labels[:longest])


def _is_top_level(label: str) -> bool:
    if label.startswith("xn--"):
        return len(label) > 4
    return len(label) >= 2 and all(char.isalpha() or _is_mark(char) for char in label)


def _is_mark(char: str) -> bool:
    return unicodedata.category(char)[0] == "M"


def _is_digit(char: str) -> bool:
    """An ASCII digit (``str.isdigit`` also takes superscripts, which ``int`` refuses)."""
    return "0" <= char <= "9"


# -- cards -----------------------------------------------------------------------------------

# Between two groups of a card number: up to two of these (``4111 1111``, ``4111 - 1111``).
_CARD_SEPARATORS = frozenset(" -./")


def _digit_groups(normal: str) -> Iterator[list[tuple[int, int]]]:
    """Runs of digit groups, each group as (start, end), joined by short separators."""
    run: list[tuple[int, int]] = []
    index = 0
    length = len(normal)
    while index < length:
        if not _is_digit(normal[index]):
            index += 1
            continue
        start = index
        while index < length and _is_digit(normal[index]):
            index += 1
        if run:
            gap = normal[run[-1][1] : start]
            if not (len(gap) <= 2 and set(gap) <= _CARD_SEPARATORS):
                yield run
                run = []
        run.append((start, index))
    if run:
        yield run


def luhn(digits: str) -> bool:
    """Whether ``digits`` (ASCII) pass the Luhn check card numbers carry."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _cards(normal: str) -> Iterator[_Span]:
    for run in _digit_groups(normal):
        first = 0
        while first < len(run):
            found = None
            digits = ""
            for last in range(first, len(run)):
                digits += normal[run[last][0] : run[last][1]]
                if len(digits) > _CARD_DIGITS.stop - 1:
                    break
                if len(digits) in _CARD_DIGITS and luhn(digits):
                    found = last  # the longest card starting at this group
            if found is None:
                first += 1
                continue
            yield _Span(run[first][0], run[found][1], "card")
            first = found + 1


# -- phones ----------------------------------------------------------------------------------


# What a phone number is written with (in the normalised text); extensions are left out.
_PHONE_CHARS = frozenset("0123456789 -./()[]~+")


def _phone_clusters(normal: str) -> list[tuple[int, int]]:
    """Runs of phone characters holding enough digits to be a phone number, as (start, end).

    Only these are handed to the matcher, which looks at every run of digits it meets in
    every region it is asked about; prose full of years and amounts then costs nothing.
    """
    clusters = []
    index, length = 0, len(normal)
    while index < length:
        if normal[index] not in _PHONE_CHARS:
            index += 1
            continue
        start = index
        while index < length and normal[index] in _PHONE_CHARS:
            index += 1
        if sum(map(_is_digit, normal[start:index])) >= _MIN_PHONE_DIGITS:
            clusters.append((start, index))
    return clusters


def _trimmed(normal: str, start: int, end: int) -> tuple[int, int]:
    """``start``–``end`` without the spaces and separators at either edge."""
    while not (_is_digit(normal[start]) or normal[start] in "+(["):
        start += 1
    while not (_is_digit(normal[end - 1]) or normal[end - 1] in ")]"):
        end -= 1
    return start, end


def _only(normal: str, clusters: list[tuple[int, int]]) -> str:
    """``normal`` with every digit outside ``clusters`` blanked (positions kept)."""
    chars = ["" if _is_digit(char) else char for char in normal]
    for start, end in clusters:
        chars[start:end] = normal[start:end]
    return "".join(char or " " for char in chars)


def _trunk_zero(region: str) -> bool:
    """Whether ``region`` dials a trunk ``0`` before national numbers (GB, DE, FR, …)."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    return metadata is not None and metadata.national_prefix == "0"


def _has_group_from_zero(cluster: str) -> bool:
    groups = "".join(char if _is_digit(char) else " " for char in cluster).split()
    return any(group.startswith("0") for group in groups)


def _phones(normal: str) -> Iterator[_Span]:
    clusters = _phone_clusters(normal)
    digits = sum(sum(map(_is_digit, normal[start:end])) for start, end in clusters)
    if len(clusters) > _MAX_PHONE_CLUSTERS or digits > _MAX_PHONE_DIGITS:
        for start, end in clusters:
            yield _Span(*_trimmed(normal, start, end), "phone")
        return
    # A trunk-0 region's national numbers start with 0 (so do its "00" international ones):
    # only clusters with such a group are worth its pass.
    from_zero = [c for c in clusters if _has_group_from_zero(normal[c[0] : c[1]])]
    everything = _only(normal, clusters)
    zero_only = _only(normal, from_zero) if from_zero else ""
    for region in PHONE_REGIONS:
        text = zero_only if _TRUNK_ZERO[region] else everything
        if not text:
            continue
        for match in phonenumbers.PhoneNumberMatcher(
            text, region, leniency=phonenumbers.Leniency.VALID
        ):
            if _dialled_as_written(match, region) and not _is_date(match.raw_string):
                yield _Span(match.start, match.end, "phone")
    for match in phonenumbers.PhoneNumberMatcher(
        everything, LENIENT_REGION, leniency=phonenumbers.Leniency.POSSIBLE
    ):
        if _written_as_phone(match.raw_string) and not _is_date(match.raw_string):
            yield _Span(match.start, match.end, "phone")


def _dialled_as_written(match: phonenumbers.PhoneNumberMatch, region: str) -> bool:
    """An international number, or a personal one written as it is dialled in ``region``.

    Where the country dials a trunk ``0`` before national numbers (GB, DE, FR, AU, IE, NL), a
    number written without it (or a ``+``/``00``) is not taken as one: ``164.000`` is a German
    pager number only to the parser, and an amount to the customer.
    """
    raw = match.raw_string
    if raw.startswith("+"):
        return True
    if phonenumbers.number_type(match.number) not in _PERSONAL_TYPES:
        return False
    return not _TRUNK_ZERO[region] or next(filter(_is_digit, raw), "") == "0"


_TRUNK_ZERO = {region: _trunk_zero(region) for region in PHONE_REGIONS}

# Dates as people write them; "07.12.2026" is also a valid German number, and the date wins.
_DATE_FORMATS = ("%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d", "%d-%m-%Y", "%m-%d-%Y", "%Y.%m.%d")


def _is_date(raw: str) -> bool:
    for date_format in _DATE_FORMATS:
        try:
            dt.datetime.strptime(raw.strip(), date_format)
        except ValueError:
            continue
        return True
    return False


def _written_as_phone(raw: str) -> bool:
    """Grouped like a phone number (``555-1234``), not like an amount (``1 000 000``)."""
    if raw.startswith(("+", "(")):
        return True
    groups = "".join(char if _is_digit(char) else " " for char in raw).split()
    if len(groups) < 2:
        return False
    thousands = len(groups[0]) <= 3 and all(len(group) == 3 for group in groups[1:])
    return not thousands
