"""What users set for themselves (the language the bot speaks, the OCR language, the
threshold) and what administrators see (/stats)."""

from __future__ import annotations

from bot.domain.i18n import N_, Translator
from bot.domain.languages import label
from bot.domain.messages.common import esc
from bot.domain.metrics import DurationSummary

LANGUAGE_UNKNOWN = N_("I don't know that language. Choose one from the list:")
LANGUAGES_UNAVAILABLE = N_(
    "Sorry, I can't get the engine's language list right now. Try again later."
)
LANGUAGE_CHECK_UNAVAILABLE = N_("Sorry, I can't check that language right now. Try again later.")
THRESHOLD_USAGE = N_(
    "Send a percentage from 0 to 100, e.g. <code>/threshold 60</code>, "
    "or <code>/threshold default</code>."
)
ALL_LANGUAGES = N_("All languages »")
USE_DEFAULT_LANGUAGE = N_("Use the default")
FOLLOW_TELEGRAM = N_("Follow my Telegram language")

# --- the interface language: /settings ---


def settings_menu(
    t: Translator, *, chosen: bool, ocr_language: str, threshold: float, prefix: str = ""
) -> str:
    """/settings: the language the bot speaks (chosen, or Telegram's), and the other settings."""
    if chosen:
        speaking = t.gettext("I speak to you in <b>{language}</b> (your choice).", language=t.name)
    else:
        speaking = t.gettext(
            "I speak to you in <b>{language}</b> (from your Telegram language).",
            language=t.name,
        )
    others = t.gettext(
        "I read your photos as <b>{ocr}</b> (/lang) and accept a line on its own when I'm at "
        "least <b>{threshold}</b> sure (/threshold).",
        ocr=esc(label(ocr_language, t)),
        threshold=t.percent(threshold / 100, decimals=True),
    )
    title = t.gettext("⚙️ <b>Settings</b>")
    choose = t.gettext("Choose the language I speak:")
    return f"{prefix}{title}\n{speaking}\n{others}\n\n{choose}"


def interface_set(t: Translator) -> str:
    """Said in the newly chosen language."""
    return t.gettext("✅ From now on I speak {language}.", language=t.name) + "\n\n"


# --- the OCR language: /lang ---


def language_menu(t: Translator, current: str, default: str) -> str:
    if current == default:
        reading = t.gettext(
            "🌐 I read your photos as <b>{language}</b> (the default).",
            language=esc(label(current, t)),
        )
    else:
        reading = t.gettext(
            "🌐 I read your photos as <b>{language}</b> (default: {default}).",
            language=esc(label(current, t)),
            default=esc(label(default, t)),
        )
    choose = t.gettext("Choose another:")
    hint = t.gettext("<i>The language I speak to you is in /settings.</i>")
    return f"{reading} {choose}\n{hint}"


def language_set(t: Translator, code: str) -> str:
    return t.gettext(
        "🌐 From now on I read your photos as <b>{language}</b>.", language=esc(label(code, t))
    )


def language_unavailable(t: Translator, code: str) -> str:
    return t.gettext(
        "Reading {language} needs an extra OCR model that this server's engine doesn't have "
        "(and can't download here). Please choose another language with /lang.",
        language=esc(label(code, t)),
    )


# --- /threshold ---


def threshold_status(t: Translator, current: float, default: float, is_default: bool) -> str:
    value = t.percent(current / 100, decimals=True)
    if is_default:
        status = t.gettext(
            "🎚 I accept a line on its own when I'm at least <b>{value}</b> sure (the default).",
            value=value,
        )
    else:
        status = t.gettext(
            "🎚 I accept a line on its own when I'm at least <b>{value}</b> sure "
            "(default {default}).",
            value=value,
            default=t.percent(default / 100, decimals=True),
        )
    return (
        status
        + "\n"
        + t.gettext(
            "Lower lines wait for your review. Change it with <code>/threshold 60</code> "
            "or <code>/threshold default</code>."
        )
    )


def threshold_set(t: Translator, value: float) -> str:
    return t.gettext(
        "🎚 Done: I'll accept lines I'm at least <b>{value}</b> sure of; the rest I'll ask you.",
        value=t.percent(value / 100, decimals=True),
    )


# --- /stats (administrators) ---


def _seconds(t: Translator, value: float | None) -> str:
    if value is None:
        return "–"
    return t.gettext("{value} s", value=t.number(value, "0.00"))


def stats(
    t: Translator,
    counts: dict[str, int],
    *,
    in_flight: int,
    workers: int,
    waiting: DurationSummary,
    reading: DurationSummary,
    engine: str,
    licensed: bool | None,
    warm_up_s: float | None,
    uptime_s: float,
    queue: str = "",
) -> str:
    """`queue` is `ocr_queue(...)`'s line when OCR goes through a task queue."""
    n = t.number
    return "\n".join(
        [
            t.gettext("📊 <b>Bot statistics</b>"),
            t.gettext("Users: {count}", count=n(counts["users"])),
            t.gettext(
                "Notes: {notes} ({lines} lines)", notes=n(counts["notes"]), lines=n(counts["lines"])
            ),
            t.gettext(
                "Photos waiting or running: {jobs} (OCR calls in flight: {calls} on {workers} "
                "worker(s))",
                jobs=n(counts["unfinished_jobs"]),
                calls=n(in_flight),
                workers=n(workers),
            ),
            *([queue] if queue else []),
            t.gettext(
                "OCR over the last {count} images: waiting p50 {wait_p50}, p95 {wait_p95}; "
                "reading p50 {read_p50}, p95 {read_p95}",
                count=n(reading.count),
                wait_p50=_seconds(t, waiting.p50),
                wait_p95=_seconds(t, waiting.p95),
                read_p50=_seconds(t, reading.p50),
                read_p95=_seconds(t, reading.p95),
            ),
            t.gettext(
                "Engine: {engine}; warm-up {seconds}",
                engine=engine_name(t, engine, licensed),
                seconds=_seconds(t, warm_up_s),
            ),
            t.gettext("Uptime: {hours} h", hours=n(uptime_s / 3600, "0.0")),
        ]
    )


def engine_name(t: Translator, engine: str, licensed: bool | None) -> str:
    """The OCR engine and, for Aspose, its mode: "RapidOCR", "Aspose (trial)"…"""
    if engine == "rapidocr":
        return "RapidOCR"  # free: it has no license, nor a trial mode
    if licensed is None:
        return t.gettext("Aspose (mode not known yet)")
    return t.gettext("Aspose (licensed)") if licensed else t.gettext("Aspose (trial)")


def ocr_queue(t: Translator, queued: int | None, worker_names: tuple[str, ...]) -> str:
    """The task queue's line in /stats: tasks waiting in Redis and the workers that answered."""
    if queued is None:
        return t.gettext("OCR queue: <b>Redis unreachable</b>")
    names = ", ".join(esc(name) for name in worker_names) or t.gettext("none answered")
    return t.gettext(
        "OCR queue: {count} waiting in Redis; workers: {names}", count=t.number(queued), names=names
    )
