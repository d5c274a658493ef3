"""Every catalog has every text the code says, translated, with the same placeholders and
HTML tags; the compiled catalogs the bot loads are the committed ones; locale matching and
formatting per language."""

from __future__ import annotations

import gettext
import logging
import re
import shutil
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from bot.domain import messages
from bot.domain.i18n import DOMAIN, LOCALES_DIR, CatalogError, Catalogs
from tests.support.fake_telegram import render

ROOT = Path(__file__).resolve().parent.parent
CATALOG_FILES = sorted(LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
PLACEHOLDER = re.compile(r"\{(\w*)\}")
TAG = re.compile(r"</?[a-z-]+")


def source_texts() -> set[str]:
    """Every text the code marks, extracted as `make translations` does (babel.cfg)."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = extract_from_dir(ROOT / "bot", method_map, options_map)
    return {msgid if isinstance(msgid, str) else msgid[0] for _, _, msgid, *_ in found}


def key(message_id: str | tuple[str, ...]) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def read(path: Path):
    with path.open("rb") as file:
        return read_po(file)


def test_there_is_a_vietnamese_catalog() -> None:
    assert "vi" in [path.parent.parent.name for path in CATALOG_FILES]


def test_template_holds_exactly_the_texts_of_the_code() -> None:
    """`make translations` was run after the texts last changed."""
    template = {key(m.id) for m in read(LOCALES_DIR / f"{DOMAIN}.pot") if m.id}
    code = source_texts()
    assert len(code) > 150
    assert sorted(code - template) == [], "texts missing from the template"
    assert sorted(template - code) == [], "texts in the template that the code no longer has"


@pytest.mark.parametrize("path", CATALOG_FILES, ids=lambda p: p.parent.parent.name)
def test_catalog_translates_every_text_with_the_same_placeholders_and_tags(path: Path) -> None:
    catalog = read(path)
    entries = {key(m.id): m for m in catalog if m.id}
    assert sorted(source_texts() - entries.keys()) == [], "untranslated texts"
    problems = []
    for message in entries.values():
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        forms = [message.string] if isinstance(message.string, str) else list(message.string)
        if message.fuzzy or not all(forms):
            problems.append(f"not translated (or fuzzy): {ids[0]!r}")
            continue
        if isinstance(message.id, tuple) and len(forms) != catalog.num_plurals:
            problems.append(f"{len(forms)} plural forms, not {catalog.num_plurals}: {ids[0]!r}")
        allowed = {name for text in ids for name in PLACEHOLDER.findall(text)}
        expected = set(PLACEHOLDER.findall(ids[-1]))  # the plural has them all
        used = {name for form in forms for name in PLACEHOLDER.findall(form)}
        if not used <= allowed or not expected <= used:
            problems.append(f"placeholders {sorted(used)} for {sorted(expected)}: {ids[0]!r}")
        for form in forms:
            if Counter(TAG.findall(form)) != Counter(TAG.findall(ids[-1])):
                problems.append(f"HTML tags differ: {form!r}")
            elif "<" in ids[-1]:
                render(form.format(**dict.fromkeys(allowed, "x")), "HTML", None)  # Telegram's
    assert problems == []


@pytest.mark.parametrize("path", CATALOG_FILES, ids=lambda p: p.parent.parent.name)
def test_compiled_catalog_is_the_committed_one(path: Path) -> None:
    """The .mo the bot loads (built by `make setup`) says what the .po says."""
    with path.with_suffix(".mo").open("rb") as compiled:
        loaded = gettext.GNUTranslations(compiled)
    for message in read(path):
        if not message.id:
            continue
        if isinstance(message.id, str):
            assert loaded.gettext(message.id) == message.string
        else:
            for n in range(3):
                index = loaded.plural(n)  # type: ignore[attr-defined]
                assert loaded.ngettext(*message.id, n) == message.string[index]


def test_a_catalog_that_was_never_compiled_is_a_clear_error(tmp_path: Path) -> None:
    shutil.copytree(LOCALES_DIR, tmp_path / "locales")
    (tmp_path / "locales" / "vi" / "LC_MESSAGES" / f"{DOMAIN}.mo").unlink()
    with pytest.raises(CatalogError, match=r"messages\.mo is missing: .*make setup"):
        Catalogs.load(tmp_path / "locales")


def test_telegram_language_codes_find_their_catalog() -> None:
    catalogs = Catalogs.load()
    assert catalogs.codes[0] == "en"
    assert [catalogs.match(code) for code in ("vi", "VI", "vi-VN", "en-US", "en", "de", "")] == [
        "vi",
        "vi",
        "vi",
        "en",
        "en",
        None,
        None,
    ]
    assert catalogs.choose(None, "vi").code == "vi"
    assert catalogs.choose("en", "vi").code == "en"  # the user's own choice wins
    assert catalogs.choose("xx", "vi").code == "vi"  # a choice whose catalog is gone
    assert catalogs.choose(None, "de").code == "en"
    assert catalogs.choose(None, None).code == "en"


def test_vietnamese_words_numbers_and_dates() -> None:
    vi, en = Catalogs.load().get("vi"), Catalogs.load().get("en")
    moment = datetime(2026, 11, 24, 10, 2, tzinfo=UTC)
    assert vi(messages.KEEP_BUTTON) == "Giữ"
    assert vi.name == "Tiếng Việt"
    # One plural form in Vietnamese, two in English.
    assert messages.working(vi, 1) == messages.working(vi, 2).replace("2", "1")
    assert "1 photo ahead" in messages.working(en, 1)
    assert "2 photos ahead" in messages.working(en, 2)
    assert vi.number(12345.5) == "12.345,5"
    assert en.number(12345.5) == "12,345.5"
    assert vi.percent(0.725, decimals=True) == "72,5%"
    assert en.date_time(moment).startswith("Nov 24, 2026")
    assert "thg 11, 2026" in vi.date_time(moment)
    assert vi.date_time(moment).endswith("UTC")


def test_a_text_missing_from_a_catalog_is_english_and_logged(caplog) -> None:
    vi = Catalogs.load().get("vi")
    with caplog.at_level(logging.WARNING, logger="bot.domain.i18n"):
        assert vi.gettext("A text nobody translated") == "A text nobody translated"
        vi.gettext("A text nobody translated")
    assert [r.getMessage() for r in caplog.records] == [
        "event=untranslated language=vi text='A text nobody translated'"
    ]
