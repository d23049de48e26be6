"""Constraint verdicts: one offering against each constraint of a need, with a plain detail.

A verdict is *hard* when failing it disqualifies the offering (it is then never shown as a fit),
*soft* when failing it only costs score and adds a caveat. Which constraints are hard is decided
by :class:`~referral_api.domain.need.Constraints` (structured constraints and firmly stated ones
are hard; preferences are soft). The relationship of the offering is never looked at here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterator, Mapping
from functools import lru_cache

import pycountry

from referral_api.domain import (
    Constraints,
    ConstraintVerdict,
    CoverageLevel,
    Offering,
    PriceModel,
    Rules,
)
from referral_api.domain.constraint_kinds import CONSTRAINT_KINDS, KIND_OF
from referral_api.matching.places import language_countries

#: verdict names (each kind's field, see referral_api.domain.constraint_kinds)
REGION = KIND_OF["region"].field
LANGUAGE_AREA = KIND_OF["language_area"].field
PLATFORM = KIND_OF["platforms"].field
EXCLUDED_PLATFORM = KIND_OF["excluded_platforms"].field
BUDGET = KIND_OF["budget_monthly"].field
PRICE_MODEL = KIND_OF["price_models"].field
EXCLUDED_PRICE_MODEL = KIND_OF["excluded_price_models"].field
COMPLIANCE = KIND_OF["compliance"].field
MUST_HAVE = KIND_OF["must_have"].field
SEGMENT = KIND_OF["segment"].field
LANGUAGE = KIND_OF["languages"].field


def stated(value: object) -> bool:
    """Whether a constraint's value says anything (not ``None``, not an empty list)."""
    return value is not None and value != ()


_DISPLAY_NAMES = {
    "ios": "iOS",
    "macos": "macOS",
    "self_hosted": "self-hosting",
    "api": "an API",
    "web": "the web",
    "pci_dss": "PCI DSS",
    "soc2": "SOC 2",
    "iso27001": "ISO 27001",
    "nodejs": "Node.js",
    "dotnet": ".NET",
    "javascript": "JavaScript",
}
_MODEL_NAMES = {
    PriceModel.FREE: "free",
    PriceModel.ONE_TIME: "a one-off payment",
    PriceModel.SUBSCRIPTION: "a subscription",
    PriceModel.USAGE: "usage-based pricing",
    PriceModel.QUOTE: "pricing on request",
}


def display_name(value: str, *, acronym: bool = False) -> str:
    """A display name for a vocabulary value: ``ios`` → iOS, ``hipaa`` → HIPAA (``acronym``)."""
    if value in _DISPLAY_NAMES:
        return _DISPLAY_NAMES[value]
    if acronym or len(value) <= 3:
        return value.replace("_", " ").upper()
    return value.replace("_", " ").capitalize()


@lru_cache(maxsize=512)
def region_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return str(getattr(country, "common_name", None) or country.name)


@lru_cache(maxsize=4096)
def format_money(amount: float, currency: str) -> str:
    if not math.isfinite(amount):
        return f"an unlimited amount of {currency}"  # (amounts are clamped before; never a 500)
    symbol = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}.get(currency)
    text = f"{amount:,.0f}" if amount == int(amount) else f"{amount:,.2f}"
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


_Fact = Callable[[Offering], Hashable] | None
_Check = Callable[[Offering], Iterator[ConstraintVerdict]]


