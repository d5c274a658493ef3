"""The database schema: numbered migration scripts, applied in order at start.

Index + 1 is the schema version a script brings the database to (PRAGMA user_version).
Append new scripts; never edit one that has shipped.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    """
    CREATE TABLE notes (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL,
        chat_id INTEGER NOT NULL,
        title TEXT,
        file_unique_id TEXT,
        engine_mode TEXT NOT NULL DEFAULT 'licensed',
        created_at TEXT NOT NULL
    );
    CREATE INDEX notes_user_created ON notes(user_id, created_at);
    CREATE INDEX notes_user_file ON notes(user_id, file_unique_id);

    CREATE TABLE lines (
        id INTEGER PRIMARY KEY,
        note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        text TEXT NOT NULL,
        original_text TEXT NOT NULL,
        confidence REAL NOT NULL,
        confidence_source TEXT NOT NULL,
        state TEXT NOT NULL
            CHECK (state IN ('accepted', 'pending', 'kept', 'retyped', 'dropped')),
        review_message_id INTEGER,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX lines_note ON lines(note_id);
    CREATE INDEX lines_review_message ON lines(review_message_id)
        WHERE review_message_id IS NOT NULL;

    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL,
        chat_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        file_id TEXT NOT NULL,
        file_unique_id TEXT NOT NULL,
        file_size INTEGER,
        status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'done', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        note_id INTEGER REFERENCES notes(id) ON DELETE SET NULL,
        status_message_id INTEGER,
        error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (chat_id, message_id)
    );
    CREATE INDEX jobs_status_user ON jobs(status, user_id);
    CREATE INDEX jobs_user ON jobs(user_id);
    CREATE INDEX jobs_note ON jobs(note_id);

    CREATE TABLE retype_waits (
        user_id INTEGER PRIMARY KEY,
        line_id INTEGER NOT NULL REFERENCES lines(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL
    );
    CREATE INDEX retype_waits_line ON retype_waits(line_id);

    CREATE VIRTUAL TABLE notes_fts USING fts5(
        body, title, tokenize = 'unicode61 remove_diacritics 2'
    );
    """,
    # 2: per-user preferences and one-off notices.
    """
    CREATE TABLE user_settings (
        user_id INTEGER PRIMARY KEY,
        language TEXT,
        threshold REAL CHECK (threshold IS NULL OR (threshold >= 0 AND threshold <= 100)),
        trial_notified INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL
    );
    """,
    # 3: albums (photos sent together become one note) and captions (a note's title).
    """
    ALTER TABLE jobs ADD COLUMN media_group_id TEXT;
    ALTER TABLE jobs ADD COLUMN caption TEXT;
    CREATE INDEX jobs_media_group ON jobs(user_id, media_group_id)
        WHERE media_group_id IS NOT NULL;
    """,
    # 4: renaming a note by sending its new title; paged search results remember their query.
    """
    CREATE TABLE rename_waits (
        user_id INTEGER PRIMARY KEY,
        note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL
    );
    CREATE INDEX rename_waits_note ON rename_waits(note_id);

    CREATE TABLE saved_searches (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL,
        query TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX saved_searches_user ON saved_searches(user_id, id);
    """,
    # 5: search scoped to the owner inside FTS5 (an `owner` token column) with prefix indexes,
    # so /search costs what the user's own notes cost, not what everyone's do (BENCHMARKS.md).
    """
    DROP TABLE notes_fts;
    CREATE VIRTUAL TABLE notes_fts USING fts5(
        body, title, owner, tokenize = 'unicode61 remove_diacritics 2', prefix = '3 4'
    );
    INSERT INTO notes_fts (rowid, body, title, owner)
    SELECT n.id, coalesce((SELECT group_concat(text, char(10)) FROM
            (SELECT text FROM lines WHERE note_id = n.id AND state != 'dropped'
             ORDER BY position)), ''),
        coalesce(n.title, ''), 'u' || n.user_id
    FROM notes n;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
