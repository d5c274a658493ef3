"""Settings parsing and token redaction."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings
from bot.logs import RedactTokenFilter
from bot.ocr.contract import EngineConfig

TOKEN = "123456789:AAFakeTokenForTests_abcdefghijklmnopq"


def test_defaults(tmp_path: Path) -> None:
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN}, env_file=None)
    assert settings.confidence_threshold == 75
    assert settings.database_path == Path("data/notes.db")
    assert settings.api_base_url is None


def test_env_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"TELEGRAM_BOT_TOKEN={TOKEN}\nOCR_CONFIDENCE_THRESHOLD=60\nOCR_WORKERS=2\n")
    settings = Settings.from_env({"OCR_WORKERS": "3"}, env_file=env_file)
    assert settings.token == TOKEN
    assert settings.confidence_threshold == 60
    assert settings.ocr_workers == 3


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "TELEGRAM_BOT_TOKEN is not set"),
        ({"TELEGRAM_BOT_TOKEN": "  "}, "TELEGRAM_BOT_TOKEN is not set"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "OCR_CONFIDENCE_THRESHOLD": "abc"}, "not a valid value"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "OCR_CONFIDENCE_THRESHOLD": "150"}, "between 0 and 100"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "OCR_WORKERS": "0"}, "at least 1"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "OCR_WARM_UP": "maybe"}, "not a valid value"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "LOG_LEVEL": "LOUD"}, "not a logging level"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "ASPOSE_LICENSE_PATH": "/nope.lic"}, "not a readable"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "ALLOWED_USER_IDS": "1, x"}, "not a valid value"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "OCR_BACKEND": "rabbit"}, "must be one of local, celery"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "OCR_BACKEND": "celery"}, "needs OCR_BROKER_URL"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "OCR_BROKER_URL": "amqp://u:secret@h"}, "redis://"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "OCR_MAX_IN_FLIGHT": "0"}, "at least 1"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "OCR_ENGINE": "tesseract"}, "aspose, rapidocr"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "OCR_CROSSCHECK": "sometimes"}, "not a valid value"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "ASPOSE_MODEL_RECHECK_S": "-1"}, "not be negative"),
    ],
)
def test_bad_settings_are_one_line_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        Settings.from_env(env, env_file=None)
    assert "\n" not in str(caught.value)


def test_engine_settings_reach_the_engine_config() -> None:
    base = Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN}, env_file=None)
    assert (base.ocr_engine, base.ocr_crosscheck, base.ocr_flatten) == ("aspose", None, None)
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "OCR_ENGINE": "RapidOCR",
        "OCR_CROSSCHECK": "off",
        "OCR_FLATTEN": "yes",
        "ASPOSE_MODEL_RECHECK_S": "60",
    }
    config = EngineConfig.from_settings(Settings.from_env(env, env_file=None))
    assert (config.engine, config.crosscheck, config.flatten) == ("rapidocr", False, True)
    assert config.model_recheck_s == 60


def test_queue_settings_and_a_worker_needs_no_token() -> None:
    url = "redis://:s3cret@redis.internal:6379/2"
    env = {"OCR_BACKEND": "CELERY", "OCR_BROKER_URL": url, "OCR_MAX_IN_FLIGHT": "4"}
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        Settings.from_env(env, env_file=None)
    worker = Settings.from_env(env, env_file=None, require_token=False)
    assert (worker.ocr_backend, worker.ocr_broker_url, worker.ocr_max_in_flight) == (
        "celery",
        url,
        4,
    )
    assert worker.token == ""
    assert "s3cret" not in repr(worker)  # the settings object may end up in a traceback
    assert Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN}, env_file=None).ocr_backend == "local"
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({**env, "OCR_BROKER_URL": "amqp://u:s3cret@h"}, env_file=None)
    assert "s3cret" not in str(caught.value)


def test_token_is_redacted_from_messages_args_and_tracebacks() -> None:
    record_filter = RedactTokenFilter(TOKEN)
    url = f"https://example.invalid/bot{TOKEN}/getUpdates"
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "HTTP %s", (url,), None)
    record_filter.filter(record)
    assert TOKEN not in record.getMessage()
    assert "<token>" in record.getMessage()
    try:
        raise RuntimeError(url)
    except RuntimeError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", (), sys.exc_info())
    record_filter.filter(record)
    assert TOKEN not in (record.exc_text or "")


def test_the_http_server_and_editor_settings() -> None:
    def settings(**env: str) -> Settings:
        return Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, **env}, env_file=None)

    assert (settings().http_listen, settings().http_port, settings().webapp_url) == (
        "0.0.0.0",
        8080,
        None,
    )
    hook = "https://bot.example.com/hook"
    assert settings(WEBHOOK_URL=hook).http_port == 8443  # where a webhook listened before
    assert settings(WEBHOOK_URL=hook, WEBHOOK_PORT="9000").http_port == 9000  # the older name
    assert settings(WEBHOOK_PORT="9000", WEBAPP_PORT="9100").http_port == 9100
    assert settings(WEBHOOK_LISTEN="127.0.0.1").http_listen == "127.0.0.1"
    assert settings(WEBAPP_PORT="0").http_port == 0
    url = settings(WEBAPP_URL="https://notes.example.com/app").webapp_url
    assert url == "https://notes.example.com/app/"  # the page's relative links stay under it
    assert (
        settings(WEBAPP_URL="https://notes.example.com").webapp_url == "https://notes.example.com/"
    )
    assert settings().review_prompts_max == 5
    assert settings().webapp_max_age_s == 86400


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"WEBAPP_URL": "http://notes.example.com/"}, "WEBAPP_URL"),
        ({"WEBAPP_URL": "https:///nohost"}, "WEBAPP_URL"),
        ({"WEBAPP_URL": "https://notes.example.com/?a=1"}, "WEBAPP_URL"),
        ({"WEBAPP_PORT": "70000"}, "not a port number"),
        ({"WEBAPP_MAX_AGE_S": "0"}, "must be positive"),
        ({"WEBAPP_CACHE_MB": "-1"}, "must be positive"),
        ({"REVIEW_PROMPTS_MAX": "-1"}, "must not be negative"),
    ],
)
def test_bad_editor_settings_are_one_line_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, **env}, env_file=None)
