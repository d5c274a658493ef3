"""Both engines behind one interface, for real, on rendered images: RapidOCR as the primary
engine, RapidOCR as the cross-check of Aspose's lines, and what each says about languages."""

from __future__ import annotations

import itertools

import pytest
from PIL import Image, ImageDraw

from bot.domain.models import ConfidenceSource, RecognizedLine
from bot.ocr.backends.pool import OcrPool
from bot.ocr.contract import EngineConfig, ModelMissing
from bot.ocr.engines.crosscheck import CrossChecker, crop, same_start
from bot.ocr.engines.factory import build_engine
from bot.ocr.engines.rapid import RapidEngine
from bot.ocr.engines.rapid_reader import RapidReader, box_of, to_bgr
from bot.ocr.engines.scoring import PIVOT
from bot.ocr.images.intake import prepare_for_ocr
from bot.ocr.images.prepare import flatten_background
from tests.support.images import FIRST_LINE, NOTE_LINES, render_note


@pytest.fixture(scope="module")
def rapid() -> RapidEngine:
    engine = build_engine(EngineConfig(engine="rapidocr"))
    assert isinstance(engine, RapidEngine)
    return engine


def inside(box: tuple[int, int, int, int], size: tuple[int, int]) -> bool:
    x, y, width, height = box
    return x >= 0 and y >= 0 and width > 0 and height > 0 and x + width <= size[0] + 2


def test_rapidocr_reads_every_line_with_a_calibrated_confidence_and_a_box(rapid) -> None:
    outcome = rapid.recognize(render_note(NOTE_LINES))
    assert outcome.engine == "rapidocr"
    assert outcome.trial is False  # no license, no truncation
    assert [line.text for line in outcome.lines] == NOTE_LINES
    assert {line.confidence_source for line in outcome.lines} == {ConfidenceSource.CALIBRATED}
    assert all(line.confidence >= PIVOT for line in outcome.lines)  # clean print, real words
    assert outcome.image_size == (1200, 440)
    assert all(line.box and inside(line.box, outcome.image_size) for line in outcome.lines)
    tops = [line.box[1] for line in outcome.lines if line.box]
    assert tops == sorted(tops)  # reading order, one line per 100 px
    assert all(80 <= b - a <= 120 for a, b in itertools.pairwise(tops))


def test_boxes_are_in_the_pixels_of_the_downscaled_image(rapid) -> None:
    big = render_note(NOTE_LINES, width=4000, size=120)
    outcome = rapid.recognize(big)
    assert outcome.image_size is not None
    assert max(outcome.image_size) == 2560  # what the engine read, not the upload
    assert all(line.box and inside(line.box, outcome.image_size) for line in outcome.lines)


def test_rapidocr_offers_only_the_languages_of_its_bundled_model(rapid) -> None:
    assert {"ENG", "DEU", "FRA", "JPN"} <= set(rapid.languages())
    assert "RUS" not in rapid.languages()
    assert rapid.check_language("DEU") is None
    assert "RUS" in (rapid.check_language("RUS") or "")
    with pytest.raises(ModelMissing):
        rapid.recognize(render_note(NOTE_LINES), "RUS")


def test_crosscheck_passes_a_right_line_and_flags_a_wrong_one() -> None:
    """Real RapidOCR re-reading the real pixels of each line's box: a line whose text is what
    the image shows keeps a high confidence, the same box with a misreading is flagged."""
    image = prepare_for_ocr(render_note(NOTE_LINES))
    bgr = to_bgr(image)
    boxes = [box_of(quad) for quad, _ in RapidReader().read_lines(bgr)]
    assert len(boxes) == len(NOTE_LINES)
    checker = CrossChecker()
    right = RecognizedLine(FIRST_LINE, 1.0, ConfidenceSource.ESTIMATE, boxes[0])
    wrong = RecognizedLine("Bux mik tocay", 1.0, ConfidenceSource.ESTIMATE, boxes[0])
    engines_own = RecognizedLine("Call Alice", 0.97, ConfidenceSource.ENGINE, boxes[2])
    # A line the detector found nowhere on the page (no pieces), however sure its estimate.
    nowhere = RecognizedLine("Plenty of words", 0.99, ConfidenceSource.ESTIMATE, None)
    checked, seconds = checker.check(
        bgr, [right, wrong, engines_own, nowhere], [[boxes[0]], [boxes[0]], [boxes[2]], []]
    )
    assert [line.confidence_source for line in checked] == [
        ConfidenceSource.CROSSCHECK,
        ConfidenceSource.CROSSCHECK,
        ConfidenceSource.ENGINE,  # an engine confidence is kept as it is
        ConfidenceSource.CROSSCHECK,
    ]
    assert checked[0].confidence >= PIVOT
    assert checked[1].confidence < PIVOT
    assert checked[2] == engines_own
    assert checked[3].confidence < PIVOT
    assert checked[3].text == nowhere.text
    assert seconds > 0
    # The second reading is kept beside a line it disagrees with (searchable, never shown).
    assert checked[0].alternatives == ()
    assert any("milk" in reading.lower() for reading in checked[1].alternatives)


def test_crop_is_padded_and_clipped_to_the_image() -> None:
    bgr = to_bgr(Image.new("RGB", (100, 50), "white"))
    assert crop(bgr, (10, 10, 20, 20)).shape[:2] == (26, 26)  # 3 px on every side
    assert crop(bgr, (90, 40, 20, 20)).shape[:2] == (13, 13)


def test_flattening_whitens_uneven_light_and_keeps_the_size() -> None:
    image = Image.new("L", (400, 200))
    draw = ImageDraw.Draw(image)
    for x in range(400):  # light falling off from left to right, like a whiteboard photo
        draw.line([(x, 0), (x, 199)], fill=240 - x // 3)
    draw.rectangle((180, 90, 220, 96), fill=20)  # a stroke of ink
    flat = flatten_background(image.convert("RGB"))
    assert flat.size == image.size
    left, right = flat.getpixel((20, 20)), flat.getpixel((380, 20))
    assert min(left) >= 240
    assert min(right) >= 240  # was 114 before
    assert max(flat.getpixel((200, 93))) < 100  # the ink stays dark


async def test_the_pool_returns_crosschecked_lines_with_boxes(ocr_pool: OcrPool) -> None:
    """Aspose in a real worker, its lines cross-checked there (RapidOCR is installed, so
    OCR_CROSSCHECK is on by default), boxes and the image's size back through the pool."""
    outcome = await ocr_pool.recognize(render_note(NOTE_LINES))
    assert outcome.engine == "aspose"
    assert outcome.image_size == (1200, 440)
    first = outcome.lines[0]
    assert FIRST_LINE.startswith(first.text)
    assert first.confidence_source is ConfidenceSource.CROSSCHECK
    assert first.box is not None
    assert inside(first.box, outcome.image_size)
    assert first.box[1] < 100  # the first of lines 100 px apart
    assert 0 < outcome.crosscheck_s < outcome.elapsed_s


def test_a_line_cut_short_is_compared_with_as_much_of_the_second_reading() -> None:
    assert (
        same_start(
            "ocr code and see if it works on all ty",
            "ocr code and see if it works on all types today",
        )
        == "ocr code and see if it works on all types"
    )
    assert same_start("Tel 4305", "Tel 43054343/44 /8800393980") == "Tel 43054343/44"
    assert same_start("longer than", "short") == "short"
