"""What crosses the task queue: dataclasses as JSON, and OCR errors as plain data.

Built from `dataclasses.fields` and the type hints, so a field added to `EngineConfig`,
`OcrOutcome` or `RecognizedLine` (a box, an engine name) travels without an edit here. JSON
rather than pickle: a worker or the bot never runs code chosen by whoever can write to Redis,
and the payloads stay readable with `redis-cli` when something has to be looked into.
"""

from __future__ import annotations

import base64
import dataclasses
import types
import typing
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar, cast

from bot.domain.models import ImageFlaw
from bot.ocr.contract import ImageGivenUp, ModelMissing, OcrFailed, OcrTimeout, OcrUnavailable
from bot.ocr.engines.prerequisites import EngineUnavailable
from bot.ocr.images.intake import ImageRejected

T = TypeVar("T")


class WireError(ValueError):
    """A payload does not fit the type it should become (e.g. a bot and a worker of two
    different versions: a field one of them does not know)."""


def to_wire(value: Any) -> Any:
    """Plain JSON data (dicts, lists, strings, numbers) for a dataclass and what it holds."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {item.name: to_wire(getattr(value, item.name)) for item in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return to_wire(value.value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [to_wire(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_wire(item) for key, item in value.items()}
    raise TypeError(f"{type(value).__name__} cannot be sent as JSON")


def from_wire(kind: type[T], data: Any) -> T:
    """Rebuild a `kind` (a dataclass, usually) from `to_wire`'s output; raises WireError."""
    return cast(T, _build(kind, data, kind.__name__))


def _build(hint: Any, data: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    arguments = typing.get_args(hint)
    if hint is Any:
        return data
    if origin is typing.Union or origin is types.UnionType:
        if data is None and type(None) in arguments:
            return None
        for option in (argument for argument in arguments if argument is not type(None)):
            try:
                return _build(option, data, where)
            except WireError:
                continue
        raise WireError(f"{where}: {data!r} fits none of {hint}")
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _build_dataclass(hint, data, where)
    if origin in (list, set, frozenset, tuple):
        if not isinstance(data, list):
            raise WireError(f"{where}: expected a list, got {type(data).__name__}")
        if origin is tuple and arguments and arguments[-1] is not Ellipsis:
            if len(arguments) != len(data):
                raise WireError(f"{where}: expected {len(arguments)} items, got {len(data)}")
            return tuple(_build(a, d, where) for a, d in zip(arguments, data, strict=True))
        item = arguments[0] if arguments else Any
        return origin(_build(item, element, where) for element in data)
    if origin is dict:
        if not isinstance(data, dict):
            raise WireError(f"{where}: expected an object, got {type(data).__name__}")
        value_hint = arguments[1] if arguments else Any
        return {key: _build(value_hint, value, where) for key, value in data.items()}
    return _build_scalar(hint, data, where)


def _build_dataclass(kind: type[Any], data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise WireError(f"{where}: expected an object, got {type(data).__name__}")
    hints = typing.get_type_hints(kind)
    known = {item.name for item in dataclasses.fields(kind) if item.init}
    unknown = sorted(set(data) - known)
    if unknown:
        raise WireError(f"{kind.__name__} has no field {', '.join(unknown)}")
    # Missing fields take their defaults (a sender without a newer field with a default).
    try:
        return kind(
            **{
                name: _build(hints[name], value, f"{kind.__name__}.{name}")
                for name, value in data.items()
            }
        )
    except TypeError as error:  # a required field missing
        raise WireError(f"{kind.__name__}: {error}") from None


def _build_scalar(hint: Any, data: Any, where: str) -> Any:
    if isinstance(hint, type) and issubclass(hint, Enum):
        try:
            return hint(data)
        except ValueError:
            raise WireError(f"{where}: {data!r} is not a {hint.__name__}") from None
    if hint is float and isinstance(data, int | float) and not isinstance(data, bool):
        return float(data)
    if hint is bytes and isinstance(data, str):
        try:
            return base64.b64decode(data, validate=True)
        except ValueError:
            raise WireError(f"{where}: not base64") from None
    if hint is Path and isinstance(data, str):
        return Path(data)
    if hint in (str, int, bool) and type(data) is hint:
        return data
    if hint is type(None) and data is None:
        return None
    raise WireError(f"{where}: {data!r} is not a {getattr(hint, '__name__', hint)}")


# --- errors: the same exception types on the bot's side as the local pool raises ---

_ERRORS: dict[str, type[Exception]] = {
    error.__name__: error
    for error in (
        OcrTimeout,
        ModelMissing,
        ImageGivenUp,
        OcrFailed,
        OcrUnavailable,
        EngineUnavailable,
    )
}


def error_to_wire(error: Exception) -> dict[str, str]:
    """An OCR error as data; ImageRejected keeps its flaw and detail for the user's message."""
    if isinstance(error, ImageRejected):
        return {"kind": "ImageRejected", "flaw": error.flaw.value, "detail": error.detail}
    if isinstance(error, WireError):
        # The two sides disagree on the payload (different versions): not the image's fault.
        return {"kind": "OcrUnavailable", "message": f"bot and worker disagree: {error}"}
    for kind in type(error).__mro__:  # the most specific known type (a subclass added later)
        if _ERRORS.get(kind.__name__) is kind:
            return {"kind": kind.__name__, "message": str(error)}
    raise TypeError(f"{type(error).__name__} is not an OCR error")


def error_from_wire(data: dict[str, str]) -> Exception:
    kind = data.get("kind", "")
    if kind == "ImageRejected":
        try:
            flaw = ImageFlaw(data.get("flaw", ""))
        except ValueError:
            return OcrFailed(f"the worker refused the image: {data.get('flaw')!r}")
        return ImageRejected(flaw, data.get("detail", ""))
    error = _ERRORS.get(kind, OcrFailed)
    return error(data.get("message", kind))


WIRE_ERRORS: tuple[type[Exception], ...] = (ImageRejected, WireError, *_ERRORS.values())
