"""Telegram Mini App init data, checked as Telegram documents it (no HTTP involved)."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest

from bot.web import init_data
from bot.web.init_data import InitDataRefused, Refusal, language_hint, sign, verify

TOKEN = "123456789:AAFakeTokenForTests_abcdefghijklmnopq"
NOW = 1_800_000_000
DAY = 86400.0


def fields(user_id: int = 42, auth_date: int = NOW, **extra: str) -> dict[str, str]:
    user = json.dumps({"id": user_id, "first_name": "Ann", "language_code": "vi"})
    return {"query_id": "AAE1", "user": user, "auth_date": str(auth_date), **extra}


def test_genuine_init_data_names_its_user():
    user = verify(sign(TOKEN, fields()), TOKEN, max_age_s=DAY, now=NOW + 60)
    assert (user.id, user.language_code, user.auth_date) == (42, "vi", NOW)


def test_a_signature_field_is_part_of_what_is_signed():
    # Telegram adds `signature` (for third parties); the bot's hash covers every field but hash.
    data = sign(TOKEN, fields(signature="c2lnbmVk"))
    assert verify(data, TOKEN, max_age_s=DAY, now=NOW).id == 42
    without = urlencode([(k, v) for k, v in parse_qsl(data) if k != "signature"])
    with pytest.raises(InitDataRefused):
        verify(without, TOKEN, max_age_s=DAY, now=NOW)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (None, Refusal.MISSING),
        ("", Refusal.MISSING),
        ("no-equals-sign", Refusal.MALFORMED),
        ("a=1&a=2&hash=00", Refusal.MALFORMED),
        ("x" * 9000, Refusal.MALFORMED),
        (sign("999:OtherBot", fields()), Refusal.FORGED),
        (sign(TOKEN, fields()).replace("42", "43"), Refusal.FORGED),
        (sign(TOKEN, fields()) + "&extra=1", Refusal.FORGED),
        (urlencode({**dict(parse_qsl(sign(TOKEN, fields()))), "hash": "é"}), Refusal.FORGED),
        (sign(TOKEN, fields(auth_date=NOW - 2 * 86400)), Refusal.EXPIRED),
        (sign(TOKEN, fields(auth_date=NOW + 3600)), Refusal.EXPIRED),
        (sign(TOKEN, {"auth_date": str(NOW)}), Refusal.MALFORMED),
        (sign(TOKEN, {**fields(), "user": '{"id": "42"}'}), Refusal.MALFORMED),
        (sign(TOKEN, {**fields(), "user": "[42]"}), Refusal.MALFORMED),
        (sign(TOKEN, {**fields(), "user": '{"id": true}'}), Refusal.MALFORMED),
        (sign(TOKEN, {**fields(), "auth_date": "yesterday"}), Refusal.MALFORMED),
    ],
)
def test_anything_else_is_refused(data, reason):
    with pytest.raises(InitDataRefused) as refused:
        verify(data, TOKEN, max_age_s=DAY, now=NOW)
    assert refused.value.reason is reason


def test_the_language_hint_reads_unverified_data_only_for_wording():
    assert language_hint(sign("999:OtherBot", fields())) == "vi"
    assert language_hint("garbage") is None
    assert language_hint("user=%5B%5D") is None


def test_the_check_needs_no_web_framework():
    imported = set()
    for node in ast.walk(ast.parse(Path(init_data.__file__).read_text())):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported.isdisjoint({"aiohttp", "telegram", "bot"})
