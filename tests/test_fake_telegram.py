"""The fake Bot API driven by the real python-telegram-bot: e2e tests rely on all of this."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from PIL import Image
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
    WebAppInfo,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.support.fake_telegram import FakeTelegram, buttons, web_app_url

pytestmark = pytest.mark.asyncio
ALICE, BOB = 1001, 2002


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Echo text; answer a photo or document with its content; offer a button on "/menu"."""
    message = update.effective_message
    assert message is not None
    if message.photo:
        data = await (await message.photo[-1].get_file()).download_as_bytearray()
        context.bot_data["photo"] = bytes(data)
        await message.reply_text(f"photo of {len(data)} bytes")
    elif message.document:
        data = await (await message.document.get_file()).download_as_bytearray()
        await message.reply_text(f"document {message.document.file_name}: {bytes(data)!r}")
    elif message.text == "/menu":
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Keep", callback_data="keep:1")]])
        await message.reply_text("<b>Menu</b>", parse_mode=ParseMode.HTML, reply_markup=keyboard)
    elif message.text:
        await message.reply_text(f"echo: {message.text}", do_quote=True)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    assert query.message is not None
    await query.answer(f"got {query.data}")
    await query.edit_message_text(f"chosen: {query.data} (was {query.message.text})")


@asynccontextmanager
async def running(tg: FakeTelegram) -> AsyncIterator[Application]:
    app = (
        ApplicationBuilder()
        .token(tg.token)
        .base_url(tg.base_url)
        .base_file_url(tg.base_file_url)
        .build()
    )
    app.add_handler(MessageHandler(filters.ALL, echo))
    app.add_handler(CallbackQueryHandler(on_button))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.asyncio
async def test_text_round_trip_and_offset_confirmation(tg: FakeTelegram):
    async with running(tg):
        sent = tg.send_text(ALICE, "hello")
        reply = await tg.wait_for_message(ALICE, lambda m: m["text"].startswith("echo"))
        await tg.wait_for(lambda: tg.last_update_id_confirmed >= 1)
    assert reply["text"] == "echo: hello"
    assert reply["reply_to_message"]["message_id"] == sent["message_id"]
    assert reply["message_id"] > sent["message_id"]
    assert ("getMe", {}) in tg.requests
    (params,) = [p for m, p in tg.requests if m == "sendMessage"]
    assert params["chat_id"] == ALICE
    assert params["reply_to_message_id"] == sent["message_id"]


@pytest.mark.asyncio
async def test_photo_download_gives_the_same_bytes(tg: FakeTelegram):
    data = png(640, 480)
    async with running(tg) as app:
        message = tg.send_photo(ALICE, data, caption="page 1")
        await tg.wait_for_message(ALICE, lambda m: "photo of" in m["text"])
    assert app.bot_data["photo"] == data
    largest = message["photo"][-1]
    assert (largest["width"], largest["height"]) == (640, 480)
    assert len(message["photo"]) == 3
    assert largest["width"] > message["photo"][0]["width"]
    assert tg.add_file(data)[1] == largest["file_unique_id"]  # same bytes, same unique id
    (file_params,) = [p for m, p in tg.requests if m == "getFile"]
    assert file_params["file_id"] == largest["file_id"]


@pytest.mark.asyncio
async def test_button_press_is_answered_and_edits_the_message(tg: FakeTelegram):
    async with running(tg):
        tg.send_text(ALICE, "/menu")
        menu = await tg.wait_for_message(ALICE, lambda m: buttons(m))
        assert buttons(menu) == [("Keep", "keep:1")]
        assert menu["text"] == "<b>Menu</b>"
        assert menu["text_plain"] == "Menu"
        query = tg.press_button(ALICE, menu, "keep:1")
        answer = await tg.wait_for_callback_answer(query["id"])
        edited = await tg.wait_for_message(ALICE, lambda m: m["text"].startswith("chosen"))
    assert answer["text"] == "got keep:1"
    assert edited["message_id"] == menu["message_id"]
    # The bot saw the plain text, as real Telegram sends it, and the edit removed the keyboard.
    assert edited["text"] == "chosen: keep:1 (was Menu)"
    assert not buttons(edited)
    assert tg.edits[-1]["old_text"] == "<b>Menu</b>"
    with pytest.raises(ValueError, match="no button"):
        tg.press_button(ALICE, edited, "keep:1")


