"""Words and phrases: tokenising with character spans, folding and stemming.

Matching compares *stems* of folded words ("Invoices" → "invoic"), so plurals and inflections
meet, while every token keeps its span in the customer's original text for explanations.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

# Words with inner apostrophes, dots and plus signs ("don't", "node.js", "c++", "c#"), and
# currency symbols. Hyphens separate words, so "Python-based" holds "Python" and "self-hosted"
# meets "self hosted".
_TOKEN = re.compile(r"[^\W_]+(?:['’.+#][^\W_]+)*[+#]*|[$€£¥₹]", re.UNICODE)
# An elided French or Italian article or preposition opening a word is a word of its own
# ("l'IVA" is "l'" and "IVA", "d'impôt" is "d'" and "impôt"), so that the noun meets itself.
# (Split after matching: the few words with an apostrophe pay for it, not every word.)
_ELISION = re.compile(r"(?i:dell|dall|nell|sull|quell|all|col|qu|un|[ldjmtsnc])['’](?=[^\W\d_])")


def _spans(text: str) -> list[tuple[int, int]]:
    """Where :data:`_TOKEN`'s words are, an elided article split off its word."""
    spans = []
    for match in _TOKEN.finditer(text):
        start, end = match.span()
        word = match.group()
        if "'" in word or "’" in word:
            elided = _ELISION.match(word)
            if elided is not None:
                spans.append((start, start + elided.end()))
                start += elided.end()
        spans.append((start, end))
    return spans


def _words(text: str) -> list[str]:
    """:data:`_TOKEN`'s words of ``text``, an elided article split off its word."""
    if "'" not in text and "’" not in text:
        return _TOKEN.findall(text)
    return [text[start:end] for start, end in _spans(text)]


_STEMMER = snowballstemmer.stemmer("english")
#: Snowball stemmers by ISO 639-1 code, for the languages needs may be written in
STEMMER_NAMES = {
    "en": "english",
    "es": "spanish",
    "fr": "french",
    "de": "german",
    "pt": "portuguese",
    "it": "italian",
    "nl": "dutch",
}
_STEMMERS = {code: snowballstemmer.stemmer(name) for code, name in STEMMER_NAMES.items()}


@dataclass(frozen=True, slots=True)
class Token:
    """One word of the need: its original text, folded form, stem and character span."""

    text: str
    folded: str
    stem: str
    start: int
    end: int
    index: int


def fold(text: str) -> str:
    """Case-fold and strip accents: "Café" → "cafe"."""
    if text.isascii():  # nothing to decompose or strip (the common case, word by word)
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("’", "'")


@lru_cache(maxsize=200_000)
def stem(word: str, language: str = "en") -> str:
    """The stem of a folded word in ``language`` (cached: the vocabulary is small, the calls
    are many). Unknown languages are stemmed as English."""
    if not word.isalpha():
        # "1099s", "W2s", "T4s": the plural of a form's name is that form
        if len(word) > 2 and word.endswith("s") and word[-2].isdigit():
            return word[:-1]
        return word
    if len(word) <= 4:
        # Short words are often acronyms ("paye", "ach"): only a plural "s" comes off.
        return word[:-1] if len(word) > 3 and word.endswith("s") and word[-2] != "s" else word
    return str(_STEMMERS.get(language, _STEMMER).stemWord(word))


def tokenize(text: str, language: str = "en") -> list[Token]:
    """The words of ``text`` with folded forms, stems (in ``language``) and spans."""
    tokens = []
    for index, (start, end) in enumerate(_spans(text)):
        word = text[start:end]
        folded = fold(word)
        tokens.append(Token(word, folded, stem(folded, language), start, end, index))
    return tokens


def folded_words(text: str) -> list[str]:
    """The folded words of ``text`` (what :func:`tokenize` folds, without building tokens)."""
    if text.isascii():  # folding plain ASCII is case-folding; no accents to strip
        return _words(text.casefold())
    return [t.folded for t in tokenize(text)]


def content_stems(text: str, stopwords: frozenset[str]) -> list[str]:
    """The stems of ``text``'s words that are not stopwords (the same as :func:`tokenize` gives,
    without building tokens: used for every offering when an index is built)."""
    if text.isascii():  # folding plain ASCII is case-folding; no accents to strip
        return [stem(word) for word in _words(text.casefold()) if word not in stopwords]
    return [t.stem for t in tokenize(text) if t.folded not in stopwords]


def phrase_stems(
    phrase: str, stopwords: frozenset[str] = frozenset(), language: str = "en"
) -> tuple[str, ...]:
    """The stems of a phrase's content words (all words when every one is a stopword)."""
    tokens = tokenize(phrase, language)
    content = tuple(t.stem for t in tokens if t.folded not in stopwords)
    return content or tuple(t.stem for t in tokens)


def phrase_folds(phrase: str) -> tuple[str, ...]:
    """The folded words of a phrase, every word kept (for vocabulary and cue matching)."""
    return tuple(t.folded for t in tokenize(phrase))
