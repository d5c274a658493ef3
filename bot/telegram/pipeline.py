"""A photo's way from Telegram file to stored note and replies, as a durable job.

The job row is written before any slow work; every step after it can be repeated, so a job
interrupted by a crash or restart is simply run again at start (`resume`). A job whose note
already exists skips OCR and only (re)sends the replies.

What interrupts a job decides what happens next:
- a stop, a kill, a wait in line: nothing is counted; the job runs again;
- a passing fault (the Bot API or the OCR service away after their own retries): the job
  runs again later, in this process, without a restart, and nothing is counted;
- a fault that may be the image's (the worker died reading it, the job crashed): counted;
  after MAX_ATTEMPTS the user is told it could not be read;
- the image itself (not an image, the engine's error, a timeout): the user is told at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from telegram import Bot
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.config import Settings
from bot.domain import messages
from bot.domain.i18n import Catalogs, Translator
from bot.domain.models import ImageFlaw, Job, Note, OcrDelay, Page, RecognizedLine
from bot.domain.review import classify, note_title
from bot.monitoring import OCR_SECONDS, PHOTOS_READ
from bot.ocr.backends.base import OcrBackend
from bot.ocr.contract import (
    MAX_ATTEMPTS,
    ImageGivenUp,
    ModelMissing,
    OcrFailed,
    OcrOutcome,
    OcrTimeout,
    OcrUnavailable,
    WorkerLost,
)
from bot.ocr.images.intake import ImageRejected, inspect_image
from bot.storage import JobNotFound, Storage
from bot.telegram.buttons import ButtonCodec
from bot.telegram.delays import delay_notices
from bot.telegram.delivery import edit_text, send_reply
from bot.telegram.features.editor import edit_keyboard, offer_editor
from bot.telegram.features.review import line_pieces, send_review_prompts
from bot.telegram.files import download
from bot.telegram.limits import is_transient
from bot.telegram.locale import default_ocr_language
from bot.telegram.waiting_line import WaitingLine

log = logging.getLogger(__name__)

# Seconds before a job interrupted by a passing fault runs again; the last delay repeats.
RETRY_DELAYS = (5.0, 15.0, 60.0, 300.0)


@dataclass
class PagesRead:
    """What reading a job's pages gave: the lines in order, and for each line its page of the
    note and its piece of the photo (None: not unsure, or no box)."""

    lines: list[RecognizedLine] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)
    pieces: list[bytes | None] = field(default_factory=list)
    trial: bool = False
    skipped: list[str] = field(default_factory=list)  # pages that could not be read, and why


class PhotoPipeline:
    """Runs jobs in the background: album pages together, a few at a time (`WaitingLine`),
    each job once however often it is submitted (a redelivered update, a resume)."""

    def __init__(
        self,
        bot: Bot,
        storage: Storage,
        ocr: OcrBackend,
        buttons: ButtonCodec,
        settings: Settings,
        catalogs: Catalogs,
    ) -> None:
        self.bot = bot
        self.catalogs = catalogs
        self.storage = storage
        self.ocr = ocr
        self.buttons = buttons
        self.settings = settings
        self.line = WaitingLine(slots=ocr.capacity)
        self._tasks: set[asyncio.Task[None]] = set()
        self._active: set[int] = set()  # jobs running or waiting for a retry
        self._album_timers: dict[tuple[int, str], asyncio.TimerHandle] = {}
        self._retry_timers: dict[int, tuple[int, asyncio.TimerHandle]] = {}  # lead -> user
        self._passing_faults: dict[int, int] = {}  # lead job -> faults in a row

    # --- scheduling ---

    def submit(self, job: Job) -> None:
        """Process a photo in the background; album pages wait for their siblings first."""
        if job.id in self._active:
            return  # already on its way: the same update delivered again, or a resume
        if job.media_group_id is None:
            self._start([job])
            return
        key = (job.user_id, job.media_group_id)
        timer = self._album_timers.pop(key, None)
        if timer is not None:
            timer.cancel()  # another page arrived: restart the collection window
        self._album_timers[key] = asyncio.get_running_loop().call_later(
            self.settings.album_window_s, self._album_window_closed, key
        )

    def _start(self, jobs: list[Job]) -> None:
        self._active.update(job.id for job in jobs)
        self._spawn(self.run(jobs), f"job-{jobs[0].id}")

    def _album_window_closed(self, key: tuple[int, str]) -> None:
        self._album_timers.pop(key, None)
        self._spawn(self._run_album(*key), f"album-{key[1]}")

    async def _run_album(self, user_id: int, media_group_id: str) -> None:
        pages = await self.storage.jobs.album(user_id, media_group_id)
        pages = [page for page in pages if page.id not in self._active]
        if pages:
            self._start(pages)

    def _retry_later(self, jobs: list[Job]) -> None:
        """Run the job again after a delay that grows while the fault lasts."""
        lead = jobs[0]
        faults = self._passing_faults.get(lead.id, 0)
        self._passing_faults[lead.id] = faults + 1
        delay = RETRY_DELAYS[min(faults, len(RETRY_DELAYS) - 1)]
        log.info("event=job_retry_later job=%d user=%d delay_s=%g", lead.id, lead.user_id, delay)
        timer = asyncio.get_running_loop().call_later(delay, self._retry_now, jobs)
        self._retry_timers[lead.id] = (lead.user_id, timer)

    def _retry_now(self, jobs: list[Job]) -> None:
        self._retry_timers.pop(jobs[0].id, None)
        self._spawn(self._rerun(jobs), f"retry-{jobs[0].id}")

    async def _rerun(self, jobs: list[Job]) -> None:
        fresh = await self.storage.jobs.queued([job.id for job in jobs])  # as they are now
        self._active.difference_update(job.id for job in jobs)
        if fresh:
            self._start(fresh)

    def forget_user(self, user_id: int) -> None:
        """Drop the user's albums and retries waiting to run (their data is being deleted)."""
        for key in [key for key in self._album_timers if key[0] == user_id]:
            self._album_timers.pop(key).cancel()
        for lead, (owner, timer) in list(self._retry_timers.items()):
            if owner == user_id:
                timer.cancel()
                del self._retry_timers[lead]

    def _spawn(self, coroutine: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def resume(self) -> int:
        """Re-submit every photo that a crash or restart interrupted; returns how many."""
        jobs = await self.storage.jobs.unfinished()
        for job in jobs:
            log.info("event=job_resumed job=%d user=%d", job.id, job.user_id)
            self.submit(job)  # album pages regroup through the same collection window
        return len(jobs)

    async def drain(self, grace_s: float) -> None:
        """Wait for running jobs (used at shutdown); unfinished ones resume at next start."""
        for timer in self._album_timers.values():
            timer.cancel()  # their pages are in the database and resume at next start
        self._album_timers.clear()
        for _, timer in self._retry_timers.values():
            timer.cancel()
        self._retry_timers.clear()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=grace_s)

    async def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=5)

    # --- the job ---

    async def run(self, jobs: list[Job]) -> None:
        """One note from one photo, or from an album's pages (in the order they were sent)."""
        started = time.monotonic()
        lead = jobs[0]
        retrying = False
        try:
            await self._run(jobs)
            self._passing_faults.pop(lead.id, None)
        except asyncio.CancelledError:
            raise
        except JobNotFound:
            log.info("event=job_vanished job=%d user=%d", lead.id, lead.user_id)  # /forget
        except Forbidden as error:  # blocked by the user, or removed from the group
            log.warning(
                "event=job_unanswerable job=%d user=%d error=%s", lead.id, lead.user_id, error
            )
            await self._mark_failed(jobs, f"cannot answer: {error}")
        except (OcrUnavailable, TelegramError) as error:
            if isinstance(error, TelegramError) and not is_transient(error):
                retrying = await self._count_failure(jobs, error)
            else:
                log.warning(
                    "event=job_interrupted job=%d user=%d error=%s", lead.id, lead.user_id, error
                )
                self._retry_later(jobs)
                retrying = True
        except Exception as error:  # WorkerLost, or a bug: maybe the image's fault
            retrying = await self._count_failure(jobs, error)
        finally:
            if not retrying:
                self._active.difference_update(job.id for job in jobs)
            log.info(
                "event=job_finished job=%d user=%d pages=%d seconds=%.2f",
                lead.id,
                lead.user_id,
                len(jobs),
                time.monotonic() - started,
            )

    async def _count_failure(self, jobs: list[Job], error: Exception) -> bool:
        """Count an attempt that may have failed because of the image; True if it runs again."""
        lead = jobs[0]
        log.error(
            "event=job_failed_attempt job=%d user=%d error=%s",
            lead.id,
            lead.user_id,
            error,
            exc_info=not isinstance(error, WorkerLost),
        )
        try:
            await self.storage.jobs.count_failure(lead.id, _one_line(error))
        except JobNotFound:
            return False
        self._retry_later(jobs)  # after MAX_ATTEMPTS, that run tells the user
        return True

    async def _run(self, jobs: list[Job]) -> None:
        lead = jobs[0]
        t = self.catalogs.get(lead.locale)  # the language of the user when they sent the photo
        if lead.note_id is not None:
            note = await self.storage.notes.get(lead.user_id, lead.note_id)
            if note is not None:
                await self._deliver(jobs, note, t, trial=False)
                return
        if lead.attempts >= MAX_ATTEMPTS:
            reason = f"gave up after {MAX_ATTEMPTS} attempts"
            await self._fail(jobs, t(messages.GIVING_UP), reason)
            return
        prefs = await self.storage.users.settings(lead.user_id)
        threshold = (
            prefs.threshold if prefs.threshold is not None else self.settings.confidence_threshold
        ) / 100
        async with self.line.place() as ahead:
            if lead.status_message_id is None:
                status = await self.bot.send_message(
                    lead.chat_id,
                    messages.working(t, ahead, pages=len(jobs)),
                    reply_to_message_id=lead.message_id,
                    allow_sending_without_reply=True,
                )
                await self.storage.jobs.set_status_message(lead.id, status.message_id)
                jobs[0] = lead = replace(lead, status_message_id=status.message_id)
            async with self.line.turn():
                if ahead > 0:  # "N photo(s) ahead" is no longer true: say it is being read now
                    await self._update_status(lead, messages.working(t, 0, pages=len(jobs)))
                # In its turn: the check may ask the engine (once per language, then cached).
                language = prefs.language or await default_ocr_language(
                    self.ocr, self.settings, t.code
                )
                read = await self._read_pages(jobs, language, threshold, t)
        if read is None:
            return  # the user has been told why
        drafts = classify(read.lines, threshold, read.pages)
        note = await self.storage.create_note(
            user_id=lead.user_id,
            chat_id=lead.chat_id,
            lines=drafts,
            title=note_title(next((job.caption for job in jobs if job.caption), None), drafts),
            pages=[Page(job.file_id, job.as_file) for job in jobs],
            file_unique_id=lead.file_unique_id if len(jobs) == 1 else None,
            engine_mode="trial" if read.trial else "licensed",
            job_ids=[job.id for job in jobs],
        )
        log.info(
            "event=note_created job=%d user=%d note=%d pages=%d lines=%d pending=%d",
            lead.id,
            lead.user_id,
            note.id,
            len(jobs),
            len(note.lines),
            len(note.pending_lines),
        )
        # The note's lines are the recognised ones, in order: each piece goes to its line.
        pieces = {
            line.id: piece
            for line, piece in zip(note.lines, read.pieces, strict=True)
            if piece is not None
        }
        await self._deliver(jobs, note, t, trial=read.trial, skipped=read.skipped, pieces=pieces)

    async def _read_pages(
        self, jobs: list[Job], language: str, threshold: float, t: Translator
    ) -> PagesRead | None:
        """Download and OCR every page, in order, with the pieces of the lines below
        `threshold` cut by the worker from the image it read.

        None when nothing could be read; the job has then failed and the user was told.
        """
        await self._typing(jobs[0].chat_id)
        read = PagesRead()
        for page, job in enumerate(jobs, start=1):
            try:
                data = await self._download(job)
                inspect_image(data, max_pixels=self.settings.max_image_pixels)
                outcome = await self._recognize(jobs, job, data, language, threshold, t)
            except ImageRejected as rejected:
                PHOTOS_READ.labels(outcome="refused").inc()
                user_text = messages.image_flaw(t, rejected.flaw, rejected.detail)
                reason = f"image rejected: {rejected}"
            except (OcrUnavailable, WorkerLost):
                raise  # not (only) this page's doing: the whole job runs again
            except OcrTimeout as error:
                PHOTOS_READ.labels(outcome="failed").inc()
                log.error("event=ocr_timeout job=%d user=%d error=%s", job.id, job.user_id, error)
                user_text, reason = t(messages.ENGINE_TIMEOUT), str(error)
            except ImageGivenUp as error:  # it killed whole workers of the task queue
                PHOTOS_READ.labels(outcome="failed").inc()
                log.error("event=ocr_given_up job=%d user=%d error=%s", job.id, job.user_id, error)
                user_text, reason = t(messages.GIVING_UP), str(error)
            except ModelMissing as error:
                log.warning(
                    "event=ocr_model_missing job=%d language=%s error=%s", job.id, language, error
                )
                user_text, reason = messages.language_unavailable(t, language), str(error)
            except OcrFailed as error:  # ModelMissing above is one too
                PHOTOS_READ.labels(outcome="failed").inc()
                log.error("event=ocr_failed job=%d user=%d error=%s", job.id, job.user_id, error)
                user_text, reason = t(messages.ENGINE_FAILED), str(error)
            except BadRequest as error:  # e.g. a file Telegram no longer has
                log.warning(
                    "event=download_failed job=%d user=%d error=%s", job.id, job.user_id, error
                )
                user_text, reason = t(messages.DOWNLOAD_FAILED), str(error)
            except TelegramError:
                raise  # a passing fault, retried already: the whole job runs again later
            # Anything else (a bug, an engine that can't start in a worker) ends the run:
            # `run` counts it as an attempt and tries again, then tells the user.
            else:
                PHOTOS_READ.labels(outcome="read").inc()
                OCR_SECONDS.observe(outcome.elapsed_s)
                read.lines.extend(outcome.lines)
                read.pages.extend([page - 1] * len(outcome.lines))  # the note's page index
                fits = len(outcome.crops) == len(outcome.lines)  # else not asked, or an old worker
                read.pieces.extend(outcome.crops if fits else [None] * len(outcome.lines))
                read.trial = read.trial or outcome.trial
                log.info(
                    "event=ocr_done job=%d user=%d engine=%s lines=%d language=%s model=%s "
                    "ocr_s=%.2f crosscheck_s=%.2f pieces=%d crop_s=%.3f",
                    job.id,
                    job.user_id,
                    outcome.engine,
                    len(outcome.lines),
                    language,
                    outcome.model,
                    outcome.elapsed_s,
                    outcome.crosscheck_s,
                    sum(piece is not None for piece in outcome.crops),
                    outcome.crop_s,
                )
                continue
            if len(jobs) == 1:
                await self._fail(jobs, user_text, reason)
                return None
            read.skipped.append(messages.skipped_page(t, page, user_text))
        if len(read.skipped) == len(jobs):
            await self._fail(jobs, t(messages.ALBUM_UNREADABLE), "; ".join(read.skipped))
            return None
        return read

    async def _recognize(
        self,
        jobs: list[Job],
        job: Job,
        data: bytes,
        language: str,
        threshold: float,
        t: Translator,
    ) -> OcrOutcome:
        """OCR one page; while OCR can't run, the status message says why it waits."""

        async def show(delay: OcrDelay | None) -> None:
            await self._update_status(jobs[0], messages.reading(t, delay, pages=len(jobs)))

        async with delay_notices(self.ocr, job.created_at, self.settings.ocr_delay_notice_s, show):
            return await self.ocr.recognize(data, language, crop_below=threshold, job=str(job.id))

    async def _download(self, job: Job) -> bytes:
        if job.file_size is not None and job.file_size > self.settings.max_file_bytes:
            raise ImageRejected(ImageFlaw.TOO_BIG_FILE)
        return await download(self.bot, job.file_id, self.settings.max_file_bytes)

    async def _deliver(
        self,
        jobs: list[Job],
        note: Note,
        t: Translator,
        *,
        trial: bool,
        skipped: Sequence[str] = (),
        pieces: Mapping[int, bytes] | None = None,
    ) -> None:
        """Show the result in the status message and one review message per pending line,
        with its piece of the photo (`pieces` by line id; cut again from the note's pages
        when not given, as after a restart)."""
        lead = jobs[0]
        result = messages.ocr_result(t, note, trial=trial, skipped=list(skipped))
        await send_reply(
            self.bot,
            lead.chat_id,
            result,
            edit_message_id=lead.status_message_id,
            keyboard=edit_keyboard(self.settings, t, note, lead.chat_id),
        )
        if trial and await self.storage.users.claim_trial_notice(lead.user_id):
            await self.bot.send_message(lead.chat_id, t(messages.TRIAL_NOTICE))
        if await offer_editor(self.bot, self.settings, self.buttons, t, note, lead.chat_id):
            unasked = []  # many flagged lines: one message with the Edit button instead
        else:  # those with a prompt already were sent before a restart
            unasked = [line for line in note.pending_lines if line.review_message_id is None]
        if pieces is None:
            pieces = await line_pieces(self.bot, self.ocr, note, unasked)
        await send_review_prompts(
            self.bot,
            self.storage,
            self.buttons,
            user_id=lead.user_id,
            chat_id=lead.chat_id,
            lines=unasked,
            t=t,
            pieces=pieces,
        )
        for job in jobs:
            await self.storage.jobs.mark_done(job.id)

    async def _update_status(self, job: Job, text: str) -> None:
        """Edit the status message in passing: if that fails, the note still replaces it later,
        so no new message is sent (that would be the pile of messages the status avoids)."""
        if job.status_message_id is None:
            return
        try:
            await edit_text(self.bot, job.chat_id, job.status_message_id, text)
        except TelegramError as error:  # e.g. the network: cosmetic, so never fail the job
            log.info("event=status_edit_failed job=%d error=%s", job.id, error)

    async def _show_status(self, job: Job, text: str) -> None:
        """The status message becomes `text`, or `text` is sent if it can't be edited."""
        if job.status_message_id is not None and await edit_text(
            self.bot, job.chat_id, job.status_message_id, text
        ):
            return
        await self.bot.send_message(job.chat_id, text, parse_mode=ParseMode.HTML)

    async def _fail(self, jobs: list[Job], user_text: str, reason: str) -> None:
        """Tell the user, then mark the job failed: if telling fails, the job runs again."""
        await self._show_status(jobs[0], messages.esc(user_text))
        await self._mark_failed(jobs, reason)

    async def _mark_failed(self, jobs: list[Job], reason: str) -> None:
        for job in jobs:
            await self.storage.jobs.fail(job.id, reason)

    async def _typing(self, chat_id: int) -> None:
        try:
            await self.bot.send_chat_action(chat_id, ChatAction.TYPING)
        except TelegramError as error:
            log.debug("event=chat_action_failed error=%s", error)


def _one_line(error: BaseException) -> str:
    return " ".join(f"{type(error).__name__}: {error}".split())[:500]
