"""Storage against real SQLite files: durability, owner scoping, review state, search."""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import sys
from contextlib import closing
from datetime import UTC
from pathlib import Path

import pytest

from bot.domain.models import (
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    ConfidenceSource,
    JobStatus,
    LineDraft,
    LineState,
    MessageRef,
    ReviewAction,
)
from bot.storage import (
    AlreadyHandled,
    LineAlreadyResolved,
    LineNotFound,
    NoteNotFound,
    Storage,
    StorageError,
)
from bot.storage.schema import SCHEMA_VERSION
from bot.storage.search_query import build_fts_query

REPO_ROOT = Path(__file__).resolve().parent.parent
ALICE, BOB = 111, 222
CHAT_A, CHAT_B = 1001, 2002


def draft(text: str, state: LineState = LineState.ACCEPTED, confidence: float = 0.95) -> LineDraft:
    return LineDraft(text, confidence, ConfidenceSource.ENGINE, state)


def pending(text: str) -> LineDraft:
    return draft(text, LineState.PENDING, 0.3)


async def search_ids(storage: Storage, user_id: int, text: str) -> list[int]:
    query = build_fts_query(text)
    assert query is not None
    return [hit.note_id for hit in await storage.search.find(user_id, query, limit=50)]


# --- opening and migrations ---
# File surgery lives in plain functions: blocking I/O on purpose, outside the event loop's code.


def raw_query(path: Path, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(path)) as raw, raw:
        return raw.execute(sql).fetchall()


