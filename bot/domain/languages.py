"""OCR language names (in the user's language) and the pages of the /lang picker, and which
OCR language an interface language suggests (no Telegram types here)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pycountry

from bot.domain.i18n import N_, SOURCE_LANGUAGE, Translator

# Shown first: the languages most people want, if the engine knows them.
COMMON = ("ENG", "DEU", "FRA", "SPA", "ITA", "POR", "NLD", "POL", "SWE", "TUR", "RUS", "UKR")
# Aspose's names for scripts and groups rather than single languages.
GROUPS = {
    "AUTO": N_("Detect automatically"),
    "CHINESE": N_("Chinese (any)"),
    "CYRILLIC": N_("Cyrillic scripts"),
    "DEVANAGARI": N_("Devanagari scripts"),
    "DOC": N_("Documents (generic)"),
    "EUROPEAN": N_("European languages"),
    "EXT_LATIN": N_("Extended Latin"),
    "INDIC": N_("Indic scripts"),
    "ISLAMIC": N_("Islamic scripts"),
    "LATIN": N_("Latin script"),
    "MLY": N_("Malay"),
    "MULTILANGUAGE": N_("Several languages"),
    "PERSO_ARABIC": N_("Perso-Arabic script"),
    "UNIVERSAL": N_("Universal"),
}
PER_PAGE = 18


@cache
def _iso(code: str) -> tuple[str, str] | None:
    """(the shortest ISO 639 code, the English name) of an Aspose code (ISO 639-3)."""
    found = pycountry.languages.get(alpha_3=code.lower())
    if found is None:
        return None
    short = getattr(found, "alpha_2", None) or code.lower()
    return str(short), str(found.name).split(" (")[0]


@cache
def _name(code: str, translator: Translator) -> str:
    code = code.upper()
    if code in GROUPS:
        return translator(GROUPS[code])
    iso = _iso(code)
    if iso is None:
        return code
    own = translator.language(iso[0])
    if own is None or translator.code == SOURCE_LANGUAGE:
        return iso[1]  # pycountry's English names are the ones /lang has always shown
    return own[:1].upper() + own[1:]


def language_name(code: str, t: Translator) -> str:
    """A readable name for an Aspose language code, in the user's language where Babel knows
    it (Vietnamese: "Tiếng Đức" for DEU), else in English."""
    return _name(code, t)


def label(code: str, t: Translator) -> str:
    return f"{language_name(code, t)} ({code})"


@dataclass(frozen=True)
class LanguagePage:
    codes: list[str]
    page: int
    pages: int


def language_page(available: list[str], page: int, t: Translator) -> LanguagePage:
    """Page 0 is the common languages; later pages list every language by name."""
    common = [code for code in COMMON if code in available]
    everything = sorted(available, key=lambda code: language_name(code, t).casefold())
    chunks = [common] + [
        everything[start : start + PER_PAGE] for start in range(0, len(everything), PER_PAGE)
    ]
    page = min(max(page, 0), len(chunks) - 1)
    return LanguagePage(chunks[page], page, len(chunks))


def any_language(text: str) -> str | None:
    """The code of a real language the user named ("russian", "rus"), whether or not the
    engine reads it, so a language the engine lacks is refused by name, not as "unknown"."""
    wanted = " ".join(text.split())
    if not wanted:
        return None
    try:
        found = pycountry.languages.lookup(wanted)
    except LookupError:
        return None
    if not getattr(found, "alpha_2", None):  # only major languages (ISO 639-1), not Klingon
        return None
    return str(found.alpha_3).upper()


def find_language(available: list[str], text: str, t: Translator) -> str | None:
    """The engine's code for what a user typed: a code (deu, DEU), or a name in their language
    or in English (German, Tiếng Đức)."""
    wanted = " ".join(text.split()).casefold()
    if not wanted:
        return None
    for code in available:
        if wanted == code.casefold():
            return code
    for code in available:
        english = _iso(code)
        names = {language_name(code, t).casefold(), (english[1] if english else code).casefold()}
        if wanted in names:
            return code
    return None


def ocr_language_of(interface: str) -> str | None:
    """The OCR language an interface language suggests ("vi" -> "VIE"), None for English
    (its users get the operator's OCR_LANGUAGE) or a language ISO 639 doesn't know."""
    primary = interface.replace("-", "_").split("_")[0].lower()
    if primary == SOURCE_LANGUAGE:
        return None
    found = pycountry.languages.get(alpha_2=primary)
    code = getattr(found, "alpha_3", None) if found is not None else None
    return str(code).upper() if code else None
