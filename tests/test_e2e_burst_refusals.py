"""A burst of photos beyond what may wait (MAX_PENDING_PER_USER), through the real Application
and the fake Bot API: the user can tell which photos to send again, without a burst of
messages; each refused photo is pointed at (marked, or answered with a reply to it)."""

from __future__ import annotations

import re

import pytest

from tests.support.fake_telegram import FakeTelegram, shown
from tests.support.images import render_note
from tests.support.running import running_bot

pytestmark = pytest.mark.asyncio
MARK = "👎"  # the bot's reaction on a photo it did not take
ALICE = 9601
GROUP = -9677
OCR_TIMEOUT = 120.0


def photo(number: int) -> bytes:
    return render_note([f"Photo number {number}", "Lorem ipsum"], width=600)


def marked(telegram: FakeTelegram, chat_id: int, message: dict) -> bool:
    stored = telegram.message(chat_id, message["message_id"])
    return stored is not None and stored.get("bot_reactions") == [MARK]


async def test_thirty_photos_at_once_one_notice_and_each_refused_photo_marked(
    telegram, settings_for, ocr_pool
):
    """Issue 19.5: 30 photos at once, 3 may wait: every photo not taken carries the bot's 👎,
    and one notice (a reply to the first of them) says how many; every other photo is being
    read. Before: 27 identical messages, none a reply to its photo."""
    async with running_bot(settings_for(telegram, max_pending_per_user=3), ocr_pool) as app:
        sent = [telegram.send_photo(ALICE, photo(number)) for number in range(30)]
        storage = app.bot_data.services.storage

        async def taken() -> set[int]:
            jobs = [await storage.jobs.by_message(ALICE, m["message_id"]) for m in sent]
            return {m["message_id"] for m, job in zip(sent, jobs, strict=True) if job}

        def settled() -> bool:  # every photo answered one way or the other
            notices = [m for m in telegram.bot_messages(ALICE) if "marked" in shown(m)]
            refused = sum(marked(telegram, ALICE, m) for m in sent)
            named = [int(n) for m in notices for n in re.findall(r"the (\d+) photos", shown(m))]
            return refused > 0 and named == [refused]

        await telegram.wait_for(settled, timeout=30)
        accepted = await taken()
    refused = {m["message_id"] for m in sent if marked(telegram, ALICE, m)}
    assert refused == {m["message_id"] for m in sent} - accepted
    assert len(accepted) >= 3
    assert len(refused) >= 20
    (notice,) = [m for m in telegram.bot_messages(ALICE) if "marked" in shown(m)]
    assert notice["reply_to_message"]["message_id"] in refused
    assert f"I didn't take the {len(refused)} photos marked 👎." in shown(notice)
    assert "You already have 3 photos waiting" in shown(notice)
    again = [m for m in telegram.bot_messages(ALICE) if "waiting to be read" in shown(m)]
    assert again == [notice]  # no other refusal message


async def test_where_reactions_are_off_each_refused_photo_gets_a_reply(
    telegram, settings_for, ocr_pool
):
    """A group whose admins turned reactions off (Telegram answers REACTION_INVALID): each
    photo not taken gets its own refusal, as a reply to that photo."""
    telegram.no_reactions.add(GROUP)
    async with running_bot(settings_for(telegram, max_pending_per_user=1), ocr_pool):
        sent = [
            telegram.send_photo(ALICE, photo(number), chat_id=GROUP, caption="@fake_test_bot")
            for number in range(3)
        ]
        await telegram.wait_for(
            lambda: (
                len([m for m in telegram.bot_messages(GROUP) if "send this one" in shown(m)]) == 2
            ),
            timeout=OCR_TIMEOUT,
        )
    replies = [m for m in telegram.bot_messages(GROUP) if "send this one" in shown(m)]
    answered = sorted(m["reply_to_message"]["message_id"] for m in replies)
    assert len(set(answered)) == 2
    assert set(answered) < {m["message_id"] for m in sent}
    assert not any(marked(telegram, GROUP, m) for m in sent)
