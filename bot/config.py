"""Settings read from the environment (and a `.env` file), validated once at start.

Every setting is documented in README.md and `.env.example`; a bad value is a one-line error.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

from dotenv import dotenv_values

T = TypeVar("T")
D = TypeVar("D")


class ConfigError(Exception):
    """A setting is missing or invalid; the message is meant for the operator, one line."""


def _truthy(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(value)


def _int_set(value: str) -> frozenset[int]:
    return frozenset(int(part) for part in value.replace(",", " ").split())


def _webapp_url(value: str) -> str:
    """The Mini App's public address: HTTPS (Telegram opens nothing else), with a host, no
    query or fragment; its path ends in '/' so the page's relative links stay under it."""
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(value)
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit(("https", parts.netloc, path, "", ""))


OCR_BACKENDS = ("local", "celery")
OCR_ENGINES = ("aspose", "rapidocr")


@dataclass(frozen=True)
class Settings:
    token: str
    api_base_url: str | None = None
    file_base_url: str | None = None
    database_path: Path = Path("data/notes.db")
    confidence_threshold: float = 75.0  # percent
    ocr_language: str = "ENG"
    ocr_workers: int = 1
    ocr_timeout_s: float = 120.0
    ocr_warm_up: bool = True
    ocr_backend: str = "local"  # "local": worker processes of the bot; "celery": a task queue
    # redis://[:password@]host:port/db, for "celery"; out of repr: it may hold a password
    ocr_broker_url: str | None = field(default=None, repr=False)
    ocr_max_in_flight: int = 8  # "celery": photos submitted to the queue and not yet answered
    ocr_result_ttl_s: int = 600  # "celery": how long Redis keeps an answer nobody has read
    # Seconds a photo may wait for OCR before its sender is told why (the queue unreachable,
    # no worker running); kept under the 30 s the bot waits for Redis before trying again.
    ocr_delay_notice_s: float = 25.0
    ocr_engine: str = "aspose"  # "aspose" or "rapidocr"
    ocr_crosscheck: bool | None = None  # None: on when RapidOCR is installed
    ocr_flatten: bool | None = None  # None: the engine's measured default
    aspose_license_path: Path | None = None
    aspose_resources_dir: Path = Path("data/aspose")
    aspose_auto_download: bool = True
    aspose_openssl_dir: Path | None = None
    aspose_model_recheck_s: float = 3600.0
    log_level: str = "INFO"
    callback_secret: str | None = None
    max_pending_per_user: int = 3
    max_queue: int = 100
    allowed_user_ids: frozenset[int] = field(default_factory=frozenset)
    admin_user_ids: frozenset[int] = field(default_factory=frozenset)
    max_image_pixels: int = 40_000_000
    max_file_bytes: int = 20 * 1024 * 1024
    album_window_s: float = 1.5
    webhook_url: str | None = None
    webhook_secret: str | None = None
    # The bot's one HTTP server: the Mini App, /healthz, /metrics and, in webhook mode, updates.
    http_listen: str = "0.0.0.0"
    http_port: int = 8080  # 0: any free port (tests), logged at start
    webapp_url: str | None = None  # the page's public HTTPS address; None: no Edit button
    webapp_max_age_s: float = 86400.0  # how old a Mini App's initData may be
    webapp_cache_dir: Path = Path("data/page-cache")
    webapp_cache_mb: float = 200.0  # the page images cached on disk, least recently used out
    review_prompts_max: int = 5  # more flagged lines: one message with the Edit button

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        env_file: str | Path | None = ".env",
        *,
        require_token: bool = True,
    ) -> Settings:
        """Read settings; real environment variables win over the `.env` file.

        `require_token=False` is for an OCR worker (`python -m bot worker`): it never talks to
        Telegram, so a worker host needs no token; `token` is then empty.
        """
        values: dict[str, str] = {}
        if env_file is not None and Path(env_file).is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ if environ is None else environ)
        return cls._parse(values, require_token=require_token)

    @classmethod
    def _parse(cls, env: Mapping[str, str], *, require_token: bool = True) -> Settings:
        def get(name: str) -> str | None:
            raw = env.get(name)
            return raw.strip() if raw is not None and raw.strip() else None

        def convert(name: str, parse: Callable[[str], T], default: D) -> T | D:
            raw = get(name)
            if raw is None:
                return default
            try:
                return parse(raw)
            except ValueError:
                raise ConfigError(f"{name}={raw!r} is not a valid value") from None

        token = get("TELEGRAM_BOT_TOKEN") or ""
        if not token and require_token:
            raise ConfigError("TELEGRAM_BOT_TOKEN is not set (get one from @BotFather)")

        threshold = convert("OCR_CONFIDENCE_THRESHOLD", float, 75.0)
        if not 0 <= threshold <= 100:
            raise ConfigError(f"OCR_CONFIDENCE_THRESHOLD={threshold} must be between 0 and 100")
        workers = convert("OCR_WORKERS", int, 1)
        if workers < 1:
            raise ConfigError(f"OCR_WORKERS={workers} must be at least 1")
        timeout = convert("OCR_TIMEOUT_S", float, 120.0)
        if timeout <= 0:
            raise ConfigError(f"OCR_TIMEOUT_S={timeout} must be positive")
        log_level = (get("LOG_LEVEL") or "INFO").upper()
        if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ConfigError(f"LOG_LEVEL={log_level!r} is not a logging level")
        license_path = convert("ASPOSE_LICENSE_PATH", Path, None)
        if license_path is not None and not license_path.is_file():
            raise ConfigError(f"ASPOSE_LICENSE_PATH={str(license_path)!r} is not a readable file")
        backend = (get("OCR_BACKEND") or "local").lower()
        if backend not in OCR_BACKENDS:
            raise ConfigError(f"OCR_BACKEND={backend!r} must be one of {', '.join(OCR_BACKENDS)}")
        broker_url = get("OCR_BROKER_URL")
        if broker_url is not None and not broker_url.startswith(("redis://", "rediss://")):
            # Only the scheme is shown: the URL may hold the Redis password.
            raise ConfigError("OCR_BROKER_URL must be a redis:// or rediss:// URL")
        if backend == "celery" and broker_url is None:
            raise ConfigError("OCR_BACKEND=celery needs OCR_BROKER_URL (redis://host:6379/0)")
        max_in_flight = convert("OCR_MAX_IN_FLIGHT", int, 8)
        if max_in_flight < 1:
            raise ConfigError(f"OCR_MAX_IN_FLIGHT={max_in_flight} must be at least 1")
        result_ttl = convert("OCR_RESULT_TTL_S", int, 600)
        if result_ttl < 60:
            raise ConfigError(f"OCR_RESULT_TTL_S={result_ttl} must be at least 60")
        delay_notice = convert("OCR_DELAY_NOTICE_S", float, 25.0)
        if not 0 < delay_notice <= 3600:
            raise ConfigError(f"OCR_DELAY_NOTICE_S={delay_notice} must be between 0 and 3600")
        engine = (get("OCR_ENGINE") or "aspose").lower()
        if engine not in OCR_ENGINES:
            raise ConfigError(f"OCR_ENGINE={engine!r} must be one of {', '.join(OCR_ENGINES)}")
        recheck = convert("ASPOSE_MODEL_RECHECK_S", float, 3600.0)
        if recheck < 0:
            raise ConfigError(f"ASPOSE_MODEL_RECHECK_S={recheck} must not be negative")
        webhook_url = get("WEBHOOK_URL")
        # One server for everything: WEBAPP_LISTEN/WEBAPP_PORT, or the older WEBHOOK_ names
        # (a webhook set up before the Mini App keeps its port, 8443 by default).
        port = convert("WEBAPP_PORT", int, None)
        port = convert("WEBHOOK_PORT", int, None) if port is None else port
        port = (8443 if webhook_url else 8080) if port is None else port
        if not 0 <= port <= 65535:
            raise ConfigError(f"WEBAPP_PORT={port} is not a port number")
        webapp_url = convert("WEBAPP_URL", _webapp_url, None)
        max_age = convert("WEBAPP_MAX_AGE_S", float, 86400.0)
        cache_mb = convert("WEBAPP_CACHE_MB", float, 200.0)
        prompts_max = convert("REVIEW_PROMPTS_MAX", int, 5)
        if max_age <= 0 or cache_mb <= 0:
            raise ConfigError("WEBAPP_MAX_AGE_S and WEBAPP_CACHE_MB must be positive")
        if prompts_max < 0:
            raise ConfigError(f"REVIEW_PROMPTS_MAX={prompts_max} must not be negative")
        max_pending = convert("MAX_PENDING_PER_USER", int, 3)
        max_queue = convert("MAX_QUEUE", int, 100)
        if max_pending < 1 or max_queue < 1:
            raise ConfigError("MAX_PENDING_PER_USER and MAX_QUEUE must be at least 1")

        return cls(
            token=token,
            api_base_url=get("TELEGRAM_API_BASE_URL"),
            file_base_url=get("TELEGRAM_FILE_BASE_URL"),
            database_path=Path(get("DATABASE_PATH") or "data/notes.db"),
            confidence_threshold=threshold,
            ocr_language=(get("OCR_LANGUAGE") or "ENG").upper(),
            ocr_workers=workers,
            ocr_timeout_s=timeout,
            ocr_warm_up=convert("OCR_WARM_UP", _truthy, True),
            ocr_backend=backend,
            ocr_broker_url=broker_url,
            ocr_max_in_flight=max_in_flight,
            ocr_result_ttl_s=result_ttl,
            ocr_delay_notice_s=delay_notice,
            ocr_engine=engine,
            ocr_crosscheck=convert("OCR_CROSSCHECK", _truthy, None),
            ocr_flatten=convert("OCR_FLATTEN", _truthy, None),
            aspose_license_path=license_path,
            aspose_resources_dir=Path(get("ASPOSE_RESOURCES_DIR") or "data/aspose"),
            aspose_auto_download=convert("ASPOSE_AUTO_DOWNLOAD", _truthy, True),
            aspose_openssl_dir=convert("ASPOSE_OPENSSL_DIR", Path, None),
            aspose_model_recheck_s=recheck,
            log_level=log_level,
            callback_secret=get("CALLBACK_SECRET"),
            max_pending_per_user=max_pending,
            max_queue=max_queue,
            allowed_user_ids=convert("ALLOWED_USER_IDS", _int_set, frozenset()),
            admin_user_ids=convert("ADMIN_USER_IDS", _int_set, frozenset()),
            max_image_pixels=convert("MAX_IMAGE_PIXELS", int, 40_000_000),
            webhook_url=webhook_url,
            webhook_secret=get("WEBHOOK_SECRET"),
            http_listen=get("WEBAPP_LISTEN") or get("WEBHOOK_LISTEN") or "0.0.0.0",
            http_port=port,
            webapp_url=webapp_url,
            webapp_max_age_s=max_age,
            webapp_cache_dir=Path(get("WEBAPP_CACHE_DIR") or "data/page-cache"),
            webapp_cache_mb=cache_mb,
            review_prompts_max=prompts_max,
        )
