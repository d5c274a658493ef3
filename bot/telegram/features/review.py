"""Reviewing unsure lines: the prompts with Keep / Retype / Drop, the presses, and the retyped
text that replaces a line (sent after Retype, or as a reply to a line's prompt)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot.config import Settings
from bot.domain import messages
from bot.domain.i18n import Translator
from bot.domain.models import Line, MessageRef, Note, ReviewAction
from bot.domain.review import TextRejected, clean_retype
from bot.monitoring import REVIEW_OUTCOMES
from bot.ocr.backends.base import OcrBackend
from bot.ocr.contract import OcrFailed, OcrUnavailable
from bot.ocr.images.intake import ImageRejected
from bot.storage import AlreadyHandled, LineAlreadyResolved, LineNotFound, Storage
from bot.telegram.buttons import ButtonCodec, ButtonHandler, InvalidButton, Kind, LineRef, Press
from bot.telegram.chat import reply
from bot.telegram.context import BotContext, Services
from bot.telegram.delivery import edit_text, send_reply
from bot.telegram.features.editor import edit_keyboard
from bot.telegram.files import download
from bot.telegram.text import CAPTION_LIMIT, shorten_html

log = logging.getLogger(__name__)

ACTIONS = {
    Kind.KEEP: ReviewAction.KEEP,
    Kind.RETYPE: ReviewAction.RETYPE,
    Kind.DROP: ReviewAction.DROP,
}


def review_keyboard(
    buttons: ButtonCodec, user_id: int, t: Translator, line: Line
) -> InlineKeyboardMarkup:
    ref = LineRef(line.id)
    return InlineKeyboardMarkup(
        [
            [
                buttons.button(user_id, t(messages.KEEP_BUTTON), Kind.KEEP, ref),
                buttons.button(user_id, t(messages.RETYPE_BUTTON), Kind.RETYPE, ref),
                buttons.button(user_id, t(messages.DROP_BUTTON), Kind.DROP, ref),
            ]
        ]
    )


async def send_review_prompts(
    bot: Bot,
    storage: Storage,
    buttons: ButtonCodec,
    *,
    user_id: int,
    chat_id: int,
    lines: list[Line],
    t: Translator,
    pieces: Mapping[int, bytes] | None = None,
) -> None:
    """One prompt per line, each recorded on its line so a reply to it retypes that line.

    A line with its piece of the photo (`pieces`, by line id) is asked about as that photo with
    the prompt as its caption; one without (no box, or not cut) as text, and so is one whose
    photo Telegram refuses for good (a 400: it would refuse it again), so every line is asked.
    A passing fault is raised: the caller tries again later.
    """
    for line in lines:
        keyboard = review_keyboard(buttons, user_id, t, line)
        prompt = messages.review_prompt(t, line)
        piece = (pieces or {}).get(line.id)
        sent: Message | None = None
        if piece is not None:
            try:
                sent = await bot.send_photo(
                    chat_id,
                    piece,
                    caption=shorten_html(prompt, CAPTION_LIMIT),
                    parse_mode=ParseMode.HTML,
                    reply_markup=keyboard,
                )
            except BadRequest as error:
                log.warning(
                    "event=prompt_photo_refused user=%d line=%d error=%s", user_id, line.id, error
                )
        if sent is None:
            sent = await bot.send_message(
                chat_id, prompt, parse_mode=ParseMode.HTML, reply_markup=keyboard
            )
        await storage.notes.set_review_message(user_id, line.id, sent.message_id)


async def line_pieces(
    bot: Bot, ocr: OcrBackend, note: Note, lines: Sequence[Line]
) -> dict[int, bytes]:
    """The pieces of the photo for `lines` (by line id), cut again by a worker from the note's
    pages, downloaded by file_id: for prompts sent after a restart or by "Review pending
    lines". Best effort: a page that can't be had now gives text prompts, never no prompt."""
    wanted: dict[int, list[Line]] = {}
    for line in lines:
        if line.box is not None and 0 <= line.page < len(note.pages):
            wanted.setdefault(line.page, []).append(line)
    pieces: dict[int, bytes] = {}
    for page, page_lines in sorted(wanted.items()):
        try:
            image = await download(bot, note.pages[page].file_id)
            cut = await ocr.cut(image, [line.box for line in page_lines])
        except (TelegramError, OcrUnavailable, OcrFailed, ImageRejected) as error:
            log.warning("event=pieces_unavailable note=%d page=%d error=%s", note.id, page, error)
            continue
        pieces.update(
            (line.id, piece) for line, piece in zip(page_lines, cut, strict=False) if piece
        )
    return pieces


