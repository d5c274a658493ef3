"""A photo's way from Telegram file to stored note and replies, as a durable job.

The job row is written before any slow work; every step after it can be repeated, so a job
interrupted by a crash or restart is simply run again at start (`resume`). A job whose note
already exists skips OCR and only (re)sends the replies.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, TelegramError

from bot import messages
from bot.callbacks import CallbackSigner
from bot.config import Settings
from bot.images import ImageRejected, inspect_image
from bot.models import Job, Line, Note
from bot.ocr_engine import OcrFailed
from bot.ocr_service import OcrService, OcrTimeout
from bot.review import classify
from bot.storage import Storage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3


@dataclass
class Services:
    """What handlers and the pipeline share; stored in `application.bot_data`."""

    settings: Settings
    storage: Storage
    ocr: OcrService
    signer: CallbackSigner
    pipeline: PhotoPipeline


def review_keyboard(signer: CallbackSigner, user_id: int, line: Line) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Keep", callback_data=signer.encode(user_id, "k", line.id)),
                InlineKeyboardButton("Retype", callback_data=signer.encode(user_id, "r", line.id)),
                InlineKeyboardButton("Drop", callback_data=signer.encode(user_id, "d", line.id)),
            ]
        ]
    )


class PhotoPipeline:
    def __init__(
        self,
        bot: Bot,
        storage: Storage,
        ocr: OcrService,
        signer: CallbackSigner,
        settings: Settings,
    ) -> None:
        self.bot = bot
        self.storage = storage
        self.ocr = ocr
        self.signer = signer
        self.settings = settings
        self._tasks: set[asyncio.Task] = set()

    # --- scheduling ---

    def submit(self, job: Job) -> None:
        """Process a job in the background; the handler returns at once."""
        task = asyncio.create_task(self.run(job), name=f"job-{job.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def resume(self) -> int:
        """Re-run every job that a crash or restart interrupted; returns how many."""
        jobs = await self.storage.unfinished_jobs()
        for job in jobs:
            log.info("event=job_resumed job=%d user=%d", job.id, job.user_id)
            self.submit(job)
        return len(jobs)

    async def drain(self, grace_s: float) -> None:
        """Wait for running jobs (used at shutdown); unfinished ones resume at next start."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=grace_s)

    async def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=5)

    # --- the job ---

    async def run(self, job: Job) -> None:
        started = time.monotonic()
        try:
            await self._run(job)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("event=job_crashed job=%d user=%d", job.id, job.user_id)
        finally:
            log.info(
                "event=job_finished job=%d user=%d seconds=%.2f",
                job.id,
                job.user_id,
                time.monotonic() - started,
            )

    async def _run(self, job: Job) -> None:
        if job.note_id is not None:
            note = await self.storage.get_note(job.user_id, job.note_id)
            if note is not None:
                await self._deliver(job, note, trial=False)
                return
        job = await self.storage.begin_job_attempt(job.id)
        if job.attempts > MAX_ATTEMPTS:
            await self._fail(job, messages.GIVING_UP, f"gave up after {MAX_ATTEMPTS} attempts")
            return
        status_id = job.status_message_id
        if status_id is None:
            ahead = max(0, self.ocr.in_flight - self.ocr.workers)
            status = await self.bot.send_message(
                job.chat_id,
                messages.working(ahead),
                reply_to_message_id=job.message_id,
                allow_sending_without_reply=True,
            )
            status_id = status.message_id
            await self.storage.set_job_status_message(job.id, status_id)
            job = await self.storage.get_job(job.id)
        await self._typing(job.chat_id)

        prefs = await self.storage.user_settings(job.user_id)
        language = prefs.language or self.settings.ocr_language
        threshold = (
            prefs.threshold if prefs.threshold is not None else self.settings.confidence_threshold
        )
        try:
            data = await self._download(job)
            inspect_image(data, max_pixels=self.settings.max_image_pixels)
            outcome = await self.ocr.recognize(data, language)
        except ImageRejected as rejected:
            await self._fail(job, rejected.user_message, "image rejected")
            return
        except OcrTimeout as error:
            log.error("event=ocr_timeout job=%d user=%d error=%s", job.id, job.user_id, error)
            await self._fail(job, messages.ENGINE_TIMEOUT, str(error))
            return
        except OcrFailed as error:
            log.error("event=ocr_failed job=%d user=%d error=%s", job.id, job.user_id, error)
            await self._fail(job, messages.ENGINE_FAILED, str(error))
            return
        except TelegramError as error:
            log.warning("event=download_failed job=%d user=%d error=%s", job.id, job.user_id, error)
            await self._fail(job, messages.DOWNLOAD_FAILED, str(error))
            return
        except Exception as error:  # e.g. the engine unusable in a worker: report, don't vanish
            log.exception("event=ocr_error job=%d user=%d", job.id, job.user_id)
            await self._fail(job, messages.ENGINE_FAILED, f"{type(error).__name__}: {error}")
            return

        drafts = classify(outcome.lines, threshold / 100)
        note = await self.storage.create_note(
            user_id=job.user_id,
            chat_id=job.chat_id,
            lines=drafts,
            file_unique_id=job.file_unique_id,
            engine_mode="trial" if outcome.trial else "licensed",
            job_id=job.id,
        )
        log.info(
            "event=note_created job=%d user=%d note=%d lines=%d pending=%d model=%s ocr_s=%.2f",
            job.id,
            job.user_id,
            note.id,
            len(note.lines),
            len(note.pending_lines),
            outcome.model,
            outcome.elapsed_s,
        )
        await self._deliver(job, note, trial=outcome.trial)

    async def _download(self, job: Job) -> bytes:
        if job.file_size is not None and job.file_size > self.settings.max_file_bytes:
            raise ImageRejected(messages.TOO_BIG)
        telegram_file = await self.bot.get_file(job.file_id)
        if telegram_file.file_size and telegram_file.file_size > self.settings.max_file_bytes:
            raise ImageRejected(messages.TOO_BIG)
        return bytes(await telegram_file.download_as_bytearray())

    async def _deliver(self, job: Job, note: Note, *, trial: bool) -> None:
        """Show the result in the status message and one review message per pending line."""
        text = messages.ocr_result(note, trial=trial)
        await self._show_status(job, text)
        if trial and await self.storage.claim_trial_notice(job.user_id):
            await self.bot.send_message(job.chat_id, messages.TRIAL_NOTICE)
        for line in note.pending_lines:
            if line.review_message_id is not None:
                continue  # already sent before a restart
            sent = await self.bot.send_message(
                job.chat_id,
                messages.review_prompt(line),
                parse_mode=ParseMode.HTML,
                reply_markup=review_keyboard(self.signer, job.user_id, line),
            )
            await self.storage.set_review_message(job.user_id, line.id, sent.message_id)
        await self.storage.mark_job_done(job.id)

    async def _show_status(self, job: Job, text: str) -> None:
        if job.status_message_id is not None:
            try:
                await self.bot.edit_message_text(
                    text,
                    chat_id=job.chat_id,
                    message_id=job.status_message_id,
                    parse_mode=ParseMode.HTML,
                )
                return
            except BadRequest as error:
                if "not modified" in str(error).lower():
                    return
                log.info("event=status_edit_failed job=%d error=%s", job.id, error)
        await self.bot.send_message(job.chat_id, text, parse_mode=ParseMode.HTML)

    async def _fail(self, job: Job, user_text: str, reason: str) -> None:
        await self.storage.fail_job(job.id, reason)
        await self._show_status(job, messages.esc(user_text))

    async def _typing(self, chat_id: int) -> None:
        try:
            await self.bot.send_chat_action(chat_id, ChatAction.TYPING)
        except TelegramError as error:
            log.debug("event=chat_action_failed error=%s", error)
