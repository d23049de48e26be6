"""The engine a worker serves with, kept in step with the active catalogue version.

Each worker holds one engine (the in-memory index) for the active version. A background thread
checks the active version id every ``reload_interval_seconds``; when it changed, the new engine
is built off the request path and swapped in with one assignment, so a request sees either the
old engine or the new one, never half of each.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from referral_api.domain import Catalog, Interpretation, Need, Recommendation, Rules
from referral_api.errors import Unavailable
from referral_api.matching import Engine
from referral_api.memory import bulk_build
from referral_api.service.catalogue import rebuild
from referral_api.store.db import Database
from referral_api.store.repositories import CatalogVersionRepository

log = logging.getLogger("referral_api.runtime")


class RecommendationEngine(Protocol):
    """What the API needs of the matching engine (``referral_api.matching.Engine``)."""

    @property
    def catalog(self) -> Catalog: ...

    @property
    def rules(self) -> Rules: ...

    def recommend(self, need: Need, *, limit: int = 5) -> Recommendation: ...


@runtime_checkable
class ReadingEngine(RecommendationEngine, Protocol):
    """An engine that also reads a need on its own (the matching engine does), so that a
    form can check its structured constraints before asking for an answer."""

    def interpret(self, need: Need) -> Interpretation: ...


EngineFactory = Callable[[Catalog, Rules], RecommendationEngine]


def default_engine_factory(catalog: Catalog, rules: Rules) -> RecommendationEngine:
    """The matching engine's index for ``catalog``."""
    return Engine(catalog, rules)


@dataclass(frozen=True)
class LoadedEngine:
    """An engine together with the catalogue version it was built from."""

    version_id: int
    engine: RecommendationEngine

    @property
    def catalog(self) -> Catalog:
        return self.engine.catalog

    @property
    def rules(self) -> Rules:
        return self.engine.rules


class EngineHolder:
    """The worker's current engine, refreshed when the active catalogue version changes."""

    def __init__(
        self, database: Database, factory: EngineFactory, *, interval_seconds: float
    ) -> None:
        self.database = database
        self.factory = factory
        self.interval_seconds = interval_seconds
        self._current: LoadedEngine | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failed_id: int | None = None  # a version that failed to build: not retried
        self.last_error: str | None = None

    @property
    def current(self) -> LoadedEngine:
        """The engine to serve with; :class:`Unavailable` until one is loaded."""
        loaded = self._current
        if loaded is None:
            raise Unavailable(self.last_error or "no active catalogue is loaded yet", retry_after=5)
        return loaded

    def refresh(self) -> bool:
        """Load the active version if it is not the one held; whether the engine changed."""
        with self._lock:  # one rebuild at a time; requests never take this lock
            with self.database.session(write=False) as session:
                versions = CatalogVersionRepository(session)
                active_id = versions.active_id()
                if active_id is None:
                    self.last_error = "no active catalogue is loaded yet"
                    return False
                if self._current is not None and self._current.version_id == active_id:
                    return False
                if active_id == self._failed_id:
                    return False
                try:
                    with bulk_build():  # reading the snapshot creates millions of objects too
                        version = versions.get(active_id)
                        assert version is not None
                        snapshot = rebuild(version)
                        engine = self.factory(snapshot.catalog, snapshot.rules)
                except Exception as exc:
                    self._failed_id = active_id
                    self.last_error = f"catalogue version {active_id} failed to load: {exc}"
                    raise
            replaced = self._current is not None
            self._current = LoadedEngine(active_id, engine)
            # The index lives as long as the version: take its millions of objects out of the
            # cyclic collector's sight, so that collections do not walk them on every request
            # (after a reload, first let the previous version's cycles be collected).
            if replaced:
                gc.unfreeze()
                gc.collect()
            gc.freeze()
            self._failed_id = None
            self.last_error = None
            log.info("serving catalogue version %s (%s)", active_id, snapshot.catalog.info.version)
            return True

    def start(self) -> None:
        """Poll for new versions in a daemon thread (no-op when the interval is 0)."""
        if self.interval_seconds <= 0 or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="engine-reload", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval_seconds):
            try:
                self.refresh()
            except Exception:  # keep serving the engine we have; retried when the version changes
                log.exception("reloading the catalogue failed; still serving the previous one")
