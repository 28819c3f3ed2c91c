"""Typed settings read from environment variables (prefix ``QUDAO_``) with safe defaults."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_state_dir() -> Path:
    """Where secrets live: the user's data directory, never the repository."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "qudao"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QUDAO_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///var/qudao.db",
        description="SQLAlchemy URL; SQLite file by default, PostgreSQL in production.",
    )
    secret_key: str | None = Field(default=None, description="Signs tokens; generated on first run if unset.")
    state_dir: Path = Field(default_factory=_default_state_dir)
    token_minutes: int = 12 * 60
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    import_max_bytes: int = 50 * 1024 * 1024
    import_max_rows: int = 1_000_000
    default_page_size: int = 50
    max_page_size: int = 500
    valuation_method: str = Field(default="fifo", pattern="^(fifo|moving_average)$")
    dask_scheduler: str | None = None
    # CPFR: a line is an exception when partner and statistical forecasts differ by more than both.
    cpfr_threshold_pct: float = Field(default=20.0, ge=0)
    cpfr_threshold_units: float = Field(default=10.0, ge=0)

    def resolved_secret_key(self) -> str:
        """The configured key, or one generated once and kept in ``state_dir`` (mode 0600)."""
        if self.secret_key:
            return self.secret_key
        path = self.state_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        return key


@lru_cache
def get_settings() -> Settings:
    return Settings()
