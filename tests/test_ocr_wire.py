"""What crosses the task queue: dataclasses to JSON and back, generically, and OCR errors as
the same exception types on both sides."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from bot.domain.models import ConfidenceSource, ImageFlaw, RecognizedLine
from bot.ocr.backends.taskqueue.wire import (
    WireError,
    error_from_wire,
    error_to_wire,
    from_wire,
    to_wire,
)
from bot.ocr.contract import (
    EngineConfig,
    ModelMissing,
    OcrFailed,
    OcrOutcome,
    OcrTimeout,
    OcrUnavailable,
)
from bot.ocr.engines.prerequisites import EngineUnavailable
from bot.ocr.images.intake import ImageRejected


def through_json(value: object) -> object:
    return json.loads(json.dumps(to_wire(value)))


def test_engine_config_and_outcome_round_trip_through_json() -> None:
    config = EngineConfig(language="DEU", license_path="/l.lic", auto_download=False)
    outcome = OcrOutcome(
        lines=[
            RecognizedLine("Buy milk", 0.9, ConfidenceSource.ENGINE),
            RecognizedLine(
                "Call Ålice", 0.0, ConfidenceSource.ESTIMATE, alternatives=("Cal Alice",)
            ),
        ],
        trial=True,
        model="printed",
        elapsed_s=1,  # an int in JSON must come back as the float the field is
        notices=["fallback"],
    )
    assert from_wire(EngineConfig, through_json(config)) == config
    back = from_wire(OcrOutcome, through_json(outcome))
    assert back == outcome
    assert isinstance(back.elapsed_s, float)
    assert back.lines[0].confidence_source is ConfidenceSource.ENGINE


# The shape issue 13 gives these classes (an engine choice, a box per line): new fields with
# types the codec has never been told about must travel without touching bot.ocr.wire.
@dataclass(frozen=True)
class BoxedLine:
    text: str
    confidence: float
    confidence_source: ConfidenceSource
    box: tuple[int, int, int, int] | None = None


@dataclass(frozen=True)
class LaterOutcome:
    lines: list[BoxedLine]
    engine: str = "aspose"
    crosscheck: bool | None = None
    extra: dict[str, float] = field(default_factory=dict)
    image: bytes = b""


def test_new_fields_travel_without_changes_to_the_codec() -> None:
    outcome = LaterOutcome(
        lines=[
            BoxedLine("a", 0.5, ConfidenceSource.ENGINE, (1, 2, 30, 40)),
            BoxedLine("b", 0.25, ConfidenceSource.ESTIMATE),
        ],
        engine="rapidocr",
        crosscheck=True,
        extra={"agreement": 0.75},
        image=b"\x00\xffpng",
    )
    assert from_wire(LaterOutcome, through_json(outcome)) == outcome


def test_a_field_the_receiver_does_not_know_is_refused_and_a_missing_one_defaults() -> None:
    data = to_wire(EngineConfig())
    with pytest.raises(WireError, match="no field from_the_future"):
        from_wire(EngineConfig, {**data, "from_the_future": "x"})
    del data["areas_mode"]
    assert from_wire(EngineConfig, data).areas_mode == EngineConfig().areas_mode
    with pytest.raises(WireError):
        from_wire(RecognizedLine, {"text": "only text"})
    with pytest.raises(WireError):
        from_wire(
            RecognizedLine, {"text": "x", "confidence": "high", "confidence_source": "engine"}
        )
    with pytest.raises(WireError):
        from_wire(RecognizedLine, {"text": "x", "confidence": 1.0, "confidence_source": "guess"})


@pytest.mark.parametrize(
    "error",
    [
        OcrFailed("engine error"),
        OcrTimeout("took longer than 120 s"),
        ModelMissing("install the cyrillic model"),
        OcrUnavailable("shutting down"),
        EngineUnavailable("license rejected"),
    ],
)
def test_errors_come_back_as_the_same_type(error: Exception) -> None:
    back = error_from_wire(json.loads(json.dumps(error_to_wire(error))))
    assert type(back) is type(error)
    assert str(back) == str(error)


def test_an_image_rejection_keeps_its_flaw_and_detail() -> None:
    back = error_from_wire(error_to_wire(ImageRejected(ImageFlaw.FORMAT, "XCF")))
    assert isinstance(back, ImageRejected)
    assert (back.flaw, back.detail) == (ImageFlaw.FORMAT, "XCF")


def test_a_payload_mismatch_is_not_the_images_fault() -> None:
    back = error_from_wire(error_to_wire(WireError("EngineConfig has no field engine")))
    assert isinstance(back, OcrUnavailable)
    assert not isinstance(back, OcrFailed)
    # An unknown kind from a newer worker still fails safely, as an OCR failure.
    assert type(error_from_wire({"kind": "SomethingNew", "message": "?"})) is OcrFailed
