"""OCR language names and the pages of the /lang picker (no Telegram types here)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pycountry

# Shown first: the languages most people want, if the engine knows them.
COMMON = ("ENG", "DEU", "FRA", "SPA", "ITA", "POR", "NLD", "POL", "SWE", "TUR", "RUS", "UKR")
# Aspose's names for scripts and groups rather than single languages.
GROUPS = {
    "AUTO": "Detect automatically",
    "CHINESE": "Chinese (any)",
    "CYRILLIC": "Cyrillic scripts",
    "DEVANAGARI": "Devanagari scripts",
    "DOC": "Documents (generic)",
    "EUROPEAN": "European languages",
    "EXT_LATIN": "Extended Latin",
    "INDIC": "Indic scripts",
    "ISLAMIC": "Islamic scripts",
    "LATIN": "Latin script",
    "MLY": "Malay",
    "MULTILANGUAGE": "Several languages",
    "PERSO_ARABIC": "Perso-Arabic script",
    "UNIVERSAL": "Universal",
}
PER_PAGE = 18


@cache
def language_name(code: str) -> str:
    """A readable name for an Aspose language code (ISO 639-3 for single languages)."""
    code = code.upper()
    if code in GROUPS:
        return GROUPS[code]
    found = pycountry.languages.get(alpha_3=code.lower())
    if found is None:
        return code
    return str(found.name).split(" (")[0]


def label(code: str) -> str:
    return f"{language_name(code)} ({code})"


@dataclass(frozen=True)
class LanguagePage:
    codes: list[str]
    page: int
    pages: int


def language_page(available: list[str], page: int) -> LanguagePage:
    """Page 0 is the common languages; later pages list every language by name."""
    common = [code for code in COMMON if code in available]
    everything = sorted(available, key=language_name)
    chunks = [common] + [
        everything[start : start + PER_PAGE] for start in range(0, len(everything), PER_PAGE)
    ]
    page = min(max(page, 0), len(chunks) - 1)
    return LanguagePage(chunks[page], page, len(chunks))


def find_language(available: list[str], text: str) -> str | None:
    """The engine's code for what a user typed: a code (deu, DEU) or a name (German)."""
    wanted = " ".join(text.split()).casefold()
    if not wanted:
        return None
    for code in available:
        if wanted == code.casefold():
            return code
    for code in available:
        if wanted == language_name(code).casefold():
            return code
    return None
