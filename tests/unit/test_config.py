"""Settings: safe defaults, environment overrides, and the secret key kept outside the repository."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from qudao.config import Settings


def test_secret_key_is_generated_once_private_and_reused(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path / "state")
    first = settings.resolved_secret_key()
    key_file = tmp_path / "state" / "secret_key"
    assert key_file.read_text() == first and len(first) >= 48
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert Settings(state_dir=tmp_path / "state").resolved_secret_key() == first


def test_configured_secret_wins_and_writes_nothing(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path / "state", secret_key="from-the-environment")
    assert settings.resolved_secret_key() == "from-the-environment"
    assert not (tmp_path / "state").exists()


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUDAO_DATABASE_URL", "postgresql://example/qudao")
    monkeypatch.setenv("QUDAO_LOGIN_MAX_FAILURES", "3")
    settings = Settings()
    assert settings.database_url == "postgresql://example/qudao"
    assert settings.login_max_failures == 3
    assert Settings.model_fields["database_url"].default == "sqlite:///var/qudao.db"


def test_bad_valuation_method_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUDAO_VALUATION_METHOD", "lifo")
    with pytest.raises(ValueError, match="valuation_method"):
        Settings()
