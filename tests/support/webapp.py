"""Playing Telegram for the Mini App editor in a real browser: init data signed with the test
token, a stand-in for Telegram's `telegram-web-app.js` that records what the page does with
MainButton, BackButton, showConfirm, showAlert and close, and Debian's Chromium driven by
Playwright (never `playwright install`: that download is unreachable here)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from bot.web.init_data import sign
from tests.support.running import TOKEN

CHROMIUM = "/usr/bin/chromium"
# As root Chromium needs --no-sandbox; the rest keep it from reaching out on its own.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--disable-features=Translate,OptimizationHints,MediaRouter",
]
TELEGRAM_SCRIPT = "https://telegram.org/js/telegram-web-app.js"
STUB = Path(__file__).with_name("telegram_stub.js")
PHONE = {"width": 360, "height": 780}
LIGHT_THEME = {
    "bg_color": "#ffffff",
    "text_color": "#000000",
    "hint_color": "#707579",
    "link_color": "#2481cc",
    "button_color": "#2481cc",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#efeff3",
    "section_bg_color": "#ffffff",
    "destructive_text_color": "#d14e4e",
}
DARK_THEME = {
    "bg_color": "#212d3b",
    "text_color": "#ffffff",
    "hint_color": "#7d8b99",
    "link_color": "#5eb5f7",
    "button_color": "#5288c1",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#151e27",
    "section_bg_color": "#17212b",
    "destructive_text_color": "#ec3942",
}


def init_data(
    user_id: int,
    *,
    token: str = TOKEN,
    language_code: str = "en",
    auth_date: float | None = None,
) -> str:
    """Init data as Telegram gives a Mini App opened by `user_id`, signed with `token`."""
    user = {"id": user_id, "first_name": "Test", "language_code": language_code}
    fields = {
        "query_id": f"AAE{user_id}",
        "user": json.dumps(user, separators=(",", ":")),
        "auth_date": str(int(time.time() if auth_date is None else auth_date)),
    }
    return sign(token, fields)


def telegram_stub(data: str, theme: dict[str, str], *, dark: bool = False) -> str:
    """`telegram-web-app.js` for a test: `window.Telegram.WebApp` with `data` as initData and
    `theme` as themeParams; `window.__tg.calls` lists what the page asked of Telegram,
    `window.__tg.press("MainButton")` taps a button as the user would, and
    `window.__tg.confirmAnswer` is what showConfirm answers."""
    config = json.dumps({"initData": data, "themeParams": theme, "dark": dark})
    return STUB.read_text().replace("/*CONFIG*/", config)


def artifacts_dir() -> Path:
    """Where the browser tests write their screenshots (printed by the tests; not committed):
    $WEBAPP_ARTIFACTS, or test-artifacts/webapp under the repository."""
    folder = Path(
        os.environ.get("WEBAPP_ARTIFACTS")
        or Path(__file__).resolve().parents[2] / "test-artifacts" / "webapp"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def open_editor(
    browser: Any,
    url: str,
    local_origin: str,
    data: str,
    *,
    theme: dict[str, str] = LIGHT_THEME,
    dark: bool = False,
    browser_dark: bool = False,
) -> Any:
    """A phone-sized page at `url` (the Edit button's, under WEBAPP_URL): Telegram's script is
    the stub, and every request to WEBAPP_URL's origin is served by the bot's server at
    `local_origin` (as a TLS proxy in front of it would). `browser_dark` sets the browser's
    own preference, which the page must ignore."""
    from urllib.parse import urlsplit

    public = urlsplit(url)
    public_origin = f"{public.scheme}://{public.netloc}"
    context = await browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        color_scheme="dark" if browser_dark else "light",
        is_mobile=True,
        has_touch=True,
    )
    page = await context.new_page()
    stub = telegram_stub(data, theme, dark=dark)

    async def telegram(route: Any) -> None:
        await route.fulfill(body=stub, content_type="text/javascript")

    async def bot_server(route: Any) -> None:
        request_url = route.request.url.replace(public_origin, local_origin, 1)
        response = await route.fetch(url=request_url, max_redirects=0)
        await route.fulfill(response=response)

    await page.route(TELEGRAM_SCRIPT, telegram)
    await page.route(f"{public_origin}/**", bot_server)
    page.on("dialog", lambda dialog: page.dialogs.append(dialog.message))
    page.dialogs = []
    await page.goto(url)
    await page.wait_for_function(
        "() => ['ready', 'error'].includes(document.getElementById('app').dataset.state)"
    )
    return page


async def make_note(
    storage: Any,
    telegram: Any,
    user_id: int,
    lines: list[str],
    *,
    flagged: set[int] = frozenset(),
    title: str | None = None,
    chat_id: int | None = None,
) -> Any:
    """A note as the pipeline would store it for a photo of `lines` (rendered, registered with
    the fake Bot API as the note's page), each line outlined where it is drawn; the lines at
    the indexes in `flagged` wait for review. No OCR: for tests of what comes after."""
    from bot.domain.models import ConfidenceSource, LineDraft, LineState, Page
    from tests.support.images import line_boxes, render_note

    telegram.start_chat(user_id)  # the photo came from the user's chat with the bot
    file_id, _ = telegram.add_file(render_note(lines, fmt="JPEG"))
    drafts = [
        LineDraft(
            text,
            0.4 if index in flagged else 0.97,
            ConfidenceSource.CALIBRATED,
            LineState.PENDING if index in flagged else LineState.ACCEPTED,
            0,
            box,
        )
        for index, (text, box) in enumerate(zip(lines, line_boxes(lines), strict=True))
    ]
    return await storage.create_note(
        user_id=user_id,
        chat_id=user_id if chat_id is None else chat_id,
        lines=drafts,
        pages=[Page(file_id)],
        title=title,
    )


def metric_values(text: str) -> dict[str, float]:
    """Prometheus' text format as {'name{labels}': value}."""
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
