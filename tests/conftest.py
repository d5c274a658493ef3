"""Shared fixtures: the fake Bot API server, one real Aspose engine pool, a running bot."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import pytest
import pytest_asyncio
from telegram.ext import Application

from bot.app import build_application, start_services, stop_services
from bot.config import Settings
from bot.ocr_engine import EngineConfig
from bot.ocr_service import OcrService
from tests.fake_telegram import FakeTelegram

TOKEN = "123456789:AAFakeTokenForTests_abcdefghijklmnopq"


@pytest.fixture(scope="session")
def ocr_service(tmp_path_factory: pytest.TempPathFactory) -> OcrService:
    """One real engine pool for the whole session (its warm-up costs seconds).

    Automatic model downloads are off: there is no internet here, and the handwriting
    fallback has its own test.
    """
    config = EngineConfig(
        language="ENG",
        resources_dir=str(tmp_path_factory.mktemp("aspose")),
        auto_download=False,
    )
    service = OcrService(config, workers=1, timeout_s=120)
    service.start()
    yield service
    service.shutdown()


@pytest_asyncio.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN) as server:
        yield server


@pytest.fixture
def settings_for(tmp_path: Path) -> Callable[..., Settings]:
    def make(server: FakeTelegram, **overrides) -> Settings:
        base = Settings(
            token=server.token,
            api_base_url=server.base_url,
            file_base_url=server.base_file_url,
            database_path=tmp_path / "data" / "notes.db",
            aspose_resources_dir=tmp_path / "aspose",
            aspose_auto_download=False,
        )
        return replace(base, **overrides)

    return make


@asynccontextmanager
async def running_bot(settings: Settings, ocr: OcrService | None) -> AsyncIterator[Application]:
    """The real Application, polling the fake server, as `python -m bot` runs it."""
    application = build_application(settings, ocr=ocr)
    await application.initialize()
    await start_services(application)  # post_init: run_polling would call it
    await application.start()
    await application.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await stop_services(application)  # post_stop
        await application.shutdown()
