"""Shared fixtures: the fake Bot API server, one real Aspose engine pool, a running bot."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path

import pytest
import pytest_asyncio

from bot.config import Settings
from bot.ocr.backends.pool import OcrPool
from bot.ocr.contract import EngineConfig
from bot.storage import Storage
from tests.support.fake_telegram import FakeTelegram
from tests.support.redis_server import RedisServer
from tests.support.running import TOKEN


@pytest.fixture(scope="session")
def ocr_pool(tmp_path_factory: pytest.TempPathFactory) -> OcrPool:
    """One real engine pool for the whole session (its warm-up costs seconds).

    Automatic model downloads are off: there is no internet here, and the handwriting
    fallback has its own test.
    """
    config = EngineConfig(
        language="ENG",
        resources_dir=str(tmp_path_factory.mktemp("aspose")),
        auto_download=False,
    )
    service = OcrPool(config, workers=1, timeout_s=120)
    service.start()
    yield service
    service.shutdown()


@pytest_asyncio.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN) as server:
        yield server


@pytest_asyncio.fixture
async def redis_server(tmp_path: Path) -> AsyncIterator[RedisServer]:
    """A real redis-server on a free 127.0.0.1 port, without persistence, for one test."""
    server = RedisServer(tmp_path)
    await server.start()
    yield server
    await server.stop()


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


@pytest.fixture(scope="session")
def rapid_pool() -> OcrPool:
    """A real pool of RapidOCR workers (OCR_ENGINE=rapidocr): starts in about a second."""
    service = OcrPool(EngineConfig(engine="rapidocr"), workers=1, timeout_s=120)
    service.start()
    yield service
    service.shutdown()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where a test's real SQLite file lives (its folder not created yet, as on a new host)."""
    return tmp_path / "data" / "notes.db"


@pytest_asyncio.fixture
async def storage(db_path: Path) -> AsyncIterator[Storage]:
    """The bot's `Storage` opened on `db_path` (migrations run as at start)."""
    async with await Storage.open(db_path) as opened:
        yield opened
