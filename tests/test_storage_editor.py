"""A note's versions and an editor save in storage, against real SQLite files."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from bot.domain.editor import EditRefusal, EditRejected, LineEdit, NoteEdit
from bot.domain.models import ConfidenceSource, LineDraft, LineState, MessageRef, ReviewAction
from bot.storage import NoteNotFound, StaleVersion, Storage
from bot.storage.editor import ClosedPrompt
from bot.storage.schema import MIGRATIONS, SCHEMA_VERSION

pytestmark = pytest.mark.asyncio
ALICE, BOB = 111, 222


def draft(text: str, state: LineState = LineState.ACCEPTED) -> LineDraft:
    return LineDraft(text, 0.9, ConfidenceSource.ENGINE, state)


async def a_note(storage: Storage, user_id: int = ALICE):
    return await storage.create_note(
        user_id=user_id,
        chat_id=user_id,
        lines=[
            draft("one"),
            draft("tw0", LineState.PENDING),
            draft("thre", LineState.PENDING),
            draft("four", LineState.PENDING),
        ],
        title="Title",
    )


def same(note, **overrides) -> NoteEdit:
    lines = tuple(LineEdit(line.id, line.text) for line in note.lines)
    return NoteEdit(overrides.pop("version", note.version), note.title, lines)


async def test_every_change_to_a_note_makes_a_new_version(storage):
    note = await a_note(storage)
    assert note.version == 1
    await storage.notes.set_review_message(ALICE, note.lines[1].id, 50)  # not a change
    assert (await storage.notes.get(ALICE, note.id)).version == 1
    _, note = await storage.resolve_line(ALICE, note.lines[1].id, ReviewAction.KEEP)
    assert note.version == 2
    _, note = await storage.resolve_line(ALICE, note.lines[2].id, ReviewAction.DROP)
    assert note.version == 3
    source = MessageRef(ALICE, 77)
    _, note = await storage.resolve_line(
        ALICE, note.lines[3].id, ReviewAction.RETYPE, "four", source=source
    )
    assert note.version == 4
    note = await storage.finish_rename(ALICE, note.id, "New title")
    assert note.version == 5
    saved = await storage.save_edits(ALICE, note.id, same(note))
    assert saved.note.version == 6


async def test_a_stale_save_changes_nothing_and_says_what_is_there_now(storage):
    note = await a_note(storage)
    await storage.resolve_line(ALICE, note.lines[1].id, ReviewAction.KEEP)
    before = await storage.notes.get(ALICE, note.id)
    edit = NoteEdit(1, "Lost", tuple(LineEdit(line.id, "lost") for line in note.lines))
    with pytest.raises(StaleVersion) as stale:
        await storage.save_edits(ALICE, note.id, edit)
    assert stale.value.note == before
    assert await storage.notes.get(ALICE, note.id) == before
    assert await storage.unfinished_saves() == []


async def test_a_save_settles_its_prompts_and_waits_and_records_what_the_chat_owes(storage):
    note = await a_note(storage)
    pending = note.lines[1:]
    for number, line in enumerate(pending[:2], start=500):
        await storage.notes.set_review_message(ALICE, line.id, number)
    await storage.users.await_retype(ALICE, pending[0].id, ALICE)
    edit = NoteEdit(
        1,
        None,
        (
            LineEdit(note.lines[0].id, "one"),
            LineEdit(pending[0].id, "two"),  # corrected: its prompt closes
            LineEdit(pending[1].id, "thre"),  # still to check: its prompt stays
            LineEdit(pending[2].id, "four", drop=True),  # never had a prompt
        ),
    )
    saved = await storage.save_edits(ALICE, note.id, edit, locale="vi")
    assert [line.state for line in saved.note.lines] == [
        "accepted",
        "retyped",
        "pending",
        "dropped",
    ]
    assert saved.note.title is None
    assert [line.id for line in saved.settled] == [pending[0].id, pending[2].id]
    assert saved.save.closed_prompts == (ClosedPrompt(pending[0].id, 500),)
    assert await storage.users.retype_target(ALICE, ALICE) is None
    assert await storage.unfinished_saves() == [saved.save]
    assert saved.save.locale == "vi"
    await storage.finish_save(saved.save.id)
    assert await storage.unfinished_saves() == []


async def test_users_are_walled_off_and_bad_saves_write_nothing(storage):
    note = await a_note(storage)
    bobs = await a_note(storage, BOB)
    with pytest.raises(NoteNotFound):
        await storage.save_edits(BOB, note.id, same(note))
    mixed = NoteEdit(1, None, (*same(note).lines, LineEdit(bobs.lines[0].id, "mine now")))
    with pytest.raises(EditRejected) as rejected:
        await storage.save_edits(ALICE, note.id, mixed)
    assert rejected.value.reason is EditRefusal.LINES_CHANGED
    assert await storage.notes.get(ALICE, note.id) == note
    assert await storage.notes.get(BOB, bobs.id) == bobs


async def test_a_deleted_or_forgotten_note_takes_its_unfinished_saves_along(storage):
    note = await a_note(storage)
    other = await a_note(storage)
    await storage.save_edits(ALICE, note.id, same(note))
    await storage.save_edits(ALICE, other.id, same(other))
    await storage.delete_note(ALICE, note.id)
    assert [save.note_id for save in await storage.unfinished_saves()] == [other.id]
    await storage.forget_user(ALICE)
    assert await storage.unfinished_saves() == []


async def test_notes_of_an_older_schema_start_at_version_one(tmp_path):
    path = tmp_path / "old.db"
    with closing(sqlite3.connect(path)) as db:
        db.executescript("\n".join(MIGRATIONS[:8]) + "\nPRAGMA user_version = 8;")
        db.execute(
            "INSERT INTO notes (user_id, chat_id, title, created_at) "
            "VALUES (1, 1, 'old', '2026-01-01T00:00:00.000000+00:00')"
        )
        db.commit()
    async with await Storage.open(path) as storage:
        (note,) = await storage.notes.page(1)
        await storage.prove_writable()
    assert note.version == 1
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
