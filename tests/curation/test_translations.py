"""``translations``: a capability's phrases per language — loaded, validated, round-tripped."""

from __future__ import annotations

import json
from pathlib import Path
from types import MappingProxyType

import pytest

from referral_api.curation import (
    catalog_documents,
    load_catalog,
    load_catalog_documents,
    write_documents,
)
from referral_api.curation.snapshot import catalog_from_snapshot
from referral_api.domain import Rules
from tests.curation.test_catalog_validation import CAPABILITIES, TODAY, write_catalog

TRANSLATED = CAPABILITIES.replace(
    "  synonyms: [send bills]\n",
    "  synonyms: [send bills]\n"
    "  translations:\n"
    "    es: [facturación, hacer facturas, emitir facturas]\n"
    "    FR: [facturation, faire des factures]\n"
    "    de: Rechnungen schreiben\n"
    "    no: [fakturering]\n"
    "    nl: []\n",
)


def test_translations_load(tmp_path: Path, rules: Rules) -> None:
    result = load_catalog(write_catalog(tmp_path, capabilities_yaml=TRANSLATED), rules, today=TODAY)
    assert result.problems == ()
    catalog = result.require()
    invoicing = catalog.capabilities["invoicing"]
    assert dict(invoicing.translations) == {
        "es": ("facturación", "hacer facturas", "emitir facturas"),
        "fr": ("facturation", "faire des factures"),  # codes are kept in lower case
        "de": ("Rechnungen schreiben",),  # a single phrase is a list of one, like synonyms
        "no": ("fakturering",),  # Norwegian, not the YAML 1.1 boolean
    }  # a language without phrases is dropped
    assert isinstance(invoicing.translations, MappingProxyType)
    assert "translations" not in invoicing.extra


def test_minimum_capabilities_load_without_translations(tmp_path: Path, rules: Rules) -> None:
    catalog = load_catalog(write_catalog(tmp_path), rules, today=TODAY).require()
    assert all(cap.translations == {} for cap in catalog.capabilities.values())


def test_translations_round_trip(tmp_path: Path, rules: Rules) -> None:
    root = write_catalog(tmp_path / "first", capabilities_yaml=TRANSLATED)
    catalog = load_catalog(root, rules, today=TODAY).require()
    documents = catalog_documents(catalog)
    invoicing = next(c for c in documents["capabilities.yaml"] if c["id"] == "invoicing")
    assert invoicing["translations"]["es"] == ["facturación", "hacer facturas", "emitir facturas"]
    assert "translations" not in next(
        c for c in documents["capabilities.yaml"] if c["id"] == "accounting"
    )

    write_documents(documents, tmp_path / "second")
    assert load_catalog(tmp_path / "second", rules, today=TODAY).require() == catalog
    assert load_catalog_documents(documents, rules, today=TODAY).require() == catalog
    stored = json.loads(json.dumps(documents))  # as the database keeps a snapshot
    rebuilt = catalog_from_snapshot(stored)
    assert rebuilt == catalog
    assert (
        rebuilt.capabilities["invoicing"].translations
        == catalog.capabilities["invoicing"].translations
    )


def _errors(tmp_path: Path, rules: Rules, translations: str) -> list[str]:
    capabilities = CAPABILITIES.replace(
        "  synonyms: [send bills]\n", "  synonyms: [send bills]\n  translations:\n" + translations
    )
    result = load_catalog(write_catalog(tmp_path, capabilities_yaml=capabilities), rules)
    assert result.catalog is None
    return [str(p) for p in result.errors]


@pytest.mark.parametrize(
    ("translations", "expected"),
    [
        pytest.param(
            "    es: [facturación]\n    xx: [billing]\n",
            "capabilities.yaml:8: invoicing.translations.xx: 'xx' is not an ISO 639-1 language "
            "code (e.g. 'es', 'fr', 'de')",
            id="unknown-code",
        ),
        pytest.param(
            "    spanish: [facturación]\n",
            "capabilities.yaml:7: invoicing.translations.spanish: 'spanish' is not an ISO 639-1 "
            "language code (e.g. 'es', 'fr', 'de')",
            id="language-name-not-code",
        ),
        pytest.param(
            "    es: [facturación]\n    ES: [facturas]\n",
            "capabilities.yaml:8: invoicing.translations.ES: language 'es' is given twice",
            id="same-code-twice",
        ),
    ],
)
def test_unknown_language_code_is_an_error(
    tmp_path: Path, rules: Rules, translations: str, expected: str
) -> None:
    assert expected in _errors(tmp_path, rules, translations)


@pytest.mark.parametrize(
    ("translations", "expected"),
    [
        pytest.param(
            "    fr: {facturation: oui}\n",
            "capabilities.yaml:7: invoicing.translations.fr: must be a list of phrases, "
            "not a mapping",
            id="mapping",
        ),
        pytest.param(
            "    de: 42\n",
            "capabilities.yaml:7: invoicing.translations.de: must be a list of phrases, "
            "not a number (42)",
            id="number",
        ),
        pytest.param(
            "    es:\n      - facturación\n      - {a: b}\n",
            "capabilities.yaml:9: invoicing.translations.es[1]: must be text",
            id="non-text-phrase",
        ),
    ],
)
def test_non_list_value_is_an_error(
    tmp_path: Path, rules: Rules, translations: str, expected: str
) -> None:
    assert expected in _errors(tmp_path, rules, translations)


def test_translations_must_be_a_mapping(tmp_path: Path, rules: Rules) -> None:
    capabilities = CAPABILITIES.replace(
        "  synonyms: [send bills]\n", "  synonyms: [send bills]\n  translations: [facturación]\n"
    )
    result = load_catalog(write_catalog(tmp_path, capabilities_yaml=capabilities), rules)
    assert [str(p) for p in result.errors] == [
        "capabilities.yaml:6: invoicing.translations: must be a mapping of language code → "
        "phrases, not a list"
    ]
