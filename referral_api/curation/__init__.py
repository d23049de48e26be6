"""Load and validate ``catalog/`` and ``rules/`` into domain objects, with file:line errors."""

from referral_api.curation.catalog_loader import (
    CatalogLoad,
    load_catalog,
    load_catalog_documents,
    read_documents,
)
from referral_api.curation.dump import catalog_documents, offering_document, write_documents
from referral_api.curation.problems import Problem, ProblemLog, Severity
from referral_api.curation.rules_loader import (
    SECTIONS,
    RulesLoad,
    load_rules,
    load_rules_texts,
    read_rules_texts,
)

__all__ = [
    "SECTIONS",
    "CatalogLoad",
    "Problem",
    "ProblemLog",
    "RulesLoad",
    "Severity",
    "catalog_documents",
    "load_catalog",
    "load_catalog_documents",
    "load_rules",
    "load_rules_texts",
    "offering_document",
    "read_documents",
    "read_rules_texts",
    "write_documents",
]