async def announce_if_complete(bot: Bot, settings: Settings, t: Translator, note: Note) -> None:
    if note.is_complete:
        keyboard = edit_keyboard(settings, t, note, note.chat_id)
        await send_reply(bot, note.chat_id, messages.note_complete(t, note), keyboard=keyboard)


async def on_review_button(press: Press, context: BotContext) -> None:
    """Keep / Retype / Drop on a line under review."""
    svc, t = context.services, press.t
    action = ACTIONS[press.kind]
    line_id = press.args(LineRef).line_id
    try:
        if action is ReviewAction.RETYPE:
            line = await svc.storage.users.await_retype(press.user_id, line_id, press.chat_id)
            await press.show(
                messages.retype_request(t, line),
                review_keyboard(svc.buttons, press.user_id, t, line),
                toast=t(messages.SEND_CORRECTION),
            )
            return
        line, note = await svc.storage.resolve_line(press.user_id, line_id, action)
    except LineNotFound:
        await press.refuse_stale()
        return
    except LineAlreadyResolved as resolved:
        await press.show(messages.review_done(t, resolved.line), toast=t(messages.ALREADY_RESOLVED))
        return
    log.info("event=line_reviewed user=%d line=%d action=%s", press.user_id, line_id, action)
    REVIEW_OUTCOMES.labels(action=action, via="chat").inc()
    toast = messages.KEPT if action is ReviewAction.KEEP else messages.DROPPED
    await press.show(messages.review_done(t, line), toast=t(toast))
    await announce_if_complete(context.bot, context.services.settings, t, note)


BUTTONS: dict[Kind, ButtonHandler] = {kind: on_review_button for kind in ACTIONS}


def _line_id_from_buttons(buttons: ButtonCodec, message: Message, user_id: int) -> int | None:
    """The line a review message asks about, read from its signed buttons (None if it has
    none, or they were not issued to this user)."""
    markup = message.reply_markup
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            data = button.callback_data
            try:
                kind, payload = buttons.decode(user_id, data if isinstance(data, str) else None)
            except InvalidButton:
                continue
            if kind in ACTIONS and isinstance(payload, LineRef):
                return payload.line_id
    return None


async def retype_target(svc: Services, message: Message, user_id: int) -> Line | None:
    """The line a text retypes: the one whose review message it replies to, else the one the
    user pressed Retype on."""
    replied = message.reply_to_message
    if replied is not None:
        line = await svc.storage.notes.line_by_review_message(
            user_id, message.chat_id, replied.message_id
        )
        if (
            line is None
            and (line_id := _line_id_from_buttons(svc.buttons, replied, user_id)) is not None
        ):
            # Sent, but not yet (or, after a crash, never) recorded as the line's message.
            line = await svc.storage.notes.line(user_id, line_id)
        if line is not None:
            return line
    return await svc.storage.users.retype_target(user_id, message.chat_id)


def message_ref(message: Message) -> MessageRef:
    return MessageRef(message.chat_id, message.message_id)


async def retype(
    context: BotContext, message: Message, user_id: int, t: Translator, line: Line
) -> None:
    """Store the message's text as the line's, and say so where the user is looking."""
    svc = context.services
    try:
        text = clean_retype(message.text)
        line, note = await svc.storage.resolve_line(
            user_id, line.id, ReviewAction.RETYPE, text, source=message_ref(message)
        )
    except AlreadyHandled:
        log.info("event=message_already_handled user=%d line=%d", user_id, line.id)
        return
    except TextRejected as rejected:
        await reply(message, messages.esc(messages.refusal(t, rejected.reason)))
        return
    except LineAlreadyResolved as resolved:
        await reply(message, messages.review_done(t, resolved.line))
        return
    except LineNotFound:
        await reply(message, t(messages.NOTHING_TO_RETYPE))
        return
    log.info("event=line_reviewed user=%d line=%d action=retype", user_id, line.id)
    REVIEW_OUTCOMES.labels(action=ReviewAction.RETYPE, via="chat").inc()
    if line.review_message_id is not None:
        await edit_text(
            context.bot, message.chat_id, line.review_message_id, messages.review_done(t, line)
        )
    await reply(message, messages.line_saved(t, line, note))
    await announce_if_complete(context.bot, context.services.settings, t, note)
