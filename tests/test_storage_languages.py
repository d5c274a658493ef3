"""Storage of the languages: the interface language a user chose, and the one each photo's
replies are written in, against real SQLite files (kept across reopening, forgotten with the
user, added to an older database by its migration)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from bot.storage import Storage
from bot.storage.schema import MIGRATIONS, SCHEMA_VERSION

pytestmark = pytest.mark.asyncio
ALICE, BOB = 111, 222


async def new_job(storage: Storage, user_id: int, message_id: int, locale: str | None):
    return await storage.jobs.create(
        user_id=user_id,
        chat_id=user_id,
        message_id=message_id,
        file_id=f"file-{message_id}",
        file_unique_id=f"unique-{message_id}",
        file_size=100,
        locale=locale,
    )


async def test_interface_language_is_kept_and_forgotten(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    async with await Storage.open(path) as storage:
        assert await storage.users.interface_language(ALICE) is None
        await storage.users.set_interface_language(ALICE, "vi")
        await storage.users.set_threshold(ALICE, 60)  # another setting doesn't touch it
        await storage.users.set_interface_language(BOB, "en")
        await new_job(storage, ALICE, 1, "vi")
    async with await Storage.open(path) as storage:  # a restart
        settings = await storage.users.settings(ALICE)
        assert (settings.interface_language, settings.threshold) == ("vi", 60)
        assert [job.locale for job in await storage.jobs.unfinished()] == ["vi"]
        await storage.forget_user(ALICE)
        assert await storage.users.interface_language(ALICE) is None
        assert await storage.users.interface_language(BOB) == "en"
        await storage.users.set_interface_language(BOB, None)  # follow Telegram again
        assert await storage.users.interface_language(BOB) is None


async def test_an_older_database_gets_the_language_columns(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    before = next(i for i, script in enumerate(MIGRATIONS) if "interface_language" in script)
    with closing(sqlite3.connect(path)) as db:
        db.executescript("\n".join(MIGRATIONS[:before]) + f"\nPRAGMA user_version = {before};")
        db.execute(
            "INSERT INTO user_settings (user_id, language, updated_at) VALUES (?, 'DEU', 'x')",
            (ALICE,),
        )
        db.commit()
    async with await Storage.open(path) as storage:
        settings = await storage.users.settings(ALICE)
        job = await new_job(storage, ALICE, 7, None)
    assert (settings.language, settings.interface_language) == ("DEU", None)
    assert job.locale is None  # a photo from before: its replies are in English
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
