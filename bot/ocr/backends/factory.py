"""Which backend OCR_BACKEND names, built from the settings (the only module that knows both)."""

from __future__ import annotations

from bot.config import Settings
from bot.ocr.backends.base import OcrBackend
from bot.ocr.backends.pool import OcrPool
from bot.ocr.contract import EngineConfig


def build_backend(settings: Settings) -> OcrBackend:
    """The backend OCR_BACKEND names, configured from the settings."""
    config = EngineConfig.from_settings(settings)
    if settings.ocr_backend == "celery":
        from bot.ocr.backends.taskqueue.backend import CeleryBackend  # only then is celery imported

        assert settings.ocr_broker_url is not None  # Settings checks it
        return CeleryBackend(
            config,
            broker_url=settings.ocr_broker_url,
            timeout_s=settings.ocr_timeout_s,
            max_in_flight=settings.ocr_max_in_flight,
            result_ttl_s=settings.ocr_result_ttl_s,
            namespace=settings.token.split(":", 1)[0] or "bot",  # the bot's id, not a secret
        )
    return OcrPool(
        config,
        workers=settings.ocr_workers,
        timeout_s=settings.ocr_timeout_s,
        log_level=settings.log_level,
    )
