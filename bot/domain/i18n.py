"""The language the bot speaks to one user: gettext catalogs for the words, Babel's locale data
for dates, numbers and percentages.

Texts are written in English in the code (the source language, so English needs no catalog).
Other languages are catalogs in `bot/locales/<code>/LC_MESSAGES/messages.po`, which Babel
compiles to `.mo` files at set-up (`make setup`); `N_` marks a constant for extraction, and
only a `Translator` turns it into text. A translator is chosen per update and passed to the
wording functions explicitly: no global "current language" that two users' updates, handled at
the same moment, could share.
"""

from __future__ import annotations

import gettext
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from babel import Locale
from babel.dates import format_skeleton, format_time
from babel.numbers import format_decimal, format_percent

log = logging.getLogger(__name__)

SOURCE_LANGUAGE = "en"
DOMAIN = "messages"
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"


class CatalogError(Exception):
    """A catalog can't be loaded (not compiled, or damaged); meant for the operator, one line."""


@dataclass(frozen=True)
class Msg:
    """A marked text, not translated yet: `Translator.__call__` makes it a `str`, so the type
    checker catches a constant sent without translation."""

    text: str


def N_(text: str) -> Msg:
    """Mark a constant for extraction (`N_` is one of gettext's usual keywords); it is
    translated where it is used."""
    return Msg(text)


def normalize(code: str) -> str:
    """`pt-BR`, `pt_br` -> `pt_br`: Telegram's IETF tags and catalog folder names compared."""
    return code.strip().replace("-", "_").lower()


class _Untranslated(gettext.NullTranslations):
    """A catalog's fallback: the English text, and a warning (once per text) that a translation
    is missing, so a catalog that fell behind the code shows up in the log, not just in chat."""

    def __init__(self, code: str) -> None:
        super().__init__()
        self._code = code
        self._seen: set[str] = set()

    def _missing(self, message: str) -> None:
        if message not in self._seen:
            self._seen.add(message)
            log.warning("event=untranslated language=%s text=%r", self._code, message[:80])

    def gettext(self, message: str) -> str:
        self._missing(message)
        return message

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        self._missing(msgid1)
        return msgid1 if n == 1 else msgid2


class Translator:
    """Words, plural forms, dates, numbers and percentages in one language."""

    def __init__(self, code: str, translations: gettext.NullTranslations) -> None:
        self.code = code
        self._translations = translations

    @cached_property
    def locale(self) -> Locale:
        return Locale.parse(self.code)

    @property
    def name(self) -> str:
        """The language's name in itself ("English", "Tiếng Việt"), for choosing it."""
        own = self.locale.get_display_name(self.locale) or self.code
        return own[:1].upper() + own[1:]

    def __call__(self, message: Msg, **values: object) -> str:
        return self.gettext(message.text, **values)

    def gettext(self, message: str, **values: object) -> str:
        """The translation, with `{name}` placeholders filled from `values`."""
        text = self._translations.gettext(message)
        return text.format(**values) if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        """The plural form the language uses for `n` (Vietnamese has one, English two)."""
        text = self._translations.ngettext(singular, plural, n)
        return text.format(**values) if values else text

    def number(self, value: float, pattern: str | None = None) -> str:
        return format_decimal(value, format=pattern, locale=self.locale)

    def percent(self, fraction: float, *, decimals: bool = False) -> str:
        """0.41 -> "41%" (or "41 %": some languages put a space)."""
        pattern = "#,##0.##%" if decimals else None
        return format_percent(fraction, format=pattern, locale=self.locale)

    def date_time(self, moment: datetime) -> str:
        """A moment in UTC (the bot doesn't know the user's time zone, so it says so)."""
        moment = moment.astimezone(UTC)
        day = format_skeleton("yMMMd", moment, locale=self.locale)
        time = format_time(moment, "short", tzinfo=UTC, locale=self.locale)
        pattern = str(self.locale.datetime_formats["medium"])
        return pattern.replace("{1}", day).replace("{0}", time) + " UTC"

    def day_month(self, moment: datetime) -> str:
        return format_skeleton("MMMd", moment.astimezone(UTC), locale=self.locale)

    def language(self, iso_code: str) -> str | None:
        """A language's name in this language, from an ISO 639 code (None if unknown)."""
        name = self.locale.languages.get(iso_code.lower())
        return None if name is None else str(name)


ENGLISH = Translator(SOURCE_LANGUAGE, gettext.NullTranslations())


class Catalogs:
    """Every language the bot speaks: English (the source), then one per compiled catalog."""

    def __init__(self, translators: dict[str, Translator]) -> None:
        self._by_code = translators
        self._normalized = {normalize(code): code for code in translators}
        self.source = translators[SOURCE_LANGUAGE]

    @classmethod
    def load(cls, folder: Path = LOCALES_DIR) -> Catalogs:
        """Read every compiled catalog; a `.po` without its `.mo` is a CatalogError."""
        translators = {SOURCE_LANGUAGE: ENGLISH}
        for po in sorted(folder.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
            code = po.parent.parent.name
            mo = po.with_suffix(".mo")
            try:
                with mo.open("rb") as compiled:
                    translations = gettext.GNUTranslations(compiled)
                translations.add_fallback(_Untranslated(code))
                translators[code] = Translator(code, translations)
            except FileNotFoundError:
                raise CatalogError(
                    f"{mo} is missing: compile the translations with `make setup` "
                    f"(pybabel compile -d {folder} -D {DOMAIN})"
                ) from None
            except (OSError, ValueError) as error:
                raise CatalogError(f"{mo} can't be read ({error}): run `make setup`") from None
        return cls(translators)

    @classmethod
    def english_only(cls) -> Catalogs:
        return cls({SOURCE_LANGUAGE: ENGLISH})

    @property
    def codes(self) -> list[str]:
        """English first, then the catalogs in alphabetical order."""
        return [SOURCE_LANGUAGE, *sorted(code for code in self._by_code if code != SOURCE_LANGUAGE)]

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._by_code

    def get(self, code: str | None) -> Translator:
        """The catalog `code` (as stored), or English."""
        return self._by_code.get(code or "", self.source)

    def match(self, language_code: str | None) -> str | None:
        """The catalog for a Telegram `language_code` ("vi", "pt-br"), or None: the whole tag
        first, then its language alone ("en-US" -> "en")."""
        if not language_code:
            return None
        wanted = normalize(language_code)
        return self._normalized.get(wanted) or self._normalized.get(wanted.split("_")[0])

    def choose(self, stored: str | None, telegram_code: str | None) -> Translator:
        """The user's interface language: their own choice, else Telegram's language when
        there is a catalog for it, else English."""
        if stored in self:
            return self.get(stored)
        return self.get(self.match(telegram_code))
