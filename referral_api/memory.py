"""Building large, long-lived structures without paying the cyclic garbage collector for them.

A 100,000-offering catalogue and its index are millions of objects that live as long as the
process. While they are built, every few thousand allocations trigger a collection that walks
all of them again; pausing the collector for the build (and freezing the result into the
permanent generation afterwards) takes seconds off a worker's cold start.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def bulk_build() -> Iterator[None]:
    """Pause cyclic garbage collection while a large structure is built; restore it after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
