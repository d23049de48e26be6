"""What the console shows, computed from a v1 response: badges, chips, the comparison, the message.

Pure functions over :class:`~referral_api.schemas.RecommendationPublic` (the stored response,
so a look-up reads the same later as when it was made). Templates only lay these out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from referral_api.curation.urls import url_problem
from referral_api.domain import Catalog, CoverageStatus, Relationship
from referral_api.domain.constraint_kinds import CONSTRAINT_KINDS, KIND_OF
from referral_api.matching.constraints import (
    display_name,
    format_money,
    language_name,
    region_name,
)
from referral_api.schemas import (
    ConstraintsPublic,
    CoveragePublic,
    DisclosurePublic,
    FitPublic,
    RecommendationPublic,
    VerdictPublic,
)

MUST_HAVE = "must_have"

COMPARED = 3


@dataclass(frozen=True)
class Badge:
    """A disclosure badge: short words and a tone (the CSS modifier)."""

    label: str
    tone: str


def disclosure_badge(disclosure: DisclosurePublic) -> Badge:
    """own / partner — fee / partner / competitor / independent, in words nobody can misread."""
    fee = disclosure.fee
    match disclosure.relationship:
        case Relationship.OWN:
            return Badge("Our own product", "own")
        case Relationship.PARTNER:
            if fee:
                return Badge("Partner — we may receive a fee", "partner-fee")
            return Badge("Partner — no fee", "partner")
        case Relationship.COMPETITOR:
            if fee:
                return Badge("Competitor — we may receive a fee", "partner-fee")
            return Badge("Competitor — we receive nothing", "competitor")
    if fee:
        return Badge("Independent — we may receive a fee", "partner-fee")
    return Badge("Independent — we receive nothing", "other")


@dataclass(frozen=True)
class Chip:
    """One requested capability against one offering."""

    text: str
    tone: str  # full | partial | missing


def coverage_chip(coverage: CoveragePublic, labels: Mapping[str, str]) -> Chip:
    label = labels.get(coverage.capability, coverage.capability)
    via = labels.get(coverage.via, coverage.via) if coverage.via else None
    match coverage.status:
        case CoverageStatus.FULL:
            return Chip(f"{label}: full", "full")
        case CoverageStatus.MISSING:
            return Chip(f"{label}: missing", "missing")
        case CoverageStatus.PARTIAL:
            return Chip(f"{label}: partial", "partial")
        case CoverageStatus.RELATED:
            return Chip(f"{label}: related only", "partial")
    how = f" via {via}" if via else ""
    return Chip(f"{label}: partial{how}", "partial")


@dataclass(frozen=True)
class Cell:
    text: str
    tone: str  # full | partial | missing | ok | fail | plain


@dataclass(frozen=True)
class ComparisonRow:
    label: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Comparison:
    """Capabilities (and constraints) × the top offerings."""

    fits: tuple[FitPublic, ...]
    rows: tuple[ComparisonRow, ...]


def compare_top(
    public: RecommendationPublic, labels: Mapping[str, str], *, top: int = COMPARED
) -> Comparison | None:
    """The top ``top`` fits side by side; ``None`` when there are fewer than two."""
    fits = tuple(public.results[:top])
    if len(fits) < 2:
        return None
    rows = [
        ComparisonRow("Fit score", tuple(Cell(f"{fit.score:.2f}", "plain") for fit in fits)),
        ComparisonRow(
            "Relationship",
            tuple(Cell(disclosure_badge(fit.disclosure).label, "plain") for fit in fits),
        ),
    ]
    capabilities = _ordered(c.capability for fit in fits for c in fit.coverage)
    for capability in capabilities:
        cells = []
        for fit in fits:
            found = next((c for c in fit.coverage if c.capability == capability), None)
            chip = coverage_chip(found, labels) if found else Chip(": missing", "missing")
            cells.append(Cell(chip.text.split(": ", 1)[1], chip.tone))
        rows.append(ComparisonRow(labels.get(capability, capability), tuple(cells)))
    for name in _ordered(v.name for fit in fits for v in shown_verdicts(fit)):
        cells = []
        for fit in fits:
            verdict = next((v for v in fit.constraints if v.name == name), None)
            if verdict is None:
                cells.append(Cell("—", "plain"))
            else:
                cells.append(Cell(verdict.detail, "ok" if verdict.ok else "fail"))
        rows.append(ComparisonRow(constraint_label(name, labels), tuple(cells)))
    rows.append(
        ComparisonRow(
            "Caveats",
            tuple(Cell("; ".join(fit.caveats) or "none", "plain") for fit in fits),
        )
    )
    return Comparison(fits, tuple(rows))


def _ordered(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def constraint_label(name: str, labels: Mapping[str, str]) -> str:
    """A verdict's name as a person says it: ``budget_monthly`` → "Budget",
    ``excluded_price_models:subscription`` → "Excluded price models: Subscription"."""
    field, _, value = name.partition(":")
    kind = KIND_OF.get(field)
    words = kind.label if kind else field.replace("_", " ")
    words = words[:1].upper() + words[1:]
    return f"{words}: {value_name(field, value, labels)}" if value else words


def value_name(field: str, value: str, labels: Mapping[str, str]) -> str:
    """One constraint value as a person reads it: a capability's label, a country's or a
    language's name, a platform's or a standard's usual spelling."""
    if field == MUST_HAVE:
        return labels.get(value, value)
    if field == "region":
        return region_name(value)
    if field in ("languages", "language_area"):
        return language_name(value)
    return display_name(value, acronym=field == "compliance")


