"""Run every benchmark module ``bench/*_bench.py`` (each has ``main(argv) -> int``).

``python -m bench`` runs them all; ``python -m bench http`` runs ``http_bench`` only, passing
any further arguments on.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    names = sorted(p.stem for p in Path(__file__).parent.glob("*_bench.py"))
    if argv and f"{argv[0]}_bench" in names:
        names, argv = [f"{argv[0]}_bench"], argv[1:]
    status = 0
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        status |= module.main(argv)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
