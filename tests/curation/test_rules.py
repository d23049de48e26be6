"""Rules load into typed values; every bad rule is reported with file, line and field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from referral_api.curation import load_rules
from referral_api.domain import ConstraintKind, Rules, TieBreak
from referral_api.domain.rules import CueKind
from tests.conftest import RULES_DIR


def write_rules(root: Path, **files: str) -> Path:
    for name, text in files.items():
        (root / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return root


class TestBundledRules:
    def test_load_without_problems(self) -> None:
        result = load_rules(RULES_DIR)
        assert [str(p) for p in result.problems] == []

    def test_version_names_the_content(self, rules: Rules) -> None:
        name, digest = rules.version.split("+")
        assert name == "2026.11"
        assert len(digest) == 12

    def test_aliases_canonicalise(self, rules: Rules) -> None:
        assert rules.canonical(ConstraintKind.PLATFORM, "iPhone") == "ios"
        assert rules.canonical(ConstraintKind.PLATFORM, "k8s") == "kubernetes"
        assert rules.canonical(ConstraintKind.REGION, "Deutschland") == "DE"
        assert rules.canonical(ConstraintKind.PLATFORM, "Haiku") == "haiku"  # open vocabulary

    def test_every_cue_kind_has_phrases(self, rules: Rules) -> None:
        assert set(rules.cues) == set(CueKind)

    def test_tie_break_never_names_relationship(self, rules: Rules) -> None:
        assert all(isinstance(t, TieBreak) for t in rules.policy.tie_break)


BROKEN = [
    pytest.param(
        {"a": "weights:\n  full: 1.0\n  simlarity: 0.3\n"},
        "a.yaml:3: weights.simlarity: unknown weight (did you mean 'similarity'?)",
        id="unknown-weight",
    ),
    pytest.param(
        {"a": "weights:\n  full: 1.5\n"},
        "a.yaml:2: weights.full: weights are between 0 and 1",
        id="weight-out-of-range",
    ),
    pytest.param(
        {"a": "policy:\n  tie_break: [coverage, relationship]\n"},
        "a.yaml:2: policy.tie_break: relationship can never break ties: ranking is ownership-blind",
        id="relationship-tie-break",
    ),
    pytest.param(
        {"a": "triggers: []\n"},
        "a.yaml:1: triggers: unknown rule kind (did you mean 'capability_triggers'?)",
        id="unknown-section",
    ),
    pytest.param(
        {"a": "stopwords: [a]\n", "b": "\nstopwords: [b]\n"},
        "b.yaml:2: stopwords: section already defined in {root}/a.yaml:1",
        id="section-twice",
    ),
    pytest.param(
        {"a": "capability_triggers:\n  - patterns: [get paid]\n"},
        "a.yaml:2: capability_triggers[0].capability: required field is missing",
        id="trigger-without-capability",
    ),
    pytest.param(
        {
            "a": "constraint_triggers:\n  - patterns: [on my mac]\n    constraint: device\n"
            "    value: macos\n"
        },
        "a.yaml:3: constraint_triggers[0].constraint: must be one of region | platform | segment | "
        "compliance | language | price_model | currency, not 'device'",
        id="bad-constraint-kind",
    ),
    pytest.param(
        {"a": "region_groups:\n  EU: [DE, XX]\n"},
        "a.yaml:2: region_groups.EU: 'XX' is not an ISO 3166 alpha-2 country code",
        id="bad-region-in-group",
    ),
    pytest.param(
        {"a": "cues:\n  hegde: [ideally]\n"},
        "a.yaml:2: cues.hegde: unknown cue kind (did you mean 'hedge'?)",
        id="unknown-cue-kind",
    ),
    pytest.param(
        {"a": "interchangeable_verbs: [[accept]]\n"},
        "a.yaml:1: interchangeable_verbs: group 1: a list of two or more verbs",
        id="verb-group-of-one",
    ),
    pytest.param(
        {"a": "shorthand:\n  sum1: some one\n"},
        "a.yaml:2: shorthand.sum1: a shorthand and what it stands for are one word each",
        id="shorthand-of-two-words",
    ),
    pytest.param(
        {"a": 'digit_shorthand:\n  words: {"2": to, x: for}\n  before: [a]\n'},
        "a.yaml:2: digit_shorthand.words.x: a digit and the one word it stands for",
        id="digit-shorthand-of-a-word",
    ),
    pytest.param(
        {"a": "cross_border:\n  paying: [bill-pay]\n"},
        "a.yaml:2: cross_border.international: the capability paying abroad asks for is missing",
        id="cross-border-without-its-capability",
    ),
    pytest.param(
        {"a": "segment_sizes:\n  small: [50, 2]\n"},
        "a.yaml:2: segment_sizes.small: must be [smallest, largest] team size (largest may be null)",
        id="inverted-segment-size",
    ),
    pytest.param(
        {"a": "exchange_rates:\n  base: USD\n  rates: {EUR: 1.1, XYZ: 2}\n"},
        "a.yaml:3: exchange_rates.rates.XYZ: 'XYZ' is not an ISO 4217 currency code",
        id="bad-currency",
    ),
    pytest.param(
        {"a": "policy: [1, 2\n"},
        "a.yaml:2: (yaml): not valid YAML: did not find expected ',' or ']' "
        "(while parsing a flow sequence)",
        id="invalid-yaml",
    ),
]


@pytest.mark.parametrize(("files", "expected"), BROKEN)
def test_broken_rules_are_reported_precisely(
    tmp_path: Path, files: dict[str, str], expected: str
) -> None:
    result = load_rules(write_rules(tmp_path, **files))
    assert result.rules is None
    assert expected.format(root=tmp_path) in [
        str(p).removeprefix(f"{tmp_path}/") for p in result.problems
    ]


def test_empty_rules_directory_gives_defaults(tmp_path: Path) -> None:
    rules = load_rules(tmp_path).require()
    assert rules.weights.full == 1.0
    assert rules.policy.staleness_days == 365