def shown_verdicts(fit: FitPublic) -> list[VerdictPublic]:
    """The verdicts a card lists: a met must-have only repeats what the coverage chips and the
    first reason already say ("Covers invoicing fully" beside "Invoicing: full"), so it is left
    out; a failed one (never among the fits, but a stored response may hold anything) stays."""
    return [v for v in fit.constraints if v.ok is False or not v.name.startswith(f"{MUST_HAVE}:")]


def fit_reasons(fit: FitPublic, *, besides: Iterable[str] = ()) -> list[str]:
    """The fit's reasons, each said once: without the details of the verdicts listed beside
    them (``besides``) and without met must-haves, which restate the coverage reason."""
    shown = set(besides)
    must = {v.detail for v in fit.constraints if v.name.startswith(f"{MUST_HAVE}:")}
    return [r for r in dict.fromkeys(fit.reasons) if r not in shown and r not in must]


def capability_labels(public: RecommendationPublic, catalog: Catalog | None) -> dict[str, str]:
    """Capability id → label: what the need read, then the catalogue."""
    labels = {cap_id: cap.label for cap_id, cap in catalog.capabilities.items()} if catalog else {}
    labels.update({c.id: c.label for c in public.interpreted.capabilities})
    return labels


def offering_names(public: RecommendationPublic, catalog: Catalog | None) -> dict[str, str]:
    """Offering id → name: the response's own, then the catalogue's (bundles name ids only)."""
    names = {o.id: o.name for o in catalog.offerings} if catalog else {}
    names.update({fit.offering.id: fit.offering.name for fit in public.results})
    names.update({fit.offering.id: fit.offering.name for fit in public.rejected})
    return names


def web_url(url: str | None) -> str | None:
    """``url`` when it is a well-formed http(s) address (checked as strictly as catalogues
    are, for versions stored before that), so a link or a message can never run script."""
    if url and url_problem(url) is None:
        return url
    return None


def disclosure_sentence(name: str, disclosure: DisclosurePublic) -> str:
    """The relationship in one plain sentence a customer can read."""
    gain = (
        "we may receive a referral fee if you choose it"
        if disclosure.fee
        else "we receive nothing for recommending it"
    )
    match disclosure.relationship:
        case Relationship.OWN:
            return f"{name} is our own product, so we benefit if you choose it."
        case Relationship.PARTNER:
            return f"{name} is a partner's product; {gain}."
        case Relationship.COMPETITOR:
            return f"{name} is a competitor's product; {gain}."
    return f"{name} is an independent resource; {gain}."


def known_disclosures(
    public: RecommendationPublic, catalog: Catalog | None
) -> dict[str, DisclosurePublic]:
    """Offering id → its disclosure, for every offering a look-up may name: the response's own
    (fits, close candidates, what relaxations admit), then the catalogue's relationships (for
    responses stored before relaxations carried their offerings)."""
    known: dict[str, DisclosurePublic] = {}
    if catalog is not None:
        for offering in catalog.offerings:
            fee = offering.referral is not None and offering.referral.fee
            text = offering.referral.disclosure if offering.referral else ""
            known[offering.id] = DisclosurePublic(
                relationship=offering.relationship, fee=fee, text=text or ""
            )
    for relaxation in public.relaxations:
        known.update({a.offering.id: a.disclosure for a in relaxation.offerings})
    known.update({r.offering.id: r.disclosure for r in public.rejected})
    known.update({f.offering.id: f.disclosure for f in public.results})
    return known


