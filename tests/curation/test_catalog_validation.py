"""``referral catalog validate`` reports every problem precisely: file, line, field, message.

Each case starts from a small valid catalogue, breaks one thing, and checks the exact line.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from referral_api.cli import app
from referral_api.curation import load_catalog
from referral_api.domain import Rules

CATALOG = """\
company: Ledgerly
currency: USD
version: "1"
"""

CAPABILITIES = """\
- id: accounting
  label: Accounting
- id: invoicing
  label: Invoicing
  synonyms: [send bills]
  broader: [accounting]
- id: payments
  label: Payments
  related: [invoicing]
"""

OFFERINGS = """\
- id: books
  name: Ledgerly Books
  relationship: own
  capabilities: {invoicing: full, accounting: partial}
  price: {model: subscription, monthly_from: 15, monthly_to: 60, currency: USD}
  regions: [US, GB]
  integrations: [payly]
  reviewed: 2026-10-01
- id: payly
  name: Payly
  relationship: partner
  capabilities: {payments: full}
  referral: {fee: true, disclosure: "We may receive a referral fee."}
  reviewed: 2026-10-01
"""

TODAY = dt.date(2026, 11, 1)


def write_catalog(root: Path, **files: str) -> Path:
    contents = {
        "catalog.yaml": CATALOG,
        "capabilities.yaml": CAPABILITIES,
        "offerings/main.yaml": OFFERINGS,
        **{name.replace("__", "/").replace("_yaml", ".yaml"): text for name, text in files.items()},
    }
    for name, text in contents.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def messages(root: Path, rules: Rules) -> list[str]:
    return [str(p) for p in load_catalog(root, rules, today=TODAY).problems]


def test_the_base_catalogue_is_valid(tmp_path: Path, rules: Rules) -> None:
    result = load_catalog(write_catalog(tmp_path), rules, today=TODAY)
    assert result.problems == ()
    assert result.catalog is not None


BROKEN = [
    pytest.param(
        {
            "offerings__main_yaml": OFFERINGS + "- id: books\n  name: Again\n  relationship: own\n"
            "  capabilities: {invoicing: full}\n"
        },
        "offerings/main.yaml:15: books.id: duplicate offering id (first defined at "
        "offerings/main.yaml:1)",
        id="duplicate-offering-id",
    ),
    pytest.param(
        {
            "offerings__other_yaml": "- id: payly\n  name: P2\n  relationship: other\n"
            "  capabilities: {payments: full}\n"
        },
        "offerings/other.yaml:1: payly.id: duplicate offering id (first defined at "
        "offerings/main.yaml:9)",
        id="duplicate-id-across-files",
    ),
    pytest.param(
        {"capabilities_yaml": CAPABILITIES + "- id: invoicing\n  label: Again\n"},
        "capabilities.yaml:10: invoicing.id: duplicate capability id (first defined at "
        "capabilities.yaml:3)",
        id="duplicate-capability-id",
    ),
    pytest.param(
        {"offerings__main_yaml": OFFERINGS.replace("invoicing: full", "invoicng: full")},
        "offerings/main.yaml:4: books.capabilities.invoicng: unknown capability 'invoicng' "
        "(did you mean 'invoicing'?)",
        id="unknown-capability",
    ),
    pytest.param(
        {
            "offerings__main_yaml": OFFERINGS.replace(
                "integrations: [payly]", "integrations: [paly]"
            )
        },
        "offerings/main.yaml:7: books.integrations: unknown offering 'paly' (did you mean 'payly'?)",
        id="unknown-integration",
    ),
    pytest.param(
        {
            "capabilities_yaml": CAPABILITIES.replace(
                "  label: Accounting", "  label: Accounting\n  broader: [invoicing]"
            )
        },
        "capabilities.yaml:3: accounting.broader: cycle: accounting → invoicing → accounting",
        id="broader-cycle",
    ),
    pytest.param(
        {"capabilities_yaml": CAPABILITIES.replace("related: [invoicing]", "related: [billing]")},
        "capabilities.yaml:9: payments.related: unknown capability 'billing'",
        id="unknown-graph-edge",
    ),
    pytest.param(
        {"offerings__main_yaml": OFFERINGS.replace("relationship: own", "relationship: ours")},
        "offerings/main.yaml:3: books.relationship: must be one of own | partner | competitor | "
        "other, not 'ours'",
        id="unknown-relationship",
    ),
    pytest.param(
        {"offerings__main_yaml": OFFERINGS.replace("invoicing: full", "invoicing: complete")},
        "offerings/main.yaml:4: books.capabilities.invoicing: must be one of full | partial, "
        "not 'complete'",
        id="bad-coverage-level",
    ),
    pytest.param(
        {"offerings__main_yaml": OFFERINGS.replace("regions: [US, GB]", "regions: [US, XX]")},
        "offerings/main.yaml:6: books.regions: 'XX' is not a valid region code (use 'global' or "
        "an ISO 3166 alpha-2 code such as 'DE')",
        id="invalid-region",
    ),
    pytest.param(
        {"offerings__main_yaml": OFFERINGS.replace("monthly_from: 15", "monthly_from: -5")},
        "offerings/main.yaml:5: books.price.monthly_from: must be at least 0, not -5",
        id="negative-price",
    ),
    pytest.param(
        {"offerings__main_yaml": OFFERINGS.replace("monthly_to: 60", "monthly_to: 10")},
        "offerings/main.yaml:5: books.price.monthly_to: inverted range: monthly_to 10 < "
        "monthly_from 15",
        id="inverted-price",
    ),
    pytest.param(
        {
            "offerings__main_yaml": OFFERINGS.replace(
                "reviewed: 2026-10-01\n- id: payly", "reviewed: 2026-13-45\n- id: payly"
            )
        },
        "offerings/main.yaml:8: books.reviewed: must be a date as YYYY-MM-DD, not '2026-13-45'",
        id="malformed-date",
    ),
    pytest.param(
        {"offerings__main_yaml": OFFERINGS.replace("  name: Payly\n", "")},
        "offerings/main.yaml:9: payly.name: required field is missing",
        id="missing-name",
    ),
    pytest.param(
        {"offerings__main_yaml": OFFERINGS.replace("- id: books\n", "- name_only: x\n", 1)},
        "offerings/main.yaml:1: [0].id: required field is missing",
        id="missing-id",
    ),
    pytest.param(
        {"offerings__main_yaml": OFFERINGS.replace("  relationship: partner\n", "")},
        "offerings/main.yaml:9: payly.relationship: required field is missing",
        id="missing-relationship",
    ),
    pytest.param(
        {"offerings__main_yaml": OFFERINGS.replace("  capabilities: {payments: full}\n", "")},
        "offerings/main.yaml:9: payly.capabilities: required field is missing",
        id="missing-capabilities",
    ),
    pytest.param(
        {"offerings__main_yaml": "[]\n"},
        "offerings/*.yaml: (catalogue): empty catalogue: no offerings defined",
        id="empty-catalogue",
    ),
    pytest.param(
        {"offerings__main_yaml": OFFERINGS.replace("regions: [US, GB]", "regions: [US, GB")},
        "offerings/main.yaml:7: (yaml): not valid YAML: did not find expected ',' or ']' "
        "(while parsing a flow sequence)",
        id="invalid-yaml",
    ),
    pytest.param(
        {
            "offerings__main_yaml": OFFERINGS.replace(
                "  reviewed: 2026-10-01\n- id: payly",
                "  name: Twice\n  reviewed: 2026-10-01\n- id: payly",
            )
        },
        "offerings/main.yaml:8: name: duplicate key (first at line 2)",
        id="duplicate-yaml-key",
    ),
    pytest.param(
        {"catalog_yaml": "company: Ledgerly\ncurrency: USD\n"},
        "catalog.yaml:1: version: required field is missing",
        id="catalog-header-missing-version",
    ),
    pytest.param(
        {"offerings__main_yaml": OFFERINGS.replace("currency: USD}", "currency: DOLLARS}")},
        "offerings/main.yaml:5: books.price.currency: 'DOLLARS' is not an ISO 4217 currency code",
        id="bad-currency",
    ),
    # issue 16, defect 8: a URL was checked by its prefix only
    pytest.param(
        {
            "offerings__main_yaml": OFFERINGS.replace(
                "  integrations: [payly]\n",
                '  integrations: [payly]\n  url: "http://\\njavascript:alert(1)"\n',
            )
        },
        "offerings/main.yaml:8: books.url: must be an http(s) URL with a host, and no spaces or "
        "control characters (it holds '\\n'), not 'http://\\njavascript:alert(1)'",
        id="url-with-a-newline",
    ),
    pytest.param(
        {
            "offerings__main_yaml": OFFERINGS.replace(
                "  integrations: [payly]\n", "  integrations: [payly]\n  url: https://\n"
            )
        },
        "offerings/main.yaml:8: books.url: must be an http(s) URL with a host, and no spaces or "
        "control characters (no valid host), not 'https://'",
        id="url-without-a-host",
    ),
    pytest.param(
        {
            "offerings__main_yaml": OFFERINGS.replace(
                "  reviewed: 2026-10-01\n- id: payly",
                "  reviewed: 2026-10-01\n  sources:\n    - https://books.example/pricing\n"
                '    - "https://books.example/\\u202egnicirp"\n- id: payly',
            )
        },
        "offerings/main.yaml:11: books.sources[1]: must be an http(s) URL with a host, and no "
        "spaces or control characters (it holds '\\u202e' (RIGHT-TO-LEFT OVERRIDE)), not "
        "'https://books.example/\\u202egnicirp'",
        id="source-with-a-bidi-override",
    ),
]


@pytest.mark.parametrize(("files", "expected"), BROKEN)
def test_broken_catalogue_is_reported_precisely(
    tmp_path: Path, rules: Rules, files: dict[str, str], expected: str
) -> None:
    root = write_catalog(tmp_path, **files)
    result = load_catalog(root, rules, today=TODAY)
    assert result.catalog is None
    assert expected in [str(p) for p in result.errors]


def test_all_problems_are_reported_not_just_the_first(tmp_path: Path, rules: Rules) -> None:
    broken = (
        OFFERINGS.replace("relationship: own", "relationship: ours")
        .replace("regions: [US, GB]", "regions: [XX]")
        .replace("monthly_to: 60", "monthly_to: 1")
    )
    result = load_catalog(write_catalog(tmp_path, offerings__main_yaml=broken), rules, today=TODAY)
    assert [p.field for p in result.errors] == [
        "books.relationship",
        "books.price.monthly_to",
        "books.regions",
    ]


WARNINGS = [
    pytest.param(
        OFFERINGS.replace("reviewed: 2026-10-01\n- id: payly", "reviewed: 2024-01-02\n- id: payly"),
        "offerings/main.yaml:8: books.reviewed: warning: last reviewed 2024-01-02, older than the "
        "365-day staleness limit",
        id="stale",
    ),
    pytest.param(
        OFFERINGS.replace(
            '  referral: {fee: true, disclosure: "We may receive a referral fee."}\n', ""
        ),
        "offerings/main.yaml:9: payly.referral: warning: partner offering without a disclosure "
        "text; the rules' default is used: 'Partner product: we have a commercial partnership.'",
        id="partner-without-disclosure",
    ),
    pytest.param(
        OFFERINGS.replace("capabilities: {payments: full}", "capabilities: {}"),
        "offerings/main.yaml:12: payly.capabilities: warning: no capabilities: no need can reach "
        "this offering",
        id="unreachable",
    ),
    pytest.param(
        OFFERINGS.replace("relationship: partner", "relationship: competitor"),
        "offerings/main.yaml:9: payly.sources: warning: competitor facts should name a source "
        "(a URL they come from)",
        id="competitor-without-source",
    ),
]


@pytest.mark.parametrize(("offerings", "expected"), WARNINGS)
def test_warnings_do_not_fail_validation(
    tmp_path: Path, rules: Rules, offerings: str, expected: str
) -> None:
    result = load_catalog(
        write_catalog(tmp_path, offerings__main_yaml=offerings), rules, today=TODAY
    )
    assert result.catalog is not None
    assert expected in [str(p) for p in result.warnings]


def test_norway_stays_a_region_code(tmp_path: Path, rules: Rules) -> None:
    """YAML 1.1 would read NO as false; the loader reads YAML 1.2 booleans."""
    root = write_catalog(tmp_path, offerings__main_yaml=OFFERINGS.replace("[US, GB]", "[NO, GB]"))
    catalog = load_catalog(root, rules, today=TODAY).require()
    assert catalog.offerings[0].regions == ("NO", "GB")


def test_extra_fields_are_kept(tmp_path: Path, rules: Rules) -> None:
    root = write_catalog(
        tmp_path,
        offerings__main_yaml=OFFERINGS.replace(
            "  reviewed: 2026-10-01\n- id: payly",
            "  reviewed: 2026-10-01\n  support_hours: {weekdays: 9-17}\n- id: payly",
        ),
    )
    catalog = load_catalog(root, rules, today=TODAY).require()
    assert catalog.offerings[0].extra == {"support_hours": {"weekdays": "9-17"}}


def test_platform_aliases_from_rules_are_applied(tmp_path: Path, rules: Rules) -> None:
    root = write_catalog(
        tmp_path,
        offerings__main_yaml=OFFERINGS.replace(
            "  integrations:", "  platforms: [iPhone, k8s, Web]\n  integrations:"
        ),
    )
    catalog = load_catalog(root, rules, today=TODAY).require()
    assert catalog.offerings[0].platforms == ("ios", "kubernetes", "web")


class TestValidateCommand:
    def test_exits_1_and_prints_every_error(self, tmp_path: Path) -> None:
        broken = OFFERINGS.replace("relationship: own", "relationship: ours").replace(
            "regions: [US, GB]", "regions: [XX]"
        )
        root = write_catalog(tmp_path, offerings__main_yaml=broken)
        result = CliRunner().invoke(app, ["catalog", "validate", str(root)])
        assert result.exit_code == 1
        assert f"{root}/offerings/main.yaml:3: books.relationship: must be one of" in result.output
        assert f"{root}/offerings/main.yaml:6: books.regions: 'XX'" in result.output
        assert "invalid: 2 error(s)" in result.output

    def test_exits_0_on_a_valid_catalogue(self, tmp_path: Path) -> None:
        result = CliRunner().invoke(app, ["catalog", "validate", str(write_catalog(tmp_path))])
        assert result.exit_code == 0, result.output
        assert "ok: Ledgerly catalogue 1: 3 capabilities, 2 active offerings" in result.output

    def test_missing_directory(self, tmp_path: Path) -> None:
        result = CliRunner().invoke(app, ["catalog", "validate", str(tmp_path / "nope")])
        assert result.exit_code == 1
        assert "catalogue directory does not exist" in result.output


# Each independent problem is reported once, with its file and line, and nothing that only
# follows from another problem. Every row lists *all* the errors expected, in order.
INDEPENDENT = [
    pytest.param(
        # an invalid relationship used to drop the entry before its capabilities and sources
        # were checked
        OFFERINGS.replace("relationship: own", "relationship: ours")
        .replace("invoicing: full", "invoicng: full")
        .replace("  integrations: [payly]\n", "  integrations: [payly]\n  sources: [ftp://x]\n"),
        [
            "offerings/main.yaml:3: books.relationship: must be one of own | partner | "
            "competitor | other, not 'ours'",
            "offerings/main.yaml:4: books.capabilities.invoicng: unknown capability 'invoicng' "
            "(did you mean 'invoicing'?)",
            "offerings/main.yaml:8: books.sources[0]: must be an http(s) URL with a host, and no "
            "spaces or control characters (the scheme is not http:// or https://), not 'ftp://x'",
        ],
        id="invalid-relationship-hides-nothing",
    ),
    pytest.param(
        # a second entry with a taken id has problems of its own: they are its own to report
        OFFERINGS + "- id: books\n  name: Again\n  relationship: own\n"
        "  capabilities: {invoicng: full}\n",
        [
            "offerings/main.yaml:15: books.id: duplicate offering id (first defined at "
            "offerings/main.yaml:1)",
            "offerings/main.yaml:18: books.capabilities.invoicng: unknown capability "
            "'invoicng' (did you mean 'invoicing'?)",
        ],
        id="duplicate-id-keeps-its-own-problems",
    ),
    pytest.param(
        # payly is named by books' integrations: its missing name is one problem, not two
        OFFERINGS.replace("  name: Payly\n", ""),
        ["offerings/main.yaml:9: payly.name: required field is missing"],
        id="missing-name-does-not-cascade",
    ),
    pytest.param(
        OFFERINGS.replace("relationship: own", "relationship: ours")
        .replace("  name: Payly\n", "")
        .replace("invoicing: full", "invoicng: full")
        + "- id: payly\n  name: Payly again\n  relationship: partner\n"
        "  capabilities: {paymnts: full}\n  integrations: [books, nowhere]\n",
        [
            "offerings/main.yaml:3: books.relationship: must be one of own | partner | "
            "competitor | other, not 'ours'",
            "offerings/main.yaml:4: books.capabilities.invoicng: unknown capability 'invoicng' "
            "(did you mean 'invoicing'?)",
            "offerings/main.yaml:9: payly.name: required field is missing",
            "offerings/main.yaml:14: payly.id: duplicate offering id (first defined at "
            "offerings/main.yaml:9)",
            "offerings/main.yaml:17: payly.capabilities.paymnts: unknown capability 'paymnts' "
            "(did you mean 'payments'?)",
            "offerings/main.yaml:18: payly.integrations: unknown offering 'nowhere'",
        ],
        id="combined",
    ),
]


@pytest.mark.parametrize(("offerings", "expected"), INDEPENDENT)
def test_every_independent_problem_once_and_no_consequences(
    tmp_path: Path, rules: Rules, offerings: str, expected: list[str]
) -> None:
    result = load_catalog(
        write_catalog(tmp_path, offerings__main_yaml=offerings), rules, today=TODAY
    )
    assert result.catalog is None
    assert [str(p) for p in result.errors] == expected
