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
    # 6: ids are never reused (AUTOINCREMENT), so an old button can't act on a newer row;
    # the sequences start above today's ids with room for rows deleted before this
    # migration. A retyped line or a new title is awaited in one chat only, and a message
    # that delivered one is recorded, so a redelivered update can't apply it twice. Waiting
    # photos start with no failed attempts (restarts were counted as attempts before).
    """
    CREATE TABLE notes_new (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id INTEGER NOT NULL,
        chat_id INTEGER NOT NULL,
        title TEXT,
        file_unique_id TEXT,
        engine_mode TEXT NOT NULL DEFAULT 'licensed',
        created_at TEXT NOT NULL
    );
    INSERT INTO notes_new (id, user_id, chat_id, title, file_unique_id, engine_mode, created_at)
    SELECT id, user_id, chat_id, title, file_unique_id, engine_mode, created_at FROM notes;
    DROP TABLE notes;
    ALTER TABLE notes_new RENAME TO notes;
    CREATE INDEX notes_user_created ON notes(user_id, created_at);
    CREATE INDEX notes_user_file ON notes(user_id, file_unique_id);

    CREATE TABLE lines_new (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
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
    INSERT INTO lines_new SELECT id, note_id, position, text, original_text, confidence,
        confidence_source, state, review_message_id, updated_at FROM lines;
    DROP TABLE lines;
    ALTER TABLE lines_new RENAME TO lines;
    CREATE INDEX lines_note ON lines(note_id);
    CREATE INDEX lines_review_message ON lines(review_message_id)
        WHERE review_message_id IS NOT NULL;

    CREATE TABLE saved_searches_new (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id INTEGER NOT NULL,
        query TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    INSERT INTO saved_searches_new SELECT id, user_id, query, created_at FROM saved_searches;
    DROP TABLE saved_searches;
    ALTER TABLE saved_searches_new RENAME TO saved_searches;
    CREATE INDEX saved_searches_user ON saved_searches(user_id, id);

    DELETE FROM sqlite_sequence WHERE name IN ('notes', 'lines', 'saved_searches');
    INSERT INTO sqlite_sequence (name, seq)
    SELECT 'notes', coalesce(max(id) + 1000, 0) FROM notes
    UNION ALL SELECT 'lines', coalesce(max(id) + 100000, 0) FROM lines
    UNION ALL SELECT 'saved_searches', coalesce(max(id) + 1000, 0) FROM saved_searches;

    ALTER TABLE retype_waits ADD COLUMN chat_id INTEGER;
    UPDATE retype_waits SET chat_id = (SELECT n.chat_id FROM lines l
        JOIN notes n ON n.id = l.note_id WHERE l.id = retype_waits.line_id);
    ALTER TABLE rename_waits ADD COLUMN chat_id INTEGER;
    UPDATE rename_waits SET chat_id = (SELECT chat_id FROM notes WHERE id = rename_waits.note_id);

    CREATE TABLE handled_messages (
        chat_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (chat_id, message_id)
    ) WITHOUT ROWID;
    CREATE INDEX handled_messages_user ON handled_messages(user_id);
    CREATE INDEX handled_messages_created ON handled_messages(created_at);

    -- Attempts counted every start before; from now on only faults that may be the image's.
    UPDATE jobs SET attempts = 0 WHERE status = 'queued';
    """,
    # 7: a note keeps its photos: each page's Telegram file_id (Telegram keeps the file), and
    # whether it came as a file; each line where it is on its page (its box in the pixels of
    # the image the engine read), so a review prompt can show that piece of the photo.
    """
    ALTER TABLE jobs ADD COLUMN as_file INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE note_pages (
        note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        file_id TEXT NOT NULL,
        as_file INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (note_id, position)
    ) WITHOUT ROWID;
    INSERT INTO note_pages (note_id, position, file_id)
    SELECT j.note_id, row_number() OVER (PARTITION BY j.note_id ORDER BY j.message_id) - 1,
        j.file_id
    FROM jobs j JOIN notes n ON n.id = j.note_id;
    ALTER TABLE lines ADD COLUMN page INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE lines ADD COLUMN box_x INTEGER;
    ALTER TABLE lines ADD COLUMN box_y INTEGER;
    ALTER TABLE lines ADD COLUMN box_w INTEGER;
    ALTER TABLE lines ADD COLUMN box_h INTEGER;
    """,
    # 8: the language the bot speaks to each user (their choice; NULL follows Telegram's), and
    # the one a photo's replies are written in, so a job resumed after a restart keeps it.
    """
    ALTER TABLE user_settings ADD COLUMN interface_language TEXT;
    ALTER TABLE jobs ADD COLUMN locale TEXT;
    """,
    # 9 (the Mini App editor): each note has a version, bumped by every change to its lines or
    # title, so a save made on an older version is refused instead of overwriting a newer one.
    # A save records what the chat must do after it (close the prompts it settled, send the
    # note) until the bot has done it (then the row goes), so a crash in between loses none.
    # /healthz proves the database takes writes by writing its one row.
    """
    ALTER TABLE notes ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
    CREATE TABLE editor_saves (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
        user_id INTEGER NOT NULL,
        version INTEGER NOT NULL,
        closed_prompts TEXT NOT NULL,
        locale TEXT,
        created_at TEXT NOT NULL
    );
    CREATE INDEX editor_saves_note ON editor_saves(note_id);
    CREATE TABLE health_checks (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        checked_at TEXT NOT NULL
    );
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