def customer_message(
    public: RecommendationPublic,
    names: Mapping[str, str],
    *,
    disclosures: Mapping[str, DisclosurePublic] | None = None,
    top: int = COMPARED,
) -> str:
    """A plain-language reply an advocate can paste, with every relationship disclosed: each
    offering it names, a relaxation's included, carries its disclosure."""
    known = dict(disclosures or {})
    fits = public.results[:top]
    if not fits:
        lines = [
            "Thank you for explaining what you need. We checked "
            f"{_considered(public)} options, and none of them meets everything you asked for."
        ]
        for relaxation in public.relaxations[:2]:
            lines.append(f"- {relaxation.detail}")
            for offering_id in relaxation.admits:
                name = names.get(offering_id, offering_id)
                if offering_id in known:
                    lines.append(f"  {disclosure_sentence(name, known[offering_id])}")
                else:  # not in this catalogue any more: say we cannot vouch for a relationship
                    lines.append(f"  We cannot say how we are related to {name}.")
        lines += [f"- {u.detail}" for u in public.unmet]
        return "\n".join(lines)
    lines = ["Thank you for explaining what you need. Here is what fits best:", ""]
    for fit in fits:
        name = fit.offering.name
        provider = f" (by {fit.offering.provider})" if fit.offering.provider else ""
        lines.append(f"{fit.rank}. {name}{provider}")
        lines += [f"   {_sentence(reason)}" for reason in fit_reasons(fit)[:2]]
        lines += [f"   Worth checking: {_sentence(caveat)}" for caveat in fit.caveats[:1]]
        lines.append(f"   {disclosure_sentence(name, fit.disclosure)}")
        if url := web_url(fit.offering.url):
            lines.append(f"   {url}")
        lines.append("")
    best_own = public.best_own
    if best_own is not None and best_own.rank != 1:
        lines.append(best_own.comparison)
    for unmet in public.unmet:
        lines.append(unmet.detail)
    lines.append(
        "We rank every option by how well it fits your needs, whoever makes it; "
        "who makes it never changes the order."
    )
    return "\n".join(line.rstrip() for line in lines).strip() + "\n"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _considered(public: RecommendationPublic) -> int:
    c = public.coverage.considered
    return c.own + c.partner + c.competitor + c.other


@dataclass(frozen=True)
class ConstraintChip:
    """One constraint the look-up applied, as the "Understood" line shows it."""

    #: what removing it sends: the field, or ``field=value`` for one value of a list
    key: str
    text: str
    #: only a preference (hedged, or a soft kind): it lowers scores, it rules nothing out
    soft: bool
    #: the customer's words that stated it, or ``None`` when the form gave it
    matched: str | None


def understood_constraints(
    public: RecommendationPublic, labels: Mapping[str, str]
) -> list[ConstraintChip]:
    """Every constraint the look-up applied, hard or soft, with the words that stated it.

    Must-haves are left to the capability chips (marked "must" there); the currency goes with
    the budget.
    """
    constraints = public.interpreted.constraints
    matched = {
        (s.name, s.value): s.matched
        for s in public.interpreted.stated
        if s.source in ("text", "language") and not s.overridden
    }
    chips = []
    for kind in CONSTRAINT_KINDS:
        if kind.field == MUST_HAVE:
            continue
        value = getattr(constraints, kind.field)
        values = [str(v) for v in value] if kind.many else ([] if value is None else [value])
        for item in values:
            key = f"{kind.field}={item}" if kind.many else kind.field
            soft = not kind.hard or _is_soft(constraints, kind.field, item)
            words = matched.get((kind.field, str(item))) or _matched_field(public, kind.field)
            chips.append(ConstraintChip(key, _chip_text(kind.field, item, constraints, labels),
                                        soft, words))  # fmt: skip
    return chips