class ConstraintChecker:
    """Checks offerings against one need's effective constraints.

    What does not depend on the offering (which checks apply, hardness, labels, which region
    codes serve the need's region) is worked out once per need: a request checks dozens of
    offerings.
    """

    def __init__(
        self,
        constraints: Constraints,
        rules: Rules,
        default_currency: str,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        self.constraints = constraints
        #: capability id → its label, for the words of must-have verdicts
        self.labels = labels or {}
        self.rules = rules
        self.default_currency = default_currency
        self.currency = constraints.currency or default_currency
        self._hardness: dict[tuple[str, object], bool] = {}
        # Each check with the one fact of the offering it reads: offerings sharing that fact
        # (the same regions, platforms, price…) get the same verdicts, so each check runs once
        # per distinct fact in a request. Must-haves read the capability map (not hashable).
        # Each kind's check is the method named after its field (see CONSTRAINT_KINDS).
        checks: list[tuple[_Check, _Fact, bool]] = [
            (
                getattr(self, f"_{kind.field}"),
                kind.read_fact,
                stated(getattr(constraints, kind.field)),
            )
            for kind in CONSTRAINT_KINDS
        ]
        # only the checks this need states (the others would yield nothing)
        self._checks: list[tuple[_Check, _Fact, dict[Hashable, tuple[ConstraintVerdict, ...]]]] = [
            (check, fact, {}) for check, fact, is_stated in checks if is_stated
        ]
        region = constraints.region
        if region is not None:
            groups = rules.region_groups
            # an offering serves the region when it lists one of these codes...
            self._region_codes = frozenset(
                ["global", region, *(g for g, members in groups.items() if region in members)]
            )
            # ...or every member of the group the region names
            self._region_members = frozenset(groups[region]) if region in groups else None
            self._region_name = region_name(region)
            self._region_hard = self._is_hard(REGION)
        area = constraints.language_area
        if area is not None:
            countries = language_countries().get(area, frozenset())
            # the region codes an offering may list to be available there: the countries and
            # every group with one of them among its members
            self._area_codes = frozenset(
                [
                    "global",
                    *countries,
                    *(g for g, members in rules.region_groups.items() if countries & set(members)),
                ]
            )
            self._area_name = language_name(area)
            self._area_hard = self._is_hard(LANGUAGE_AREA)

    @property
    def names(self) -> tuple[str, ...]:
        """The constraint names this need states (the candidates for relaxation)."""
        return tuple(
            kind.field
            for kind in CONSTRAINT_KINDS
            if kind.hard and stated(getattr(self.constraints, kind.field))
        )

    def verdicts(self, offering: Offering) -> tuple[ConstraintVerdict, ...]:
        found: list[ConstraintVerdict] = []
        for check, fact, seen in self._checks:
            if fact is None:
                found.extend(check(offering))
                continue
            key = fact(offering)
            known = seen.get(key)
            if known is None:
                known = seen[key] = tuple(check(offering))
            found.extend(known)
        return tuple(found)

    def _is_hard(self, name: str, value: object = None) -> bool:
        known = self._hardness.get((name, value))
        if known is None:
            known = self._hardness[name, value] = not self.constraints.is_soft(name, value)
        return known

    # hard by default ------------------------------------------------------------------------
    def _must_have(self, offering: Offering) -> Iterator[ConstraintVerdict]:
        for cap in self.constraints.must_have:
            level = offering.capabilities.get(cap)
            ok = level is not None
            label = self.labels.get(cap, cap).lower()
            detail = (
                f"Covers {label} {'fully' if level is CoverageLevel.FULL else 'partly'}"
                if ok
                else f"Does not cover {label}, which you must have"
            )
            yield ConstraintVerdict(f"{MUST_HAVE}:{cap}", ok, self._is_hard(MUST_HAVE, cap), detail)

    def _region(self, offering: Offering) -> Iterator[ConstraintVerdict]:
        name, hard = self._region_name, self._region_hard
        regions = offering.regions
        if not regions:
            yield ConstraintVerdict(REGION, False, hard, f"Availability in {name} is not stated")
            return
        members = self._region_members
        ok = not self._region_codes.isdisjoint(regions) or (
            members is not None and members <= set(regions)
        )
        detail = f"Available in {name}" if ok else f"Not available in {name}"
        yield ConstraintVerdict(REGION, ok, hard, detail)

    def _language_area(self, offering: Offering) -> Iterator[ConstraintVerdict]:
        where, hard = f"where {self._area_name} is spoken", self._area_hard
        if not offering.regions:
            detail = f"Availability {where} is not stated"
            yield ConstraintVerdict(LANGUAGE_AREA, False, hard, detail)
            return
        ok = not self._area_codes.isdisjoint(offering.regions)
        detail = f"Available {where}" if ok else f"Not available {where}"
        yield ConstraintVerdict(LANGUAGE_AREA, ok, hard, detail)

    def _platforms(self, offering: Offering) -> Iterator[ConstraintVerdict]:
        for platform in self.constraints.platforms:
            ok = platform in offering.platforms
            label = display_name(platform)
            if ok:
                detail = f"Runs on {label}" if platform not in {"api"} else "Has an API"
            elif "web" in offering.platforms and platform in self.rules.interchangeable_platforms:
                detail = f"No {label} app (web only)"
            else:
                detail = f"Does not run on {label}"
            yield ConstraintVerdict(
                f"{PLATFORM}:{platform}", ok, self._is_hard(PLATFORM, platform), detail
            )

    def _excluded_platforms(self, offering: Offering) -> Iterator[ConstraintVerdict]:
        interchangeable = self.rules.interchangeable_platforms
        for platform in self.constraints.excluded_platforms:
            label = display_name(platform)
            if platform in interchangeable:
                # "not on Windows": only offerings that run nowhere else are ruled out
                others = [p for p in offering.platforms if p != platform]
                ok = bool(others) or not offering.platforms
                detail = f"Runs on more than {label}" if ok else f"Only runs on {label}"
            else:
                ok = platform not in offering.platforms
                detail = f"Does not need {label}" if ok else f"Needs {label}"
            yield ConstraintVerdict(
                f"{EXCLUDED_PLATFORM}:{platform}",
                ok,
                self._is_hard(EXCLUDED_PLATFORM, platform),
                detail,
            )

    def _compliance(self, offering: Offering) -> Iterator[ConstraintVerdict]:
        for standard in self.constraints.compliance:
            ok = standard in offering.compliance
            label = display_name(standard, acronym=True)
            detail = f"{label} compliant" if ok else f"Not stated to be {label} compliant"
            yield ConstraintVerdict(
                f"{COMPLIANCE}:{standard}", ok, self._is_hard(COMPLIANCE, standard), detail
            )

    def convert(self, amount: float, currency: str | None) -> float | None:
        """``amount`` from ``currency`` into the need's currency, at the rules' rates."""
        source = currency or self.default_currency
        if source == self.currency:
            return amount
        rates = self.rules.exchange_rates
        if source not in rates or self.currency not in rates:
            return None
        return amount * rates[source] / rates[self.currency]

    def monthly_cost(self, offering: Offering) -> float | None:
        """The lowest monthly cost in the need's currency (a one-off price spread over a year)."""
        price = offering.price
        if price is None:
            return None
        if price.model is PriceModel.FREE or price.free_tier:
            return 0.0
        if price.model is PriceModel.ONE_TIME and price.one_time is not None:
            return self.convert(price.one_time / 12, price.currency)
        if price.monthly_from is None:
            return None
        return self.convert(price.monthly_from, price.currency)

    def _budget_monthly(self, offering: Offering) -> Iterator[ConstraintVerdict]:
        budget = self.constraints.budget_monthly
        if budget is None:
            return
        hard = self._is_hard(BUDGET)
        limit = format_money(budget, self.currency)
        price = offering.price
        if price is None or price.model is PriceModel.QUOTE:
            yield ConstraintVerdict(
                BUDGET, False, hard, f"Price not published (your limit {limit})"
            )
            return
        if price.model is PriceModel.FREE:
            yield ConstraintVerdict(BUDGET, True, hard, "Free")
            return
        cost = self.monthly_cost(offering)
        if cost is None:
            yield ConstraintVerdict(
                BUDGET, False, hard, f"Price in {price.currency} cannot be compared with {limit}"
            )
            return
        shown = self._price_text(offering)
        if price.free_tier:
            detail = "Has a free plan"
        elif cost <= budget:
            detail = f"{shown} is within your {limit} budget"
        else:
            detail = f"{shown} is over your {limit} budget"
        yield ConstraintVerdict(BUDGET, cost <= budget, hard, detail)

    def _price_text(self, offering: Offering) -> str:
        price = offering.price
        assert price is not None
        currency = price.currency or self.default_currency
        if price.model is PriceModel.ONE_TIME and price.one_time is not None:
            return f"{format_money(price.one_time, currency)} once"
        low = price.monthly_from or 0.0
        if price.model is PriceModel.USAGE and low == 0:
            return "Usage-based with no monthly fee"
        text = f"From {format_money(low, currency)}/month"
        if price.model is PriceModel.USAGE:
            text = f"Usage-based, from {format_money(low, currency)}/month"
        if currency != self.currency:
            converted = self.convert(low, currency)
            if converted is not None:
                text += f" (≈ {format_money(round(converted, 2), self.currency)})"
        return text

    def _price_models(self, offering: Offering) -> Iterator[ConstraintVerdict]:
        if not self.constraints.price_models:
            return
        wanted = set(self.constraints.price_models)
        price = offering.price
        models: set[PriceModel] = set()
        if price is not None:
            models.add(price.model)
            if price.free_tier:
                models.add(PriceModel.FREE)
        ok = bool(models & wanted)
        names = " or ".join(_MODEL_NAMES[m] for m in sorted(wanted))
        free_plan = price is not None and price.free_tier and price.model is not PriceModel.FREE
        if ok:
            detail = (
                "Has a free plan"
                if PriceModel.FREE in wanted and free_plan
                else f"Priced as {names}"
            )
        elif price is None:
            detail = f"Price model not published (you asked for {names})"
        else:
            detail = f"Sold as {_MODEL_NAMES[price.model]}, not {names}"
        hard = any(self._is_hard(PRICE_MODEL, m.value) for m in wanted)
        yield ConstraintVerdict(PRICE_MODEL, ok, hard, detail)

    def _excluded_price_models(self, offering: Offering) -> Iterator[ConstraintVerdict]:
        price = offering.price
        for model in self.constraints.excluded_price_models:
            ok = price is None or price.model is not model
            detail = (
                f"Not {_MODEL_NAMES[model]}"
                if ok
                else f"Sold as {_MODEL_NAMES[model]}, which you ruled out"
            )
            yield ConstraintVerdict(
                f"{EXCLUDED_PRICE_MODEL}:{model.value}",
                ok,
                self._is_hard(EXCLUDED_PRICE_MODEL, model.value),
                detail,
            )

    # always soft ------------------------------------------------------------------------------
    def _segment(self, offering: Offering) -> Iterator[ConstraintVerdict]:
        segment = self.constraints.segment
        if segment is None or not offering.segments:
            return
        ok = segment in offering.segments
        made_for = ", ".join(offering.segments)
        detail = f"Made for {segment} businesses" if ok else f"Made for {made_for}, not {segment}"
        if segment == "individual":
            detail = "Made for individuals" if ok else f"Made for {made_for} businesses"
        yield ConstraintVerdict(SEGMENT, ok, False, detail)

    def _languages(self, offering: Offering) -> Iterator[ConstraintVerdict]:
        if not self.constraints.languages or not offering.languages:
            return
        wanted = [lang for lang in self.constraints.languages if lang in offering.languages]
        names = ", ".join(language_name(lang) for lang in self.constraints.languages)
        ok = bool(wanted)
        detail = f"Available in {names}" if ok else f"Not available in {names}"
        yield ConstraintVerdict(LANGUAGE, ok, False, detail)


@lru_cache(maxsize=256)
def language_name(code: str) -> str:
    language = pycountry.languages.get(alpha_2=code)
    return str(language.name) if language is not None else code