def write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def damage(path: Path, *, pages: bool) -> None:
    """Overwrite every third page with noise, or scramble one index's cell pointers."""
    raw_query(path, "PRAGMA wal_checkpoint(TRUNCATE)")
    ((page_size,),) = raw_query(path, "PRAGMA page_size")
    ((root,),) = raw_query(
        path, "SELECT rootpage FROM sqlite_master WHERE name = 'notes_user_created'"
    )
    data = bytearray(path.read_bytes())
    if pages:
        for page in range(2, len(data) // page_size - 1, 3):  # keep page 1 (header) intact
            data[page * page_size : (page + 1) * page_size] = os.urandom(page_size)
    else:
        start = (root - 1) * page_size + 10
        data[start : start + 38] = b"\xff" * 38
    path.write_bytes(bytes(data))


@pytest.mark.asyncio
async def test_open_creates_dirs_migrates_and_reopens(db_path: Path) -> None:
    async with await Storage.open(db_path):
        pass
    async with await Storage.open(db_path) as storage:  # second run: nothing to migrate
        assert await storage.notes.count(ALICE) == 0
    assert raw_query(db_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert SCHEMA_VERSION >= 3
    assert raw_query(db_path, "PRAGMA journal_mode") == [("wal",)]
    tables = {row[0] for row in raw_query(db_path, "SELECT name FROM sqlite_master")}
    assert {"jobs", "notes", "lines", "retype_waits", "notes_fts"} <= tables


@pytest.mark.asyncio
@pytest.mark.parametrize("content", [os.urandom(8192), b"this is not a database\n"])
async def test_not_a_database_raises_storage_error(db_path: Path, content: bytes) -> None:
    write_file(db_path, content)
    with pytest.raises(StorageError, match=re.escape(str(db_path))) as raised:
        await Storage.open(db_path)
    assert "\n" not in str(raised.value)


@pytest.mark.asyncio
@pytest.mark.parametrize("pages", [True, False], ids=["noisy-pages", "broken-index"])
async def test_damaged_database_raises_storage_error(db_path: Path, pages: bool) -> None:
    """Damage plain queries might not touch yet must still be refused at open (quick_check)."""
    async with await Storage.open(db_path) as storage:
        for i in range(200):
            await storage.create_note(
                user_id=ALICE, chat_id=CHAT_A, lines=[draft(f"line {i} " + "x" * 300)]
            )
    damage(db_path, pages=pages)
    with pytest.raises(StorageError, match=re.escape(str(db_path))) as raised:
        await Storage.open(db_path)
    assert "\n" not in str(raised.value)
    if not pages:
        assert "corrupt" in str(raised.value)  # found by quick_check, not by a query


@pytest.mark.asyncio
async def test_unusable_directory_raises_storage_error(tmp_path: Path) -> None:
    # Tests may run as root, where chmod does not stop writes; a file as parent fails for all.
    blocker = tmp_path / "blocker"
    write_file(blocker, b"a regular file")
    path = blocker / "notes.db"
    with pytest.raises(StorageError, match=re.escape(str(path))):
        await Storage.open(path)


@pytest.mark.asyncio
async def test_newer_schema_raises_storage_error(db_path: Path) -> None:
    async with await Storage.open(db_path):
        pass
    raw_query(db_path, f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StorageError, match="newer"):
        await Storage.open(db_path)


# --- notes ---


@pytest.mark.asyncio
async def test_notes_survive_reopen(db_path: Path) -> None:
    async with await Storage.open(db_path) as storage:
        created = await storage.create_note(
            user_id=ALICE,
            chat_id=CHAT_A,
            lines=[draft("first line"), pending("second line")],
            title="Groceries",
            file_unique_id="uniq-1",
        )
    assert [line.position for line in created.lines] == [0, 1]
    assert created.created_at.tzinfo is not None
    assert created.created_at.utcoffset() == UTC.utcoffset(None)
    async with await Storage.open(db_path) as storage:
        note = await storage.notes.get(ALICE, created.id)
        assert note == created
        assert note.text == "first line\nsecond line"
        assert note.lines[1].original_text == "second line"
        assert note.lines[1].state is LineState.PENDING
        assert note.lines[1].confidence_source is ConfidenceSource.ENGINE
        assert await storage.notes.find_by_file(ALICE, "uniq-1") == created
        assert await storage.notes.find_by_file(BOB, "uniq-1") is None
        assert await search_ids(storage, ALICE, "second") == [created.id]


KILLED_WRITER = """
import asyncio, os, sys
from bot.domain.models import ConfidenceSource, LineDraft, LineState
from bot.storage import Storage

async def main():
    storage = await Storage.open(sys.argv[1])
    line = LineDraft("written then killed", 0.9, ConfidenceSource.ENGINE, LineState.ACCEPTED)
    note = await storage.create_note(user_id=111, chat_id=1, lines=[line])
    print(note.id, flush=True)
    os._exit(0)  # no close, no checkpoint: like SIGKILL right after replying

asyncio.run(main())
"""


@pytest.mark.asyncio
async def test_write_survives_kill_without_close(db_path: Path) -> None:
    done = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        KILLED_WRITER,
        str(db_path),
        stdout=asyncio.subprocess.PIPE,
        cwd=REPO_ROOT,
    )
    out, _ = await done.communicate()
    assert done.returncode == 0
    note_id = int(out)
    async with await Storage.open(db_path) as storage:
        note = await storage.notes.get(ALICE, note_id)
        assert note is not None
        assert note.text == "written then killed"


@pytest.mark.asyncio
async def test_concurrent_writes_do_not_interleave(storage: Storage) -> None:
    notes = await asyncio.gather(
        *(
            storage.create_note(user_id=ALICE, chat_id=CHAT_A, lines=[pending(f"w{i}")])
            for i in range(30)
        )
    )
    results = await asyncio.gather(
        *(storage.resolve_line(ALICE, n.lines[0].id, ReviewAction.KEEP) for n in notes),
        *(storage.resolve_line(ALICE, n.lines[0].id, ReviewAction.DROP) for n in notes),
        return_exceptions=True,
    )
    assert sum(isinstance(r, LineAlreadyResolved) for r in results) == 30
    assert sum(isinstance(r, tuple) for r in results) == 30
    assert await storage.notes.count(ALICE) == 30


@pytest.mark.asyncio
async def test_reads_neither_wait_for_nor_see_an_open_write(storage: Storage) -> None:
    saved = await storage.create_note(user_id=ALICE, chat_id=CHAT_A, lines=[draft("milk")])
    # Hold a write transaction open (as a slow burst of writes would) with an uncommitted note.
    async with storage.db.write() as db:
        await db.execute(
            "INSERT INTO notes (user_id, chat_id, created_at) VALUES (?, ?, ?)",
            (ALICE, CHAT_A, "2026-01-01T00:00:00.000000+00:00"),
        )
        count = await asyncio.wait_for(storage.notes.count(ALICE), timeout=2)
        hits = await asyncio.wait_for(search_ids(storage, ALICE, "milk"), timeout=2)
    assert count == 1  # the committed note only, not half of the open write
    assert hits == [saved.id]
    assert await storage.notes.count(ALICE) == 2  # committed now


@pytest.mark.asyncio
async def test_a_users_write_goes_before_queued_pipeline_writes(storage: Storage) -> None:
    note = await storage.create_note(user_id=ALICE, chat_id=CHAT_A, lines=[pending("maybe")])
    finished: list[str] = []

    async def job(number: int) -> None:
        await storage.jobs.create(
            user_id=BOB,
            chat_id=CHAT_B,
            message_id=number,
            file_id=f"f{number}",
            file_unique_id=f"u{number}",
            file_size=1,
        )
        finished.append("job")

    async def keep() -> None:
        await storage.resolve_line(ALICE, note.lines[0].id, ReviewAction.KEEP)
        finished.append("keep")

    async with storage.db.write(background=True):  # the pipeline is writing...
        jobs = [asyncio.create_task(job(n)) for n in range(5)]  # ...more of it queues up...
        await asyncio.sleep(0.01)
        press = asyncio.create_task(keep())  # ...and then a user presses Keep
        await asyncio.sleep(0.01)
    await asyncio.gather(*jobs, press)
    assert finished == ["keep"] + ["job"] * 5


@pytest.mark.asyncio
async def test_list_count_rename_delete(storage: Storage) -> None:
    ids = [
        (await storage.create_note(user_id=ALICE, chat_id=CHAT_A, lines=[draft(f"note {i}")])).id
        for i in range(5)
    ]
    await storage.create_note(user_id=BOB, chat_id=CHAT_B, lines=[draft("bob's")])
    assert await storage.notes.count(ALICE) == 5
    page = await storage.notes.page(ALICE, limit=2, offset=0)
    assert [n.id for n in page] == [ids[4], ids[3]]
    page = await storage.notes.page(ALICE, limit=2, offset=4)
    assert [n.id for n in page] == [ids[0]]
    assert page[0].text == "note 0"

    await storage.users.await_rename(ALICE, ids[0], CHAT_A)
    assert (await storage.finish_rename(ALICE, ids[0], "Physics lecture")).id == ids[0]
    assert await storage.users.rename_target(ALICE, CHAT_A) is None
    assert (await storage.notes.get(ALICE, ids[0])).title == "Physics lecture"
    assert await search_ids(storage, ALICE, "physics") == [ids[0]]

    assert await storage.delete_note(ALICE, ids[0]) is True
    assert await storage.notes.get(ALICE, ids[0]) is None
    assert await storage.delete_note(ALICE, ids[0]) is False
    assert await search_ids(storage, ALICE, "physics") == []
    assert await storage.notes.count(ALICE) == 4


@pytest.mark.asyncio
async def test_owner_scoping(storage: Storage) -> None:
    note = await storage.create_note(
        user_id=ALICE, chat_id=CHAT_A, lines=[pending("secret plan")], title="Mine"
    )
    line_id = note.lines[0].id
    assert await storage.notes.get(BOB, note.id) is None
    assert await storage.notes.line(BOB, line_id) is None
    with pytest.raises(NoteNotFound):
        await storage.users.await_rename(BOB, note.id, CHAT_B)
    with pytest.raises(NoteNotFound):
        await storage.finish_rename(BOB, note.id, "Stolen")
    assert await storage.delete_note(BOB, note.id) is False
    assert await storage.notes.set_review_message(BOB, line_id, 5) is False
    for action in ReviewAction:
        with pytest.raises(LineNotFound):
            await storage.resolve_line(BOB, line_id, action, "hacked")
    with pytest.raises(LineNotFound):
        await storage.resolve_line(BOB, 999_999, ReviewAction.KEEP)
    with pytest.raises(LineNotFound):
        await storage.users.await_retype(BOB, line_id, CHAT_B)
    assert await storage.users.retype_target(BOB, CHAT_B) is None
    assert await storage.forget_user(BOB) == 0

    unchanged = await storage.notes.get(ALICE, note.id)
    assert unchanged == note
    assert unchanged.title == "Mine"
    assert unchanged.lines[0].state is LineState.PENDING


@pytest.mark.asyncio
async def test_delete_user_data(storage: Storage, db_path: Path) -> None:
    job = await storage.jobs.create(
        user_id=ALICE, chat_id=CHAT_A, message_id=1, file_id="f", file_unique_id="u", file_size=1
    )
    note = await storage.create_note(
        user_id=ALICE, chat_id=CHAT_A, lines=[pending("alpha")], job_ids=[job.id]
    )
    await storage.create_note(user_id=ALICE, chat_id=CHAT_A, lines=[draft("beta")])
    bob_note = await storage.create_note(user_id=BOB, chat_id=CHAT_B, lines=[draft("alpha")])
    await storage.users.await_retype(ALICE, note.lines[0].id, CHAT_A)
    await storage.search.save(ALICE, "alpha")
    await storage.users.set_language(ALICE, "DEU")

    assert await storage.forget_user(ALICE) == 2
    assert await storage.notes.count(ALICE) == 0
    assert raw_query(db_path, f"SELECT count(*) FROM jobs WHERE id = {job.id}") == [(0,)]
    assert await storage.users.retype_target(ALICE, CHAT_A) is None
    assert await search_ids(storage, ALICE, "alpha") == []
    assert await search_ids(storage, BOB, "alpha") == [bob_note.id]
    stats = await storage.stats()
    assert stats == {"users": 1, "notes": 1, "lines": 1, "unfinished_jobs": 0}
    with closing(sqlite3.connect(storage.path)) as raw:
        for table in ("saved_searches", "user_settings", "rename_waits", "retype_waits"):
            left = raw.execute(f"SELECT count(*) FROM {table} WHERE user_id = ?", (ALICE,))
            assert left.fetchone()[0] == 0, table


# --- review ---


@pytest.mark.asyncio
async def test_resolve_keep_drop_retype(storage: Storage) -> None:
    note = await storage.create_note(
        user_id=ALICE,
        chat_id=CHAT_A,
        lines=[draft("header"), pending("keepme"), pending("dropme"), pending("tpyo")],
    )
    keep, drop, retype = (line.id for line in note.lines[1:])
    assert await search_ids(storage, ALICE, "dropme") == [note.id]

    line, updated = await storage.resolve_line(ALICE, keep, ReviewAction.KEEP)
    assert line.state is LineState.KEPT
    assert line.text == "keepme"
    assert not updated.is_complete

    line, updated = await storage.resolve_line(ALICE, drop, ReviewAction.DROP)
    assert line.state is LineState.DROPPED
    assert "dropme" not in updated.text
    assert await search_ids(storage, ALICE, "dropme") == []

    with pytest.raises(ValueError, match="text"):
        await storage.resolve_line(ALICE, retype, ReviewAction.RETYPE)
    line, updated = await storage.resolve_line(ALICE, retype, ReviewAction.RETYPE, "typo")
    assert line.state is LineState.RETYPED
    assert (line.text, line.original_text) == ("typo", "tpyo")
    assert updated.is_complete
    assert updated.text == "header\nkeepme\ntypo"
    assert await search_ids(storage, ALICE, "typo") == [note.id]
    assert await search_ids(storage, ALICE, "tpyo") == []
    assert await storage.notes.get(ALICE, note.id) == updated


@pytest.mark.asyncio
async def test_double_resolve_raises_already_resolved(storage: Storage) -> None:
    note = await storage.create_note(user_id=ALICE, chat_id=CHAT_A, lines=[pending("once")])
    line_id = note.lines[0].id
    await storage.resolve_line(ALICE, line_id, ReviewAction.KEEP)
    with pytest.raises(LineAlreadyResolved) as raised:
        await storage.resolve_line(ALICE, line_id, ReviewAction.DROP)
    assert raised.value.args[0].state is LineState.KEPT
    assert raised.value.line.id == line_id
    with pytest.raises(LineAlreadyResolved):
        await storage.users.await_retype(ALICE, line_id, CHAT_A)
    accepted = await storage.create_note(user_id=ALICE, chat_id=CHAT_A, lines=[draft("fine")])
    with pytest.raises(LineAlreadyResolved):
        await storage.resolve_line(ALICE, accepted.lines[0].id, ReviewAction.KEEP)


@pytest.mark.asyncio
async def test_retype_wait_survives_reopen_and_clears(db_path: Path) -> None:
    async with await Storage.open(db_path) as storage:
        note = await storage.create_note(
            user_id=ALICE, chat_id=CHAT_A, lines=[pending("smudge"), pending("blur")]
        )
        first, second = note.lines
        await storage.users.await_retype(ALICE, first.id, CHAT_A)
        await storage.users.await_retype(ALICE, second.id, CHAT_A)  # the latest request wins
    async with await Storage.open(db_path) as storage:
        target = await storage.users.retype_target(ALICE, CHAT_A)
        assert target is not None
        assert target.id == second.id
        await storage.resolve_line(ALICE, second.id, ReviewAction.RETYPE, "clear")
        assert await storage.users.retype_target(ALICE, CHAT_A) is None

        await storage.users.await_retype(ALICE, first.id, CHAT_A)
        assert await storage.users.cancel_waits(ALICE) is True
        assert await storage.users.retype_target(ALICE, CHAT_A) is None
        assert await storage.users.cancel_waits(ALICE) is False


@pytest.mark.asyncio
async def test_stale_retype_wait_is_dropped(storage: Storage) -> None:
    note = await storage.create_note(user_id=ALICE, chat_id=CHAT_A, lines=[pending("x")])
    line_id = note.lines[0].id
    await storage.users.await_retype(ALICE, line_id, CHAT_A)
    await storage.delete_note(ALICE, note.id)  # the wait cascades away with the line
    assert await storage.users.retype_target(ALICE, CHAT_A) is None


@pytest.mark.asyncio
async def test_review_message_lookup(storage: Storage) -> None:
    note = await storage.create_note(user_id=ALICE, chat_id=CHAT_A, lines=[pending("hm")])
    line_id = note.lines[0].id
    assert await storage.notes.set_review_message(ALICE, line_id, 77) is True
    found = await storage.notes.line_by_review_message(ALICE, CHAT_A, 77)
    assert found is not None
    assert (found.id, found.review_message_id) == (line_id, 77)
    assert await storage.notes.line_by_review_message(BOB, CHAT_A, 77) is None
    assert await storage.notes.line_by_review_message(ALICE, CHAT_B, 77) is None
    assert await storage.notes.line_by_review_message(ALICE, CHAT_A, 78) is None


# --- search ---


@pytest.mark.asyncio
async def test_search_best_first_with_snippet_markers(storage: Storage) -> None:
    weak = await storage.create_note(
        user_id=ALICE,
        chat_id=CHAT_A,
        lines=[draft("the meeting covered budget, hiring, office moves and many other topics")],
    )
    strong = await storage.create_note(
        user_id=ALICE, chat_id=CHAT_A, lines=[draft("budget budget budget"), draft("budget")]
    )
    await storage.create_note(user_id=ALICE, chat_id=CHAT_A, lines=[draft("nothing relevant")])
    query = build_fts_query("budget")
    assert query is not None
    hits = await storage.search.find(ALICE, query)
    assert [hit.note_id for hit in hits] == [strong.id, weak.id]
    assert hits[0].rank <= hits[1].rank
    assert f"{HIGHLIGHT_START}budget{HIGHLIGHT_END}" in hits[1].snippet
    assert hits[1].created_at.tzinfo is not None
    assert await storage.search.count(ALICE, query) == 2
    assert [h.note_id for h in await storage.search.find(ALICE, query, limit=1, offset=1)] == [
        weak.id
    ]


@pytest.mark.asyncio
async def test_search_is_per_user(storage: Storage) -> None:
    mine = await storage.create_note(user_id=ALICE, chat_id=CHAT_A, lines=[draft("password123")])
    await storage.create_note(user_id=BOB, chat_id=CHAT_B, lines=[draft("password123 too")])
    assert await search_ids(storage, ALICE, "password123") == [mine.id]
    query = build_fts_query("password")
    assert query is not None
    assert await storage.search.count(ALICE, query) == 1
    assert await search_ids(storage, 333, "password") == []


@pytest.mark.asyncio
async def test_owner_tokens_in_text_do_not_cross_users(storage: Storage) -> None:
    # Each search row carries its owner as the token u<id>; typed or recognized text that
    # looks like another user's token must not make a note visible to that user.
    planted = await storage.create_note(
        user_id=ALICE, chat_id=CHAT_A, lines=[draft(f"hello u{BOB} owner u{BOB}")]
    )
    bobs = await storage.create_note(user_id=BOB, chat_id=CHAT_B, lines=[draft("hello there")])
    assert await search_ids(storage, BOB, "hello") == [bobs.id]
    assert await search_ids(storage, BOB, f"u{ALICE}") == []
    assert await search_ids(storage, BOB, f"owner u{BOB}") == []
    assert await search_ids(storage, ALICE, f"u{BOB}") == [planted.id]


@pytest.mark.asyncio
async def test_search_survives_bad_match_syntax(storage: Storage) -> None:
    await storage.create_note(user_id=ALICE, chat_id=CHAT_A, lines=[draft("hello")])
    assert await storage.search.find(ALICE, '"unbalanced AND (') == []
    assert await storage.search.count(ALICE, "NEAR(") == 0


@pytest.mark.asyncio
async def test_search_ignores_diacritics(storage: Storage) -> None:
    note = await storage.create_note(user_id=ALICE, chat_id=CHAT_A, lines=[draft("Café crème")])
    assert await search_ids(storage, ALICE, "cafe creme") == [note.id]


# --- jobs ---


@pytest.mark.asyncio
async def test_create_job_dedups_redelivered_update(storage: Storage) -> None:
    job = await storage.jobs.create(
        user_id=ALICE, chat_id=CHAT_A, message_id=5, file_id="f1", file_unique_id="u1", file_size=9
    )
    again = await storage.jobs.create(
        user_id=ALICE, chat_id=CHAT_A, message_id=5, file_id="f1", file_unique_id="u1", file_size=9
    )
    assert again == job
    other_chat = await storage.jobs.create(
        user_id=ALICE, chat_id=CHAT_B, message_id=5, file_id="f", file_unique_id="u", file_size=None
    )
    assert other_chat.id != job.id
    assert other_chat.file_size is None
    unfinished = await storage.jobs.unfinished()
    assert [job.user_id for job in unfinished] == [ALICE, ALICE]


@pytest.mark.asyncio
async def test_job_lifecycle_and_resume_after_reopen(db_path: Path) -> None:
    async with await Storage.open(db_path) as storage:
        jobs = [
            await storage.jobs.create(
                user_id=ALICE,
                chat_id=CHAT_A,
                message_id=i,
                file_id=f"f{i}",
                file_unique_id=f"u{i}",
                file_size=100,
            )
            for i in range(4)
        ]
        assert jobs[0].status is JobStatus.QUEUED
        assert jobs[0].attempts == 0
        counted = await storage.jobs.count_failure(jobs[0].id, "worker died")
        assert counted.attempts == 1
        await storage.jobs.set_status_message(jobs[0].id, 42)
        await storage.jobs.mark_done(jobs[1].id)
        await storage.jobs.fail(jobs[2].id, "engine exploded")
    async with await Storage.open(db_path) as storage:
        unfinished = await storage.jobs.unfinished()
        assert [job.id for job in unfinished] == [jobs[0].id, jobs[3].id]
        assert (unfinished[0].attempts, unfinished[0].status_message_id) == (1, 42)
        rows = raw_query(db_path, "SELECT id, status, error FROM jobs ORDER BY id")
        assert rows[1] == (jobs[1].id, str(JobStatus.DONE), None)
        assert rows[2] == (jobs[2].id, str(JobStatus.FAILED), "engine exploded")
        assert (await storage.stats())["unfinished_jobs"] == 2


@pytest.mark.asyncio
async def test_create_note_links_job(db_path: Path) -> None:
    async with await Storage.open(db_path) as storage:
        job = await storage.jobs.create(
            user_id=ALICE,
            chat_id=CHAT_A,
            message_id=9,
            file_id="f",
            file_unique_id="u",
            file_size=None,
        )
        note = await storage.create_note(
            user_id=ALICE,
            chat_id=CHAT_A,
            lines=[draft("from photo")],
            file_unique_id="u",
            engine_mode="trial",
            job_ids=[job.id],
        )
    async with await Storage.open(db_path) as storage:
        (resumed,) = await storage.jobs.unfinished()  # still queued: replies not sent yet
        assert resumed.note_id == note.id
        assert await storage.notes.get(resumed.user_id, resumed.note_id) == note
        await storage.jobs.mark_done(job.id)
        assert await storage.jobs.unfinished() == []
        await storage.delete_note(ALICE, note.id)
        # ON DELETE SET NULL
        assert raw_query(db_path, f"SELECT note_id FROM jobs WHERE id = {job.id}") == [(None,)]


@pytest.mark.asyncio
async def test_version_1_database_is_migrated_keeping_its_notes(db_path: Path) -> None:
    from bot.storage.schema import MIGRATIONS

    db_path.parent.mkdir(parents=True)
    with closing(sqlite3.connect(db_path)) as db:
        db.executescript(MIGRATIONS[0] + "\nPRAGMA user_version = 1;")
        db.execute(
            "INSERT INTO notes (user_id, chat_id, created_at) VALUES (?, ?, ?)",
            (ALICE, CHAT_A, "2026-01-01T00:00:00.000000+00:00"),
        )
        db.commit()
    async with await Storage.open(db_path) as storage:
        assert await storage.notes.count(ALICE) == 1
        assert (await storage.users.settings(ALICE)).language is None
    assert raw_query(db_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]


@pytest.mark.asyncio
async def test_version_4_search_index_is_rebuilt_per_owner(db_path: Path) -> None:
    from bot.storage.schema import MIGRATIONS

    db_path.parent.mkdir(parents=True)
    now = "2026-01-01T00:00:00.000000+00:00"
    with closing(sqlite3.connect(db_path)) as db:
        db.executescript("\n".join(MIGRATIONS[:4]) + "\nPRAGMA user_version = 4;")
        for note_id, user, title, texts in [
            (1, ALICE, "Groceries", [("milk and eggs", "accepted"), ("secret", "dropped")]),
            (2, BOB, None, [("milk for Bob", "kept")]),
        ]:
            db.execute(
                "INSERT INTO notes (id, user_id, chat_id, title, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (note_id, user, user, title, now),
            )
            for position, (text, state) in enumerate(texts):
                db.execute(
                    "INSERT INTO lines (note_id, position, text, original_text, confidence, "
                    "confidence_source, state, updated_at) "
                    "VALUES (?, ?, ?, ?, 0.9, 'engine', ?, ?)",
                    (note_id, position, text, text, state, now),
                )
            db.execute(  # the version-4 search row: no owner column yet
                "INSERT INTO notes_fts (rowid, body, title) VALUES (?, ?, ?)",
                (note_id, "\n".join(t for t, _ in texts), title or ""),
            )
        db.commit()
    async with await Storage.open(db_path) as storage:
        assert await search_ids(storage, ALICE, "milk") == [1]
        assert await search_ids(storage, BOB, "milk") == [2]
        assert await search_ids(storage, ALICE, "groceries") == [1]
        assert await search_ids(storage, ALICE, "secret") == []  # dropped lines stay out
    assert raw_query(db_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]


@pytest.mark.asyncio
async def test_user_settings_persist_and_trial_notice_is_claimed_once(db_path: Path) -> None:
    async with await Storage.open(db_path) as storage:
        await storage.users.set_language(ALICE, "DEU")
        await storage.users.set_threshold(ALICE, 60.0)
        assert await storage.users.claim_trial_notice(ALICE) is True
        assert await storage.users.claim_trial_notice(ALICE) is False
    async with await Storage.open(db_path) as storage:
        prefs = await storage.users.settings(ALICE)
        assert (prefs.language, prefs.threshold, prefs.trial_notified) == ("DEU", 60.0, True)
        assert await storage.users.claim_trial_notice(ALICE) is False
        assert await storage.users.claim_trial_notice(BOB) is True
        assert (await storage.users.settings(BOB)).language is None
        await storage.forget_user(ALICE)
        assert (await storage.users.settings(ALICE)).language is None


@pytest.mark.asyncio
async def test_job_limits_are_enforced_atomically(storage: Storage) -> None:
    from bot.storage import JobRefused

    async def submit(user_id: int, message_id: int, unique: str):
        try:
            return await storage.jobs.create(
                user_id=user_id,
                chat_id=user_id,
                message_id=message_id,
                file_id=f"f{message_id}",
                file_unique_id=unique,
                file_size=10,
                max_per_user=2,
                max_total=3,
            )
        except JobRefused as refused:
            return refused.reason

    # Five photos from one user at the same moment: exactly two get in.
    results = await asyncio.gather(*(submit(ALICE, n, f"u{n}") for n in range(5)))
    assert sum(1 for r in results if not isinstance(r, str)) == 2
    assert results.count("user_limit") == 3
    redelivered = await submit(ALICE, 0, "u0")  # the same Telegram message again
    assert not isinstance(redelivered, str)
    assert await submit(BOB, 10, "same") != "queue_full"
    assert await submit(BOB, 11, "same") == "duplicate"  # same photo while still queued
    assert await submit(222_222, 12, "x") == "queue_full"  # 3 queued in total


# --- note management ---


@pytest.mark.asyncio
async def test_rename_wait_is_owned_exclusive_and_survives_reopen(db_path: Path) -> None:
    async with await Storage.open(db_path) as storage:
        note = await storage.create_note(
            user_id=ALICE, chat_id=CHAT_A, lines=[pending("smudge"), draft("ok")]
        )
        with pytest.raises(NoteNotFound):
            await storage.users.await_rename(BOB, note.id, CHAT_B)  # not Bob's note
        assert await storage.users.rename_target(BOB, CHAT_B) is None
        await storage.users.await_retype(ALICE, note.lines[0].id, CHAT_A)
        await storage.users.await_rename(ALICE, note.id, CHAT_A)  # replaces the retype wait
        assert await storage.users.retype_target(ALICE, CHAT_A) is None
    async with await Storage.open(db_path) as storage:
        target = await storage.users.rename_target(ALICE, CHAT_A)
        assert target is not None
        assert target.id == note.id
        with pytest.raises(NoteNotFound):
            await storage.finish_rename(BOB, note.id, "stolen")
        renamed = await storage.finish_rename(ALICE, note.id, "Groceries")
        assert renamed.title == "Groceries"
        assert await storage.users.rename_target(ALICE, CHAT_A) is None
        assert await search_ids(storage, ALICE, "groceries") == [note.id]

        await storage.users.await_rename(ALICE, note.id, CHAT_A)
        await storage.users.await_retype(ALICE, note.lines[0].id, CHAT_A)  # and the other way round
        assert await storage.users.rename_target(ALICE, CHAT_A) is None
        await storage.users.await_rename(ALICE, note.id, CHAT_A)
        await storage.delete_note(ALICE, note.id)  # the wait goes with the note
        assert await storage.users.rename_target(ALICE, CHAT_A) is None


@pytest.mark.asyncio
async def test_iter_notes_yields_every_note_newest_first_in_batches(storage: Storage) -> None:
    made = [
        await storage.create_note(user_id=ALICE, chat_id=CHAT_A, lines=[draft(f"note {n}")])
        for n in range(7)
    ]
    await storage.create_note(user_id=BOB, chat_id=CHAT_B, lines=[draft("bob's")])
    seen = [note.id async for note in storage.notes.every(ALICE, batch=3)]
    assert seen == [note.id for note in reversed(made)]
    assert [note.text async for note in storage.notes.every(BOB)] == ["bob's"]


@pytest.mark.asyncio
async def test_saved_searches_are_owned_and_pruned(storage: Storage) -> None:
    first = await storage.search.save(ALICE, "old words")
    assert await storage.search.saved(ALICE, first) == "old words"
    assert await storage.search.saved(BOB, first) is None
    latest = [await storage.search.save(ALICE, f"query {n}", keep=3) for n in range(3)]
    assert await storage.search.saved(ALICE, first) is None  # pruned
    assert [await storage.search.saved(ALICE, i) for i in latest] == [
        f"query {n}" for n in range(3)
    ]


@pytest.mark.asyncio
async def test_ids_of_deleted_rows_are_never_given_again(storage: Storage) -> None:
    first = await storage.create_note(user_id=ALICE, chat_id=CHAT_A, lines=[pending("old")])
    assert await storage.delete_note(ALICE, first.id)
    second = await storage.create_note(user_id=ALICE, chat_id=CHAT_A, lines=[pending("new")])
    assert second.id > first.id
    assert second.lines[0].id > first.lines[0].id
    search = await storage.search.save(ALICE, "old")
    await storage.forget_user(ALICE)
    assert await storage.search.save(ALICE, "new") > search


@pytest.mark.asyncio
async def test_version_5_database_keeps_its_rows_and_never_reuses_their_ids(
    db_path: Path,
) -> None:
    from bot.storage.schema import MIGRATIONS

    db_path.parent.mkdir(parents=True)
    now = "2026-01-01T00:00:00.000000+00:00"
    with closing(sqlite3.connect(db_path)) as db:
        db.executescript("\n".join(MIGRATIONS[:5]) + "\nPRAGMA user_version = 5;")
        db.execute(
            "INSERT INTO notes (id, user_id, chat_id, title, created_at) VALUES (7, ?, ?, 'T', ?)",
            (ALICE, CHAT_A, now),
        )
        db.execute(
            "INSERT INTO lines (id, note_id, position, text, original_text, confidence, "
            "confidence_source, state, updated_at) "
            "VALUES (40, 7, 0, 'milk', 'milk', 0.4, 'estimate', 'pending', ?)",
            (now,),
        )
        db.execute(
            "INSERT INTO retype_waits (user_id, line_id, created_at) VALUES (?, 40, ?)",
            (ALICE, now),
        )
        db.execute(
            "INSERT INTO jobs (user_id, chat_id, message_id, file_id, file_unique_id, status, "
            "attempts, created_at, updated_at) VALUES (?, ?, 3, 'f', 'u', 'queued', 2, ?, ?)",
            (ALICE, CHAT_A, now, now),
        )
        db.commit()
    async with await Storage.open(db_path) as storage:
        note = await storage.notes.get(ALICE, 7)
        assert note is not None
        assert [line.id for line in note.lines] == [40]
        assert (await storage.users.retype_target(ALICE, CHAT_A)).id == 40
        (job,) = await storage.jobs.unfinished()
        assert job.attempts == 0  # restarts were counted as attempts before version 6
        fresh = await storage.create_note(user_id=ALICE, chat_id=CHAT_A, lines=[pending("x")])
        assert fresh.id > 7
        assert fresh.lines[0].id > 40
    assert raw_query(db_path, "PRAGMA foreign_key_check") == []


@pytest.mark.asyncio
async def test_an_awaited_text_belongs_to_the_chat_it_was_asked_in(storage: Storage) -> None:
    note = await storage.create_note(user_id=ALICE, chat_id=CHAT_A, lines=[pending("line")])
    await storage.users.await_retype(ALICE, note.lines[0].id, CHAT_A)
    assert await storage.users.retype_target(ALICE, CHAT_B) is None
    assert (await storage.users.retype_target(ALICE, CHAT_A)).id == note.lines[0].id
    await storage.users.await_rename(ALICE, note.id, CHAT_A)
    assert await storage.users.rename_target(ALICE, CHAT_B) is None
    assert (await storage.users.rename_target(ALICE, CHAT_A)).id == note.id


@pytest.mark.asyncio
async def test_a_message_is_applied_once(storage: Storage) -> None:
    note = await storage.create_note(
        user_id=ALICE, chat_id=CHAT_A, lines=[pending("one"), pending("two")]
    )
    source = MessageRef(CHAT_A, 77)
    first, second = note.lines
    await storage.resolve_line(ALICE, first.id, ReviewAction.RETYPE, "One", source=source)
    with pytest.raises(AlreadyHandled):
        await storage.resolve_line(ALICE, second.id, ReviewAction.RETYPE, "One", source=source)
    assert [line.text for line in (await storage.notes.get(ALICE, note.id)).lines] == [
        "One",
        "two",
    ]
    title_source = MessageRef(CHAT_A, 78)
    await storage.users.await_rename(ALICE, note.id, CHAT_A)
    await storage.finish_rename(ALICE, note.id, "Title", source=title_source)
    with pytest.raises(AlreadyHandled):
        await storage.finish_rename(ALICE, note.id, "Other", source=title_source)
    assert (await storage.notes.get(ALICE, note.id)).title == "Title"
    assert await storage.forget_handled_before("9999") == 2
    await storage.resolve_line(ALICE, second.id, ReviewAction.RETYPE, "Two", source=source)
