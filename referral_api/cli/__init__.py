"""The ``referral`` command line: curate the catalogue, ask for recommendations, run the service.

One module per command group: :mod:`~referral_api.cli.catalog` (validate, load),
:mod:`~referral_api.cli.recommend` (recommend, batch), :mod:`~referral_api.cli.evaluate` (eval),
:mod:`~referral_api.cli.db` (db upgrade, records purge), :mod:`~referral_api.cli.keys`,
:mod:`~referral_api.cli.insights` (audit, gaps), :mod:`~referral_api.cli.suggestions` and
:mod:`~referral_api.cli.serve` (openapi, serve). Each parses its flags, calls a use case in
``service/`` and prints the answer.
"""

from __future__ import annotations

import sys

# The modules register their commands on import; ``referral --help`` lists them in that order.
# isort: off
from referral_api.cli import catalog, recommend, evaluate, db, keys, insights, suggestions, serve  # noqa: F401

# isort: on
from referral_api.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``referral`` console script."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        sys.exit(130)
