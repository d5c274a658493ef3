"""End to end in two languages: the real Application over HTTP against the fake Bot API, real
SQLite and the real engine. A user whose Telegram app speaks Vietnamese gets the bot in
Vietnamese (and their photos read as Vietnamese), an English one stays in English, a choice made
in /settings wins and survives a restart, and each language has its command menu."""

from __future__ import annotations

import logging

import pytest

from bot.domain import messages
from bot.domain.i18n import Catalogs
from tests.support.fake_telegram import FakeTelegram, buttons, shown
from tests.support.images import UNSURE_LINES, render_note
from tests.support.running import running_bot

pytestmark = pytest.mark.asyncio
ALICE, LAN = 1001, 4004  # Alice's Telegram app is in English, Lan's in Vietnamese
OCR_TIMEOUT = 90.0


def plain(message: dict) -> str:
    return shown(message)


def labels(message: dict) -> list[str]:
    return [text for text, _ in buttons(message)]


async def command(telegram: FakeTelegram, user_id: int, text: str, expect: str) -> dict:
    sent = telegram.send_text(user_id, text)
    return await telegram.wait_for_message(
        user_id, lambda m: expect in plain(m), after=sent["message_id"]
    )


async def press(telegram: FakeTelegram, user_id: int, message: dict, label: str) -> dict:
    data = next(data for text, data in buttons(message) if label in text)
    query = telegram.press_button(user_id, message, data)
    return await telegram.wait_for_callback_answer(query["id"])


def current(telegram: FakeTelegram, message: dict) -> dict:
    chat = message["chat"]["id"]
    return next(m for m in telegram.bot_messages(chat) if m["message_id"] == message["message_id"])


async def edited(telegram: FakeTelegram, message: dict, expect: str) -> dict:
    def check() -> dict | None:
        now = current(telegram, message)
        return now if expect in plain(now) else None

    return await telegram.wait_for(check)


async def photo_review(telegram: FakeTelegram, user_id: int, note_word: str, line_word: str):
    """Send the unsure photo; (status texts, result message, first review message)."""
    photo = telegram.send_photo(user_id, render_note(UNSURE_LINES))
    result = await telegram.wait_for_message(
        user_id, lambda m: f"{note_word} #" in plain(m), timeout=OCR_TIMEOUT
    )
    review = await telegram.wait_for_message(
        user_id, lambda m: plain(m).startswith(f"❓ {line_word} "), timeout=OCR_TIMEOUT
    )
    statuses = [
        p["text"]
        for m, p in telegram.requests
        if m == "sendMessage"
        and p.get("chat_id") == user_id
        and str(p.get("reply_to_message_id")) == str(photo["message_id"])
    ]
    return statuses, result, review


async def test_vietnamese_user_gets_vietnamese_and_english_user_english(
    telegram, settings_for, ocr_pool, caplog
):
    telegram.user(ALICE, "Alice", language_code="en")
    telegram.user(LAN, "Lan", language_code="vi")
    with caplog.at_level(logging.INFO):
        async with running_bot(settings_for(telegram), ocr_pool):
            help_vi = await command(telegram, LAN, "/help", "Các lệnh")
            help_en = await command(telegram, ALICE, "/help", "Commands")
            vi_status, vi_result, vi_review = await photo_review(telegram, LAN, "Ghi chú", "Dòng")
            en_status, en_result, en_review = await photo_review(telegram, ALICE, "Note", "Line")
            toast = await press(telegram, LAN, vi_review, "Gõ lại")
            prompt = await edited(telegram, vi_review, "Hãy gửi tôi nội dung đúng")
            lang_vi = await command(telegram, LAN, "/lang", "Chọn ngôn ngữ khác")
            notes_vi = await command(telegram, LAN, "/notes", "Ghi chú của bạn")
            unknown = await command(telegram, LAN, "/frobnicate", "Tôi không biết lệnh này")

    assert "/settings — ngôn ngữ tôi dùng để nói với bạn" in plain(help_vi)
    assert "@fake_test_bot" in plain(help_vi)  # inline mode, with the bot's own name
    assert "Commands" not in plain(help_vi)
    assert "Các lệnh" not in plain(help_en)
    assert vi_status == ["🔎 Đang nhận dạng ghi chú của bạn…"]
    assert en_status == ["🔎 Recognizing your notes…"]
    assert "dòng cần bạn duyệt ở bên dưới" in plain(vi_result)
    # Where its confidence came from, in Vietnamese: cross-checked, or estimated for a line
    # the engine gave no place for.
    assert "(đã đối chiếu)" in plain(vi_review) or "(ước tính)" in plain(vi_review)
    assert labels(vi_review) == ["Giữ", "Gõ lại", "Bỏ"]
    assert labels(en_review) == ["Keep", "Retype", "Drop"]
    assert "line" in plain(en_result)
    assert "review" in plain(en_result)
    assert toast.get("text") == "Hãy gửi tôi nội dung đúng."
    assert "hoặc /cancel" in plain(prompt)
    # Lang's photos are read as Vietnamese by default, Alice's as OCR_LANGUAGE (English).
    assert "Tiếng Việt (VIE)</b> (mặc định)" in lang_vi["text"]
    assert {"Tiếng Đức", "Tất cả ngôn ngữ »", "Dùng mặc định"} <= set(labels(lang_vi))
    ocr_done = [r.getMessage() for r in caplog.records if "event=ocr_done" in r.getMessage()]
    assert any(f"user={LAN} " in line and "language=VIE" in line for line in ocr_done), ocr_done
    assert any(f"user={ALICE} " in line and "language=ENG" in line for line in ocr_done), ocr_done
    assert "thg" in plain(notes_vi)  # the date, in Vietnamese
    assert "/help" in plain(unknown)
    untranslated = [r.getMessage() for r in caplog.records if "untranslated" in r.getMessage()]
    assert untranslated == []


