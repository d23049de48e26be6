"""Real processes for reliability tests: a database of one's own, servers, and a cable to cut.

- :class:`Cable` is a TCP proxy in front of PostgreSQL that a test can cut (every connection
  dropped, new ones refused) and restore — an outage without stopping the shared server — or
  slow down (``lag``).
- :func:`database` makes a fresh PostgreSQL schema or SQLite file, migrated and loaded with the
  bundled catalogue; :class:`Server` runs ``referral serve`` against it as a real process.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import CATALOG_DIR, RULES_DIR, postgres_schema

REFERRAL = str(Path(sys.executable).parent / "referral")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def referral(
    *args: str, env: dict[str, str], check: bool = True
) -> subprocess.CompletedProcess[str]:
    return subprocess.run([REFERRAL, *args], env=env, capture_output=True, text=True, check=check)


class Cable:
    """A TCP proxy to PostgreSQL on a loopback port of its own, which a test can cut."""

    def __init__(self, target: tuple[str, int] = ("127.0.0.1", 5432)) -> None:
        self.target = target
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.lag = 0.0  # seconds each answer from the database is held back: a slow database
        self.restore()

    def _run(self, coroutine: object) -> object:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)  # type: ignore[arg-type]

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, answers: bool
    ) -> None:
        with contextlib.suppress(Exception):
            while data := await reader.read(65536):
                if answers and self.lag:
                    await asyncio.sleep(self.lag)
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers.update({writer, up_writer})
        await asyncio.gather(
            self._pipe(reader, up_writer, answers=False),
            self._pipe(up_reader, writer, answers=True),
        )
        self._writers.difference_update({writer, up_writer})

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def cut(self) -> None:
        """Drop every connection and refuse new ones: the database is away."""
        self._run(self._stop())

    def restore(self) -> None:
        """Accept connections again: the database is back."""
        self._run(self._start())

    def close(self) -> None:
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()


@dataclass
class Target:
    """A database for one test: its URL (optionally through a cable) and the environment."""

    url: str
    env: dict[str, str]
    backend: str
    direct_env: dict[str, str]  # for the CLI and checks: never through the cable
    direct_url: str


@contextlib.contextmanager
def database(backend: str, tmp_path: Path, *, port: int | None = None) -> Iterator[Target]:
    """A fresh, migrated database with the bundled catalogue active (``port``: a cable's)."""
    base = {
        **os.environ,
        "REFERRAL_CATALOG_DIR": str(CATALOG_DIR),
        "REFERRAL_RULES_DIR": str(RULES_DIR),
        "REFERRAL_RELOAD_INTERVAL_SECONDS": "1",
        "REFERRAL_SESSION_SECRET": "reliability-tests-" + "x" * 32,
    }
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path}/reliability.db"
        env = {**base, "REFERRAL_DATABASE_URL": url}
        referral("db", "upgrade", env=env)
        referral("catalog", "load", env=env)
        yield Target(url, env, backend, env, url)
        return
    with postgres_schema("rel") as direct:
        setup = {**base, "REFERRAL_DATABASE_URL": direct}
        referral("db", "upgrade", env=setup)
        referral("catalog", "load", env=setup)
        url = direct if port is None else direct.replace(":5432/", f":{port}/")
        yield Target(url, {**base, "REFERRAL_DATABASE_URL": url}, backend, setup, direct)


class Server:
    """``referral serve`` as a real process on a free loopback port."""

    def __init__(
        self, env: dict[str, str], *, workers: int = 1, extra: dict[str, str] | None = None
    ) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(env.get("TMPDIR", "/tmp")) / f"referral-serve-{self.port}.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [REFERRAL, "serve", "--workers", str(workers), "--port", str(self.port)],
            env={**env, **(extra or {})},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> dict[str, object]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited: {self.log()}")
            with contextlib.suppress(httpx.TransportError):
                response = httpx.get(f"{self.base}/readyz", timeout=2)
                if response.status_code == 200:
                    return dict(response.json())
            time.sleep(0.1)
        raise AssertionError(f"not ready within {timeout} s: {self.log()}")

    def workers(self, tries: int = 30, expect: int = 2) -> set[int]:
        """Pids of the workers answering /readyz over fresh connections.

        The requests go in concurrent bursts: an idle listener hands sequential connections to
        the same worker again and again, a busy one passes them on to the next."""

        def ask(_: int) -> int | None:
            with contextlib.suppress(httpx.TransportError):
                return int(httpx.get(f"{self.base}/readyz", timeout=5).json()["worker"])
            return None

        seen: set[int] = set()
        with ThreadPoolExecutor(8) as pool:
            for _ in range(tries):
                seen.update(pid for pid in pool.map(ask, range(8)) if pid is not None)
                if len(seen) >= expect:
                    break
        return seen

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM (graceful shutdown), then wait; the exit code."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        code = self.process.wait(timeout=timeout)
        self._log.close()
        return code


def new_key(env: dict[str, str], *scopes: str, limit: int = 1_000_000) -> str:
    done = referral(
        "keys", "create", "--name", f"rel-{uuid.uuid4().hex[:6]}", "--scopes", ",".join(scopes),
        "--rate-limit", str(limit), env=env,
    )  # fmt: skip
    return done.stdout.strip().splitlines()[-1]
