"""Photos refused because too many wait already, told without a burst of messages.

Thirty photos sent at once with three allowed to wait would give 27 refusals. Each refused
photo is marked on itself instead (the bot's reaction, `messages.REFUSED_MARK`), and one
notice, a reply to the first of them, says how many were not taken and why; it is edited as
more of the same burst are refused. The user resends the marked photos. Where Telegram won't
take the reaction (a group whose admins turned reactions off), that photo gets its own refusal
as a reply to it, so a refused photo is always pointed at.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from telegram import Message
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.domain import messages
from bot.telegram.delivery import edit_text

log = logging.getLogger(__name__)

BURST_GAP_S = 10.0  # a refusal this long after the last one starts a new notice


@dataclass
class _Burst:
    reason: str
    first_photo: int  # the message id of the first refused photo: the notice replies to it
    last_at: float
    photos: set[int] = field(default_factory=set)  # refused photos' message ids
    shown: int = 0  # how many the notice says
    notice_id: int | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class RefusedPhotos:
    """The refusal notices of each (chat, user), one per burst of refused photos."""

    def __init__(self) -> None:
        self._bursts: dict[tuple[int, int], _Burst] = {}

    async def refuse(
        self, photo: Message, user_id: int, reason: str, wording: Callable[[int], str]
    ) -> None:
        """Tell the user that `photo` was not taken for `reason`; `wording(count)` words the
        notice for `count` refused photos (1: this one)."""
        if not await _mark(photo):
            await reply_to(photo, wording(1))
            return
        now = time.monotonic()
        self._forget_old(now)
        key = (photo.chat_id, user_id)
        burst = self._bursts.get(key)
        if burst is None or burst.reason != reason:
            burst = self._bursts[key] = _Burst(reason, photo.message_id, now)
        burst.last_at = now
        burst.photos.add(photo.message_id)  # a photo delivered twice is counted once
        async with burst.lock:  # one send or edit at a time; later refusals fold into it
            count = len(burst.photos)
            if burst.shown == count:
                return  # a refusal waiting before this one said it already
            text = wording(count)
            if burst.notice_id is None or not await edit_text(
                photo.get_bot(), photo.chat_id, burst.notice_id, text
            ):
                sent = await photo.get_bot().send_message(
                    photo.chat_id,
                    text,
                    parse_mode=ParseMode.HTML,
                    reply_to_message_id=burst.first_photo,
                    allow_sending_without_reply=True,
                )
                burst.notice_id = sent.message_id
            burst.shown = count

    def _forget_old(self, now: float) -> None:
        for key in [k for k, burst in self._bursts.items() if now - burst.last_at > BURST_GAP_S]:
            del self._bursts[key]


async def _mark(photo: Message) -> bool:
    """Put the refusal mark on the photo; False if Telegram won't take it here."""
    try:
        await photo.set_reaction(messages.REFUSED_MARK)
    except BadRequest as error:  # reactions turned off in this chat, or not allowed here
        log.info("event=refusal_mark_refused chat=%d error=%s", photo.chat_id, error)
        return False
    return True


async def reply_to(message: Message, text: str) -> Message:
    """`text` as a reply to `message` itself, so the user sees which of theirs it is about
    (sent anyway if that message was deleted meanwhile)."""
    return await message.reply_text(
        text, parse_mode=ParseMode.HTML, do_quote=True, allow_sending_without_reply=True
    )