def set_aside(public: RecommendationPublic) -> list[str]:
    """What the words stated that this look-up did not apply (removed, or replaced by a value
    given in the form): the words, with what they were read as."""
    seen: dict[str, None] = {}
    for s in public.interpreted.stated:
        if s.source == "text" and s.overridden and s.name != "currency":
            kind = KIND_OF.get(s.name)
            label = kind.label if kind else s.name.replace("_", " ")
            seen[f"“{s.matched}” ({label})"] = None
    return list(seen)


def _is_soft(constraints: ConstraintsPublic, field: str, value: str) -> bool:
    return field in constraints.soft or f"{field}={value}" in constraints.soft


def _matched_field(public: RecommendationPublic, field: str) -> str | None:
    for s in public.interpreted.stated:
        if s.name == field and s.source == "text" and not s.overridden:
            return s.matched
    return None


def _chip_text(
    field: str, value: object, constraints: ConstraintsPublic, labels: Mapping[str, str]
) -> str:
    if field == "budget_monthly":
        assert isinstance(value, float | int)
        return f"Budget: up to {format_money(float(value), constraints.currency or 'USD')}/month"
    if field == "excluded_platforms":
        return f"Not on {value_name(field, str(value), labels)}"
    if field == "excluded_price_models":
        return f"No {value_name(field, str(value), labels).lower()} pricing"
    if field == "language_area":
        return f"Where {value_name(field, str(value), labels)} is spoken"
    kind = KIND_OF[field]
    words = kind.label[:1].upper() + kind.label[1:]
    return f"{words}: {value_name(field, str(value), labels)}"


def best_own_line(public: RecommendationPublic, names: Mapping[str, str]) -> str | None:
    """The "Ours" line: the engine's comparison, made precise when our best offering is a fit
    below the first. When both cover the same, it says what differs instead (price, region,
    platform…) or, when nothing the need asks about differs, why the other ranks higher."""
    best_own = public.best_own
    if best_own is None:
        return None
    if best_own.rank is None or best_own.rank == 1 or not public.results:
        return best_own.comparison
    own = next((f for f in public.results if f.offering.id == best_own.offering_id), None)
    best = public.results[0]
    if own is None:
        return best_own.comparison
    ours, theirs = own.offering.name, best.offering.name
    who = f"{theirs} ({_who(best.disclosure)})"
    if _coverage_of(own) != _coverage_of(best):
        return best_own.comparison
    differences = [
        f"{constraint_label(name, {}).lower()}: {ours} — {mine}; {theirs} — {other}"
        for name, mine, other in _verdict_differences(own, best)
    ]
    head = f"Our {ours} (rank {own.rank}) covers what you asked for as fully as {who}"
    if differences:
        return f"{head}. They differ on {'; '.join(differences)}."
    parts_own, parts_best = own.score_parts, best.score_parts
    if parts_own.penalty > parts_best.penalty + 1e-9:
        why = "it meets more of your preferences"
    elif parts_best.similarity > parts_own.similarity + 1e-9:
        why = "its description is closer to the customer's words"
    elif parts_best.coverage > parts_own.coverage + 1e-9:
        why = "its coverage counts for more in the score (a closer kind of the same capability)"
    else:
        why = "the two are tied and ties are broken by a fixed rule, never by who makes them"
    return f"{head} and meets the same constraints; {theirs} ranks higher because {why}."


def _coverage_of(fit: FitPublic) -> dict[str, tuple[CoverageStatus, str | None]]:
    return {c.capability: (c.status, c.via) for c in fit.coverage}


def _verdict_differences(own: FitPublic, best: FitPublic) -> list[tuple[str, str, str]]:
    mine = {v.name: v for v in own.constraints}
    other = {v.name: v for v in best.constraints}
    out = []
    for name in _ordered([*other, *mine]):
        if name.startswith(f"{MUST_HAVE}:"):
            continue
        a, b = mine.get(name), other.get(name)
        a_text = a.detail if a else "not stated"
        b_text = b.detail if b else "not stated"
        if a_text != b_text:
            out.append((name, _lower_first(a_text), _lower_first(b_text)))
    return out


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _who(disclosure: DisclosurePublic) -> str:
    match disclosure.relationship:
        case Relationship.OWN:
            return "ours"
        case Relationship.PARTNER:
            return "a partner"
        case Relationship.COMPETITOR:
            return "a competitor"
    return "independent"