@pytest.mark.asyncio
async def test_telegram_limits_are_enforced(tg: FakeTelegram):
    tg.send_text(ALICE, "hi")  # the chat must exist before the bot can write to it
    async with running(tg) as app:
        bot = app.bot
        with pytest.raises(BadRequest, match="too long"):
            await bot.send_message(ALICE, "x" * 4097)
        await bot.send_message(ALICE, "x" * 4096)
        with pytest.raises(BadRequest, match="text is empty"):
            await bot.send_message(ALICE, " ")
        too_long = InlineKeyboardButton("x", callback_data="é" * 32 + "a")  # 65 bytes
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            await bot.send_message(ALICE, "pick", reply_markup=InlineKeyboardMarkup([[too_long]]))
        with pytest.raises(BadRequest, match="parse entities"):
            await bot.send_message(ALICE, "<b>1 < 2</b>", parse_mode=ParseMode.HTML)
        with pytest.raises(BadRequest, match="parse entities"):
            await bot.send_message(ALICE, "<script>x</script>", parse_mode=ParseMode.HTML)
        with pytest.raises(BadRequest, match="parse entities"):
            await bot.send_message(ALICE, "<b>open", parse_mode=ParseMode.HTML)
        ok = await bot.send_message(ALICE, "<i>1 &lt; 2</i>", parse_mode=ParseMode.HTML)
        assert ok.text == "1 < 2"
        assert ok.entities[0].type == "italic"
        with pytest.raises(BadRequest, match="not implemented"):
            await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": ALICE})
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.send_message(BOB, "never wrote to the bot")


async def test_mini_app_buttons_need_https_and_a_private_chat(tg: FakeTelegram):
    tg.send_text(ALICE, "hi")
    tg.send_text(ALICE, "@fake_test_bot hi", chat_id=-42, chat_type="group")
    editor = InlineKeyboardButton("Edit", web_app=WebAppInfo("https://notes.example.test/?note=1"))
    plain = InlineKeyboardButton("Edit", web_app=WebAppInfo("http://notes.example.test/"))
    async with running(tg) as app:
        bot = app.bot
        sent = await bot.send_message(ALICE, "note", reply_markup=InlineKeyboardMarkup([[editor]]))
        with pytest.raises(BadRequest, match=r"(?i)button_type_invalid"):
            await bot.send_message(-42, "note", reply_markup=InlineKeyboardMarkup([[editor]]))
        with pytest.raises(BadRequest, match=r"(?i)button_url_invalid"):
            await bot.send_message(ALICE, "note", reply_markup=InlineKeyboardMarkup([[plain]]))
    stored = tg.find_bot_message(ALICE, lambda m: m["message_id"] == sent.message_id)
    assert web_app_url(stored) == "https://notes.example.test/?note=1"
    assert buttons(stored) == [("Edit", "https://notes.example.test/?note=1")]


@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # RetryAfter's own
async def test_429_injection_raises_retry_after(tg: FakeTelegram):
    tg.send_text(ALICE, "hi")
    async with running(tg) as app:
        tg.fail_next("sendMessage", retry_after=3)
        with pytest.raises(RetryAfter) as caught:
            await app.bot.send_message(ALICE, "first")
        assert "Retry in 3 seconds" in str(caught.value)
        await app.bot.send_message(ALICE, "second")
    assert [m["text"] for m in tg.bot_messages(ALICE)][-1] == "second"


