"""Jobs: received photos, recorded before any slow work, until their replies are sent."""

from __future__ import annotations

import sqlite3
from typing import Any

from bot.domain.models import Job, JobStatus
from bot.storage.database import Database, fetch_all, fetch_one, now, parse_time
from bot.storage.errors import JobNotFound, JobRefused

JOB_COLUMNS = (
    "id, user_id, chat_id, message_id, file_id, file_unique_id, file_size, status, attempts, "
    "note_id, status_message_id, error, created_at, media_group_id, caption, as_file, locale"
)
# An album counts once against the limits: its pages are one submission.
_WAITING_PHOTOS = "count(DISTINCT coalesce(media_group_id, 'job:' || id))"


def job_from_row(row: sqlite3.Row) -> Job:
    return Job(
        id=row["id"],
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        message_id=row["message_id"],
        file_id=row["file_id"],
        file_unique_id=row["file_unique_id"],
        file_size=row["file_size"],
        status=JobStatus(row["status"]),
        attempts=row["attempts"],
        note_id=row["note_id"],
        status_message_id=row["status_message_id"],
        error=row["error"],
        created_at=parse_time(row["created_at"]),
        media_group_id=row["media_group_id"],
        caption=row["caption"],
        as_file=bool(row["as_file"]),
        locale=row["locale"],
    )


class Jobs:
    """The durable queue of photos. Its writes are the pipeline's bookkeeping, so they run as
    background writes: a user's button or command goes first."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        *,
        user_id: int,
        chat_id: int,
        message_id: int,
        file_id: str,
        file_unique_id: str,
        file_size: int | None,
        max_per_user: int | None = None,
        max_total: int | None = None,
        media_group_id: str | None = None,
        caption: str | None = None,
        as_file: bool = False,
        locale: str | None = None,
    ) -> Job:
        """Record a photo before any slow work; a redelivered update gets the existing job.

        The limits are checked in the same transaction as the insert, so photos arriving at
        the same moment cannot all slip under them. `locale` is the interface language the
        replies are written in (also after a restart). Raises JobRefused.
        """
        stamp = now()
        by_message = f"SELECT {JOB_COLUMNS} FROM jobs WHERE chat_id = ? AND message_id = ?"
        async with self._db.write(background=True) as db:
            row = await fetch_one(db, by_message, (chat_id, message_id))
            if row is not None:
                return job_from_row(row)
            same_photo = await fetch_one(
                db,
                "SELECT 1 FROM jobs WHERE user_id = ? AND file_unique_id = ? AND status = 'queued'",
                (user_id, file_unique_id),
            )
            if same_photo is not None:
                raise JobRefused("duplicate")
            if max_per_user is not None:
                mine = await fetch_one(
                    db,
                    f"SELECT {_WAITING_PHOTOS} FROM jobs WHERE user_id = ? AND status = 'queued' "
                    "AND (media_group_id IS NULL OR media_group_id IS NOT ?)",
                    (user_id, media_group_id),
                )
                if mine[0] >= max_per_user:
                    raise JobRefused("user_limit")
            if max_total is not None:
                total = await fetch_one(
                    db,
                    f"SELECT {_WAITING_PHOTOS} FROM jobs WHERE status = 'queued' "
                    "AND (media_group_id IS NULL OR media_group_id IS NOT ?)",
                    (media_group_id,),
                )
                if total[0] >= max_total:
                    raise JobRefused("queue_full")
            await db.execute(
                "INSERT INTO jobs (user_id, chat_id, message_id, file_id, file_unique_id, "
                "file_size, status, attempts, created_at, updated_at, media_group_id, caption, "
                "as_file, locale) VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?, ?, ?)",
                (
                    user_id,
                    chat_id,
                    message_id,
                    file_id,
                    file_unique_id,
                    file_size,
                    stamp,
                    stamp,
                    media_group_id,
                    caption,
                    as_file,
                    locale,
                ),
            )
            row = await fetch_one(db, by_message, (chat_id, message_id))
        return job_from_row(row)

    async def _update(self, job_id: int, assignments: str, *params: Any) -> Job | None:
        """`UPDATE jobs SET <assignments>` on one job (and its updated_at); the job after it."""
        async with self._db.write(background=True) as db:
            await db.execute(
                f"UPDATE jobs SET {assignments}, updated_at = ? WHERE id = ?",
                (*params, now(), job_id),
            )
            row = await fetch_one(db, f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
        return job_from_row(row) if row else None

    async def by_message(self, chat_id: int, message_id: int) -> Job | None:
        """The job a message became, if it did (a redelivered update finds it here)."""
        async with self._db.read() as db:
            row = await fetch_one(
                db,
                f"SELECT {JOB_COLUMNS} FROM jobs WHERE chat_id = ? AND message_id = ?",
                (chat_id, message_id),
            )
        return job_from_row(row) if row else None

    async def set_status_message(self, job_id: int, message_id: int) -> None:
        """Remember the "working…" message so a resumed job edits it instead of sending another."""
        await self._update(job_id, "status_message_id = ?", message_id)

    async def count_failure(self, job_id: int, error: str) -> Job:
        """Count a failed attempt that may be the image's fault (the worker died reading it,
        or the job crashed). Interruptions (a stop, a kill, waiting in line) never count."""
        job = await self._update(job_id, "attempts = attempts + 1, error = ?", error)
        if job is None:
            raise JobNotFound(job_id)
        return job

    async def fail(self, job_id: int, error: str) -> None:
        await self._update(job_id, "status = 'failed', error = ?", error)

    async def mark_done(self, job_id: int) -> None:
        """Only after every reply is sent: until then a restart resumes (and re-sends) the job."""
        await self._update(job_id, "status = 'done', error = NULL")

    async def unfinished(self) -> list[Job]:
        """Queued jobs, oldest first: what a restart has to pick up."""
        async with self._db.read() as db:
            rows = await fetch_all(
                db,
                f"SELECT {JOB_COLUMNS} FROM jobs WHERE status = 'queued' ORDER BY created_at, id",
            )
        return [job_from_row(row) for row in rows]

    async def queued(self, job_ids: list[int]) -> list[Job]:
        """Those of these jobs still queued, as they are now, in the order they were sent."""
        marks = ",".join("?" * len(job_ids))
        async with self._db.read() as db:
            rows = await fetch_all(
                db,
                f"SELECT {JOB_COLUMNS} FROM jobs WHERE id IN ({marks}) AND status = 'queued' "
                "ORDER BY message_id",
                job_ids,
            )
        return [job_from_row(row) for row in rows]

    async def album(self, user_id: int, media_group_id: str) -> list[Job]:
        """The queued pages of one album, in the order they were sent."""
        async with self._db.read() as db:
            rows = await fetch_all(
                db,
                f"SELECT {JOB_COLUMNS} FROM jobs WHERE user_id = ? AND media_group_id = ? "
                "AND status = 'queued' ORDER BY message_id",
                (user_id, media_group_id),
            )
        return [job_from_row(row) for row in rows]