async def test_choosing_a_language_wins_and_survives_a_restart(telegram, settings_for, ocr_pool):
    telegram.user(LAN, "Lan", language_code="vi")
    settings = settings_for(telegram)
    async with running_bot(settings, ocr_pool) as app:
        menu = await command(telegram, LAN, "/settings", "Cài đặt")
        answer = await press(telegram, LAN, menu, "English")
        switched = await edited(telegram, menu, "From now on I speak English")
        stored = (await app.bot_data.services.storage.users.settings(LAN)).interface_language
        own_menu = await telegram.wait_for(lambda: telegram.command_menus.get((f"chat:{LAN}", "")))

    async with running_bot(settings, ocr_pool) as app:
        after_restart = await command(telegram, LAN, "/help", "Commands")
        menu_again = await command(telegram, LAN, "/settings", "Settings")
        await press(telegram, LAN, menu_again, "Follow my Telegram language")
        back = await edited(telegram, menu_again, "Từ giờ tôi sẽ nói Tiếng Việt")
        await telegram.wait_for(lambda: (f"chat:{LAN}", "") not in telegram.command_menus)
        menu_after = telegram.menu("vi", chat_id=LAN)
        reset = (await app.bot_data.services.storage.users.settings(LAN)).interface_language
        # Following Telegram: when the app's language changes, so does the bot's.
        telegram.set_language(LAN, "en-US")
        english_app = await command(telegram, LAN, "/cancel", "nothing to cancel")

    assert "Tiếng Việt" in labels(menu)
    assert "English" in labels(menu)
    assert "✓ Theo ngôn ngữ Telegram của tôi" in labels(menu)
    assert answer.get("text") is None
    assert "(your choice)" in plain(switched)
    assert "✓ English" in labels(switched)
    assert stored == "en"
    assert next(c["description"] for c in own_menu) == "Your notes, newest first"
    assert "/settings — the language I speak to you" in plain(after_restart)
    assert "(your choice)" in plain(menu_again)
    assert "(theo ngôn ngữ Telegram của bạn)" in plain(back)
    assert reset is None
    assert next(c["description"] for c in menu_after) == "Ghi chú của bạn, mới nhất trước"
    assert plain(english_app) == "There's nothing to cancel."


async def test_command_menu_is_set_for_each_language(telegram, settings_for, ocr_pool):
    async with running_bot(settings_for(telegram), ocr_pool):
        await telegram.wait_for(lambda: ("default", "vi") in telegram.command_menus)
    catalogs = Catalogs.load()
    english = telegram.command_menus[("default", "")]
    assert telegram.commands == english
    for code in catalogs.codes:
        menu = telegram.command_menus[("default", "" if code == "en" else code)]
        t = catalogs.get(code)
        assert menu == [
            {"command": name, "description": t(description)}
            for name, description in messages.COMMANDS
        ]
    vietnamese = telegram.command_menus[("default", "vi")]
    assert [c["command"] for c in vietnamese] == [c["command"] for c in english]
    assert "settings" in [c["command"] for c in english]
    assert vietnamese[0]["description"] == "Ghi chú của bạn, mới nhất trước"
    assert telegram.menu("vi") == vietnamese
    assert telegram.menu("de") == english  # no German catalog: the default menu


VIETNAMESE = ["Tiếng Việt có dấu", "Nhớ tưới cây", "Đi chợ sáng mai"]


def first_line(result: dict) -> str:
    return plain(result).split("\n")[1]


async def test_a_vietnamese_users_photos_are_read_as_vietnamese_until_lang_says_otherwise(
    telegram, settings_for, ocr_pool
):
    """The engine's Vietnamese model keeps (some of) the diacritics the English one drops: the
    same photo comes back with them for Lan, without them for Alice, and without them for Lan
    once she chose English with /lang."""
    telegram.user(ALICE, "Alice", language_code="en")
    telegram.user(LAN, "Lan", language_code="vi")

    async def read(user_id: int, size: int, word: str) -> str:
        sent = telegram.send_photo(user_id, render_note(VIETNAMESE, size=size))
        result = await telegram.wait_for_message(
            user_id,
            lambda m: f"{word} #" in plain(m),
            after=sent["message_id"],
            timeout=OCR_TIMEOUT,
        )
        return first_line(result)

    async with running_bot(settings_for(telegram, confidence_threshold=0), ocr_pool):
        lan_default = await read(LAN, 40, "Ghi chú")
        alice_default = await read(ALICE, 40, "Note")
        await command(telegram, LAN, "/lang eng", "Tiếng Anh (ENG)")
        lan_english = await read(LAN, 44, "Ghi chú")  # another size: not a duplicate photo

    assert not lan_default.isascii(), lan_default  # e.g. 'Tiêng Viêt co dâu'
    assert alice_default.isascii(), alice_default  # 'Tieng Viet co dau'
    assert lan_english.isascii(), lan_english
    assert lan_default.startswith("Ti")
