"""Settings: one typed object, read from ``REFERRAL_*`` environment variables.

Nothing else in the package reads ``os.environ``; CLI flags of the same names override these.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

#: What ``allowed_hosts`` holds unless configured: local development and the test client.
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]", "testserver")
#: Addresses that mean "every interface": no client names them in its Host header.
_ANY_ADDRESS = frozenset({"0.0.0.0", "::", ""})  # noqa: S104 - compared with, not bound to


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Runtime configuration of the service and the CLI."""

    model_config = SettingsConfigDict(env_prefix="REFERRAL_", frozen=True, extra="ignore")

    database_url: str = Field(
        default="sqlite:///var/referral.db",
        description="SQLAlchemy URL; the embedded default is a SQLite file under ./var/.",
    )
    catalog_dir: Path = Field(default=Path("catalog"), description="The catalogue to load.")
    rules_dir: Path = Field(default=Path("rules"), description="The rules to load.")
    host: str = Field(default="127.0.0.1", description="Address to serve on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port to serve on.")
    allowed_hosts: Annotated[tuple[str, ...], NoDecode] = Field(
        default=LOCAL_HOSTS,
        description="Host names (Host header, without the port) the service answers for, "
        "comma-separated; '*.example.com' for subdomains, '[::1]' for IPv6, '*' for any. The "
        "serving host is always added. Any other Host gets a 400.",
    )
    env: Environment = Field(default=Environment.DEVELOPMENT, description="Deployment environment.")
    redact_needs: bool = Field(
        default=True,
        description="Replace e-mail addresses, phone and card-like numbers in need texts.",
    )
    retention_days: int = Field(
        default=365, ge=0, description="Days to keep recommendation records; 0 keeps them forever."
    )
    reload_interval_seconds: float = Field(
        default=3.0,
        ge=0,
        description="How often each worker checks for a new active catalogue; 0 disables polling.",
    )
    docs_enabled: bool = Field(default=True, description="Serve /docs and /redoc.")
    rate_limit_per_minute: int = Field(
        default=120, ge=1, description="Default requests per minute for a key without its own."
    )
    auth_failures_per_minute: int = Field(
        default=20,
        ge=1,
        description="Failed authentications (wrong or unknown keys) a client address, or a "
        "secret key's id, may make in a minute; beyond, every attempt of it is refused with "
        "429 and Retry-After until the minute ends. Counted in the database.",
    )
    max_body_bytes: int = Field(
        default=64 * 1024, ge=1024, description="Largest request body accepted (413 above)."
    )
    body_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Longest a request body may take to arrive (408 after), so slow clients "
        "cannot hold workers.",
    )
    record_buffer_size: int = Field(
        default=10_000,
        ge=0,
        description="Recommendation records held in memory while the database does not answer; "
        "beyond this they are dropped (counted, logged, reported).",
    )
    record_retry_seconds: float = Field(
        default=2.0, gt=0, description="How often buffered records are retried."
    )
    session_secret: SecretStr | None = Field(
        default=None,
        min_length=32,
        description="Signs page session cookies (console, gap report); required in production. "
        "Unset in development: generated once and kept in session_secret_file.",
    )
    session_secret_file: Path = Field(
        default=Path("var/session-secret"),
        description="Where development keeps its generated session secret (shared by workers).",
    )
    session_max_age_seconds: int = Field(
        default=8 * 3600, ge=60, description="How long a page sign-in lasts."
    )

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, list | tuple):
            return tuple(str(host).strip().lower() for host in value if str(host).strip())
        return value

    @field_validator("allowed_hosts")
    @classmethod
    def _check_hosts(cls, hosts: tuple[str, ...]) -> tuple[str, ...]:
        if not hosts:
            raise ValueError("name at least one host (or '*' for any)")
        for host in hosts:
            wildcard = host.startswith("*.") and "*" not in host[2:]
            ipv6 = host.startswith("[") and host.endswith("]")
            if host != "*" and not wildcard and not ipv6 and any(c in host for c in "*:/[]@"):
                raise ValueError(
                    f"{host!r} is not a host name: give names without scheme or port, "
                    "'*.example.com' for subdomains, or '*'"
                )
        return hosts

    @property
    def trusted_hosts(self) -> list[str]:
        """The Host names answered for: :attr:`allowed_hosts` and the serving host."""
        hosts = list(self.allowed_hosts)
        serving = self.host.lower()
        if ":" in serving and not serving.startswith("["):
            serving = f"[{serving}]"  # an IPv6 address, as it appears in a Host header
        if self.host not in _ANY_ADDRESS and serving not in hosts:
            hosts.append(serving)
        return hosts


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicitly given (non-``None``) values on top."""
    given = {key: value for key, value in overrides.items() if value is not None}
    return Settings(**given)  # type: ignore[arg-type]
