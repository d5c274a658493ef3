"""Signed button data: only the user it was issued to can use it, unchanged."""

from __future__ import annotations

import pytest

from bot.callbacks import MAX_CALLBACK_BYTES, CallbackSigner, InvalidCallback

SIGNER = CallbackSigner("secret")


def test_round_trip_for_the_owner() -> None:
    data = SIGNER.encode(42, "k", 1234567890)
    assert len(data.encode()) <= MAX_CALLBACK_BYTES
    assert SIGNER.decode(42, data) == ("k", ["1234567890"])


def test_another_user_cannot_replay_it() -> None:
    data = SIGNER.encode(42, "d", 7)
    with pytest.raises(InvalidCallback) as caught:
        SIGNER.decode(43, data)
    assert caught.value.reason == "forged"


def test_changing_the_line_id_breaks_the_signature() -> None:
    data = SIGNER.encode(42, "d", 7)
    forged = data.replace(":7:", ":8:")
    assert forged != data
    with pytest.raises(InvalidCallback):
        SIGNER.decode(42, forged)


def test_other_secret_is_refused() -> None:
    with pytest.raises(InvalidCallback):
        CallbackSigner("other").decode(42, SIGNER.encode(42, "k", 1))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (None, "malformed"),
        ("", "malformed"),
        ("x" * 65, "malformed"),
        ("k:1", "malformed"),
        ("v0:k:1:AAAAAAAAAAAAAAAA", "outdated"),
        ("v1:k:1:", "malformed"),
        ("v1:k:1:notasignature000", "forged"),
        ("💥" * 16, "malformed"),
    ],
)
def test_junk_is_refused_with_a_reason(data: str | None, reason: str) -> None:
    with pytest.raises(InvalidCallback) as caught:
        SIGNER.decode(42, data)
    assert caught.value.reason == reason


def test_fields_must_not_contain_the_separator() -> None:
    with pytest.raises(ValueError, match="must not contain"):
        SIGNER.encode(1, "k", "a:b")
