"""The single SQLite writer: how many photos' worth of bookkeeping it commits per second.

With OCR spread over many machines the bot still writes every job and note itself; this is
the ceiling that no number of workers lifts. Per photo, the pipeline's writes: the job row,
the status message id, the note with its lines (one transaction), done.
"""

from __future__ import annotations

import time
from pathlib import Path

from bot.domain.models import ConfidenceSource, LineDraft, LineState
from bot.storage import Storage

WRITES_PER_PHOTO = 4
LINES = [
    LineDraft(f"Line {n} of a typical note", 0.8, ConfidenceSource.ESTIMATE, LineState.ACCEPTED)
    for n in range(6)
]


async def writer_rate(path: Path, photos: int) -> dict:
    async with await Storage.open(path) as storage:
        started = time.perf_counter()
        for n in range(photos):
            user = 1 + n % 50
            job = await storage.jobs.create(
                user_id=user,
                chat_id=user,
                message_id=n,
                file_id=f"file-{n}",
                file_unique_id=f"unique-{n}",
                file_size=200_000,
            )
            await storage.jobs.set_status_message(job.id, 100_000 + n)
            await storage.create_note(
                user_id=user, chat_id=user, lines=LINES, title="Note", job_ids=[job.id]
            )
            await storage.jobs.mark_done(job.id)
        seconds = time.perf_counter() - started
    return {
        "photos": photos,
        "photos_per_s": round(photos / seconds, 1),
        "write_transactions_per_s": round(photos * WRITES_PER_PHOTO / seconds, 1),
        "ms_per_photo": round(seconds * 1000 / photos, 2),
    }