@pytest.mark.asyncio
async def test_reactions_and_refusals_for_good(tg: FakeTelegram):
    """A bot reacts with one emoji of Telegram's list, where reactions are on; a 400 can be
    injected with Telegram's description (a refusal for good, unlike a 5xx)."""
    photo = tg.send_photo(ALICE, png(40, 40))
    tg.send_photo(BOB, png(40, 40), chat_id=-77)
    tg.no_reactions.add(-77)
    async with running(tg) as app:
        bot = app.bot
        assert await bot.set_message_reaction(ALICE, photo["message_id"], "👎")
        with pytest.raises(BadRequest, match=r"(?i)reaction_invalid"):
            await bot.set_message_reaction(ALICE, photo["message_id"], "🦆")
        with pytest.raises(BadRequest, match=r"(?i)reaction_invalid"):
            await bot.set_message_reaction(-77, 1, "👎")
        tg.fail_next("sendPhoto", count=1, status=400, description="PHOTO_INVALID_DIMENSIONS")
        with pytest.raises(BadRequest, match=r"(?i)photo_invalid_dimensions"):
            await bot.send_photo(ALICE, png(40, 40))
        await bot.send_photo(ALICE, png(40, 40))
        with pytest.raises(BadRequest, match=r"(?i)photo_invalid_dimensions"):
            await bot.send_photo(ALICE, png(2100, 100))  # 21:1
    stored = tg.message(ALICE, photo["message_id"])
    assert stored is not None
    assert stored["bot_reactions"] == ["👎"]
    assert len(tg.photos) == 1  # the one that went through
    assert len(tg.sent_at[ALICE]) == len(tg.bot_messages(ALICE))  # each message's time


@pytest.mark.asyncio
async def test_document_upload_is_stored(tg: FakeTelegram):
    tg.send_text(ALICE, "hi")
    async with running(tg) as app:
        await app.bot.send_document(ALICE, b"a,b\n1,2\n", filename="notes.csv", caption="all")
    (document,) = tg.documents
    assert document["data"] == b"a,b\n1,2\n"
    assert (document["chat_id"], document["filename"], document["caption"]) == (
        ALICE,
        "notes.csv",
        "all",
    )
    (message,) = [m for m in tg.bot_messages(ALICE) if "document" in m]
    assert message["document"]["file_name"] == "notes.csv"


@pytest.mark.asyncio
async def test_stopping_releases_a_waiting_long_poll():
    async with FakeTelegram() as tg:
        app = ApplicationBuilder().token(tg.token).base_url(tg.base_url).build()
        await app.initialize()
        poll = app.bot.get_updates(timeout=30, read_timeout=40)
        task = asyncio.create_task(poll)
        await tg.wait_for(lambda: any(m == "getUpdates" for m, _ in tg.requests))
        await tg.stop()
        assert await asyncio.wait_for(task, 5) == ()
        await app.shutdown()


@pytest.mark.asyncio
async def test_edits_documents_and_stale_calls(tg: FakeTelegram):
    async with running(tg) as app:
        sent = tg.send_text(ALICE, "first")
        await tg.wait_for_message(ALICE, lambda m: m["text"] == "echo: first")
        tg.send_edited_text(ALICE, sent["message_id"], "second")
        await tg.wait_for_message(ALICE, lambda m: m["text"] == "echo: second")
        tg.send_document(ALICE, b"hello", file_name="a.txt", mime_type="text/plain")
        await tg.wait_for_message(ALICE, lambda m: m["text"] == "document a.txt: b'hello'")

        tg.send_text(ALICE, "/menu")
        menu = await tg.wait_for_message(ALICE, lambda m: buttons(m))
        same = InlineKeyboardMarkup.de_json(menu["reply_markup"], app.bot)
        with pytest.raises(BadRequest, match="not modified"):
            await app.bot.edit_message_text(
                "<b>Menu</b>", ALICE, menu["message_id"], parse_mode="HTML", reply_markup=same
            )
        query = tg.press_button(ALICE, menu, "keep:1")
        await tg.wait_for_callback_answer(query["id"])
        with pytest.raises(BadRequest, match="uery is too old"):
            await app.bot.answer_callback_query(query["id"])
        await app.bot.delete_message(ALICE, sent["message_id"])
    assert (ALICE, sent["message_id"]) in tg.deleted


