"""Settings: one typed object, read from ``REFERRAL_*`` environment variables.

Nothing else in the package reads ``os.environ``; CLI flags of the same names override these.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


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


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicitly given (non-``None``) values on top."""
    given = {key: value for key, value in overrides.items() if value is not None}
    return Settings(**given)  # type: ignore[arg-type]
