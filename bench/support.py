"""What several benchmarks need: a free loopback port, a fresh PostgreSQL database, the demo
catalogue in a database of its own with a key, peak RSS."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fresh_postgres_database(name: str, admin_url: str = POSTGRES_ADMIN) -> str | None:
    """Drop and create database ``name`` on the local server; its URL, or None if unreachable."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            connection.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
    except OperationalError:
        return None
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def run_database(kind: str, name: str, scratch: str) -> str | None:
    """The URL of a fresh database for one benchmark run: ``sqlite``, a file in directory
    ``scratch``; ``postgresql``, database ``name`` made afresh on the local server (None, with
    a message on stderr, when that server is not reachable)."""
    if kind == "sqlite":
        return f"sqlite:///{scratch}/bench.db"
    url = fresh_postgres_database(name)
    if url is None:
        print("PostgreSQL is not reachable on 127.0.0.1:5432", file=sys.stderr)
    return url


def peak_rss_mb(pid: int) -> float:
    """The peak resident set size of a running process (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    return float("nan")


def referral(*args: str, env: dict[str, str]) -> str:
    """Run the ``referral`` CLI of this environment; its standard output."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "referral"), *args],
        env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return done.stdout


def demo_database(url: str, catalog: str | Path = ROOT / "catalog") -> tuple[dict[str, str], str]:
    """Migrate the database at ``url``, load ``catalog`` into it and create an admin key whose
    rate limit never binds; the environment that serves it, and the key."""
    env = {
        **os.environ,
        "REFERRAL_DATABASE_URL": url,
        "REFERRAL_CATALOG_DIR": str(catalog),
        "REFERRAL_RULES_DIR": str(ROOT / "rules"),
        "REFERRAL_RATE_LIMIT_PER_MINUTE": "100000000",
    }
    referral("db", "upgrade", env=env)
    referral("catalog", "load", env=env)
    key = referral("keys", "create", "--name", "bench", "--scopes", "admin", env=env)
    return env, key.strip().splitlines()[-1]
