"""The button protocol: data signed for one user, one payload type per kind, parsed strictly."""

from __future__ import annotations

import pytest

from bot.telegram.buttons import (
    MAX_CALLBACK_BYTES,
    NOTES_START,
    Back,
    ButtonCodec,
    Choice,
    Empty,
    InvalidButton,
    Kind,
    LineRef,
    NoteRef,
    PageRef,
    SearchRef,
)

CODEC = ButtonCodec("secret")


def test_round_trip_for_the_owner() -> None:
    data = CODEC.encode(42, Kind.KEEP, LineRef(1234567890))
    assert len(data.encode()) <= MAX_CALLBACK_BYTES
    assert CODEC.decode(42, data) == (Kind.KEEP, LineRef(1234567890))


@pytest.mark.parametrize(
    ("kind", "payload"),
    [
        (Kind.OPEN_NOTE, NoteRef(7, Back(page=3))),
        (Kind.OPEN_NOTE, NoteRef(7, Back(page=2, search_id=99))),
        (Kind.OPEN_NOTE, NoteRef(7)),
        (Kind.SEARCH_PAGE, SearchRef(12, 0)),
        (Kind.NOTES_PAGE, PageRef(4)),
        (Kind.LANGUAGE, Choice("DEU")),
        (Kind.FORGET, Empty()),
    ],
)
def test_every_payload_type_round_trips(kind: Kind, payload: object) -> None:
    assert CODEC.decode(5, CODEC.encode(5, kind, payload)) == (kind, payload)  # type: ignore[arg-type]


def test_a_default_back_is_left_out_and_read_back() -> None:
    data = CODEC.encode(5, Kind.OPEN_NOTE, NoteRef(7, NOTES_START))
    assert data.startswith("v1:no:7:")
    assert data.count(":") == 3


def test_the_wrong_payload_type_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        CODEC.encode(1, Kind.KEEP, PageRef(1))


def test_another_user_cannot_replay_it() -> None:
    data = CODEC.encode(42, Kind.DROP, LineRef(7))
    with pytest.raises(InvalidButton) as caught:
        CODEC.decode(43, data)
    assert caught.value.reason == "forged"


def test_changing_the_line_id_breaks_the_signature() -> None:
    data = CODEC.encode(42, Kind.DROP, LineRef(7))
    forged = data.replace(":7:", ":8:")
    assert forged != data
    with pytest.raises(InvalidButton):
        CODEC.decode(42, forged)


def test_other_secret_is_refused() -> None:
    with pytest.raises(InvalidButton):
        ButtonCodec("other").decode(42, CODEC.encode(42, Kind.KEEP, LineRef(1)))


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
        ("v1:k:1:ñññññññññññññññ", "malformed"),  # not ASCII: refused, not a TypeError
        ("v1:k:²:AAAAAAAAAAAAAAAA", "malformed"),  # '²'.isdigit() is True, int('²') fails
    ],
)
def test_junk_is_refused_with_a_reason(data: str | None, reason: str) -> None:
    with pytest.raises(InvalidButton) as caught:
        CODEC.decode(42, data)
    assert caught.value.reason == reason


def sign(user_id: int, body: str) -> str:
    """Data with a valid signature over any body, as only a bot bug could produce."""
    return f"{body}:{CODEC._signature(user_id, body).decode()}"


@pytest.mark.parametrize(
    "body",
    [
        "v1:zz:1",  # unknown kind
        "v1:k",  # missing line id
        "v1:k:1:2",  # one field too many
        "v1:k:1a",
        "v1:k:-1",
        "v1:no:1:nl.x",
        "v1:no:1:sp.1",
    ],
)
def test_signed_data_that_does_not_fit_its_kind_is_refused(body: str) -> None:
    with pytest.raises(InvalidButton) as caught:
        CODEC.decode(42, sign(42, body))
    assert caught.value.reason == "fields"


def test_fields_must_not_contain_the_separator() -> None:
    with pytest.raises(ValueError, match="must not contain"):
        CODEC.encode(1, Kind.LANGUAGE, Choice("a:b"))
