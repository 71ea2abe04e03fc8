"""Settings: flags > WILDCHAT_* env > .env, validated with a clear message, secrets never shown."""

from __future__ import annotations

import ipaddress
import subprocess
import sys
from pathlib import Path

import pytest

from wildchat.collect.settings import SettingsError, load_settings
from wildchat.collect.terms import load_terms


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(__import__("os").environ):
        if name.startswith("WILDCHAT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults() -> None:
    s = load_settings()
    assert (s.host, s.port, s.data_dir) == ("127.0.0.1", 8000, Path("wildchat-data"))
    assert s.db_url == "sqlite:///wildchat-data/logs.sqlite3"
    assert s.headers == ["user-agent", "accept-language"]
    assert s.embedded and s.trusted_proxies == [] and s.max_tokens_cap is None


def test_flags_beat_env_beat_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("WILDCHAT_PORT=7000\nWILDCHAT_HOST=0.0.0.0\nWILDCHAT_MODELS=a,b\n")
    assert load_settings().port == 7000
    monkeypatch.setenv("WILDCHAT_PORT", "7100")
    monkeypatch.setenv("WILDCHAT_TRUSTED_PROXIES", "10.0.0.0/8, ::1")
    s = load_settings()
    assert (s.port, s.host, s.models) == (7100, "0.0.0.0", ["a", "b"])
    assert s.trusted_proxies == [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1/128")]
    assert load_settings(port=7200, host=None).port == 7200


def test_secrets_do_not_print(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WILDCHAT_UPSTREAM_KEY", "sk-very-secret")
    s = load_settings(upstream_url="http://127.0.0.1:1/v1")
    assert s.upstream_key is not None and s.upstream_key.get_secret_value() == "sk-very-secret"
    assert "sk-very-secret" not in repr(s) and "sk-very-secret" not in str(s.model_dump())


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"port": 70000}, "--port / WILDCHAT_PORT"),
        ({"trusted_proxies": "10.0.0.0/33"}, "not a CIDR"),
        ({"upstream_url": "ftp://x"}, "must start with http"),
        ({"headers": "user-agent,Authorization"}, "never logged"),
        ({"terms_file": Path("missing.txt")}, "no such file"),
        ({"log_level": "loud"}, "--log-level"),
    ],
)
def test_invalid_settings_give_one_clear_line_each(overrides: dict[str, object], expected: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(**overrides)
    assert expected in str(caught.value)


def test_cli_reports_bad_settings_without_a_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "wildchat", "serve", "--trusted-proxies", "nonsense", "--upstream-key", "sk-x1y2"],
        capture_output=True, text=True, cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "--trusted-proxies" in result.stderr and "Traceback" not in result.stderr
    assert "sk-x1y2" not in result.stderr + result.stdout


def test_terms_file_and_version(tmp_path: Path) -> None:
    default = load_terms()
    assert default.version == "2026-11-26" and not default.text.startswith("terms_version")
    own = tmp_path / "terms.txt"
    own.write_text("Our own terms.\n")
    first = load_terms(own)
    assert first.version.startswith("sha256-") and first.text == "Our own terms.\n"
    own.write_text("Our own terms, changed.\n")
    assert load_terms(own).version != first.version
    assert load_terms(own, "v9").version == "v9"
