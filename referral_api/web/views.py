"""What the console shows, computed from a v1 response: badges, chips, the comparison, the message.

Pure functions over :class:`~referral_api.schemas.RecommendationPublic` (the stored response,
so a look-up reads the same later as when it was made). Templates only lay these out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from referral_api.curation.urls import url_problem
from referral_api.domain import Catalog, CoverageStatus, Relationship
from referral_api.schemas import (
    CoveragePublic,
    DisclosurePublic,
    FitPublic,
    RecommendationPublic,
)

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
    for name in _ordered(v.name for fit in fits for v in fit.constraints):
        cells = []
        for fit in fits:
            verdict = next((v for v in fit.constraints if v.name == name), None)
            if verdict is None:
                cells.append(Cell("—", "plain"))
            else:
                cells.append(Cell(verdict.detail, "ok" if verdict.ok else "fail"))
        rows.append(ComparisonRow(_constraint_label(name), tuple(cells)))
    rows.append(
        ComparisonRow(
            "Caveats",
            tuple(Cell("; ".join(fit.caveats) or "none", "plain") for fit in fits),
        )
    )
    return Comparison(fits, tuple(rows))


def _ordered(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _constraint_label(name: str) -> str:
    base, _, value = name.partition(":")
    words = base.replace("_", " ")
    return f"{words} ({value})" if value else words


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


def customer_message(
    public: RecommendationPublic, names: Mapping[str, str], *, top: int = COMPARED
) -> str:
    """A plain-language reply an advocate can paste, with every relationship disclosed."""
    fits = public.results[:top]
    if not fits:
        lines = [
            "Thank you for explaining what you need. We checked "
            f"{_considered(public)} options, and none of them meets everything you asked for."
        ]
        lines += [f"- {r.detail}" for r in public.relaxations[:2]]
        lines += [f"- {u.detail}" for u in public.unmet]
        return "\n".join(lines)
    lines = ["Thank you for explaining what you need. Here is what fits best:", ""]
    for fit in fits:
        name = fit.offering.name
        provider = f" (by {fit.offering.provider})" if fit.offering.provider else ""
        lines.append(f"{fit.rank}. {name}{provider}")
        lines += [f"   {_sentence(reason)}" for reason in fit.reasons[:2]]
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