@pytest.mark.asyncio
async def test_webhook_style_updates_are_built_but_not_queued(tg: FakeTelegram):
    app = ApplicationBuilder().token(tg.token).base_url(tg.base_url).build()
    app.add_handler(MessageHandler(filters.ALL, echo))
    async with app:
        await app.bot.set_webhook("https://example.test/hook", secret_token="s3cret")
        assert tg.webhook == {"url": "https://example.test/hook", "secret_token": "s3cret"}
        update = tg.build_text_update(ALICE, "/start now")
        assert (await app.bot.get_webhook_info()).pending_update_count == 0
        assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
        await app.process_update(Update.de_json(update, app.bot))
        await tg.wait_for_message(ALICE, lambda m: m["text"] == "echo: /start now")
        await app.bot.delete_webhook()
    assert tg.webhook["url"] == ""


async def test_command_menus_per_scope_and_language(tg: FakeTelegram):
    async with running(tg) as app:
        bot = app.bot
        await bot.set_my_commands([BotCommand("notes", "Your notes")])
        await bot.set_my_commands([BotCommand("notes", "Ghi chú")], language_code="vi")
        await bot.set_my_commands([BotCommand("notes", "Mine")], scope=BotCommandScopeChat(ALICE))
        with pytest.raises(BadRequest, match="language code"):
            await bot.set_my_commands([BotCommand("notes", "x")], language_code="vi_VN")
        with pytest.raises(BadRequest, match=r"(?i)description_invalid"):
            await bot.set_my_commands([BotCommand("notes", "x" * 257)])
        vi = await bot.get_my_commands(language_code="vi")
        assert tg.menu("vi", chat_id=ALICE)[0]["description"] == "Mine"
        await bot.delete_my_commands(scope=BotCommandScopeChat(ALICE))
    assert vi[0].description == "Ghi chú"
    assert tg.commands == [{"command": "notes", "description": "Your notes"}]
    assert tg.menu("vi", chat_id=ALICE)[0]["description"] == "Ghi chú"
    assert tg.menu("de", chat_id=ALICE)[0]["description"] == "Your notes"


async def test_inline_query_answers_are_checked_and_rendered(tg: FakeTelegram):
    async with running(tg) as app:
        bot = app.bot

        def article(result_id: str, text: str) -> InlineQueryResultArticle:
            content = InputTextMessageContent(text, parse_mode=ParseMode.HTML)
            return InlineQueryResultArticle(result_id, "A title", content)

        query = tg.send_inline_query(ALICE, "milk")
        await bot.answer_inline_query(query["id"], [article("1", "<b>Milk</b> &amp; honey")])
        answer = await tg.wait_for_inline_answer(query["id"])
        with pytest.raises(BadRequest, match=r"(?i)query id is invalid"):  # answered already
            await bot.answer_inline_query(query["id"], [])
        second = tg.send_inline_query(ALICE, "x", offset="10")
        with pytest.raises(BadRequest, match=r"(?i)duplicate"):
            await bot.answer_inline_query(second["id"], [article("1", "a"), article("1", "b")])
        with pytest.raises(BadRequest, match="too long"):
            await bot.answer_inline_query(second["id"], [article("1", "x" * 4097)])
        with pytest.raises(BadRequest, match="parse entities"):
            await bot.answer_inline_query(second["id"], [article("1", "<b>open")])
    assert answer["results"][0]["input_message_content"]["text_plain"] == "Milk & honey"
    assert second["offset"] == "10"
    assert second["from"]["language_code"] == "en"
