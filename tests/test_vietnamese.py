"""Vietnamese photos keep their diacritics: the real Vietnamese line recognizer (trueocr's model,
from its wheel) on rendered Vietnamese lines, in RapidOCR's page reading and as the
cross-check's reader (Aspose in a real worker too), against PP-OCRv6 alone (which drops most
marked letters)."""

from __future__ import annotations

import pytest

from bot.domain.models import ConfidenceSource, RecognizedLine
from bot.ocr.backends.pool import OcrPool
from bot.ocr.contract import EngineConfig
from bot.ocr.engines.crosscheck import CrossChecker
from bot.ocr.engines.factory import build_engine
from bot.ocr.engines.rapid import RapidEngine
from bot.ocr.engines.rapid_reader import RapidReader, to_bgr
from bot.ocr.engines.scoring import PIVOT
from bot.ocr.engines.vietnamese import (
    VietnameseRecognizer,
    base_letter,
    combine,
    letters_agreement,
)
from bot.ocr.images.intake import prepare_for_ocr
from tests.support.images import render_note

# The examples (a receipt, a street name) and everyday note text: stacked marks
# (ợ, ủ, ị, ớ, ư), Đ and Ơ.
CROSSCHECK = ConfidenceSource.CROSSCHECK
LINES = ["Chợ Sủi Phú Thị", "HÓA ĐƠN BÁN HÀNG", "Đinh Tiên Hoàng", "Nhớ tưới cây"]


@pytest.fixture(scope="module")
def rapid() -> RapidEngine:
    engine = build_engine(EngineConfig(engine="rapidocr"))
    assert isinstance(engine, RapidEngine)
    return engine


def test_the_vietnamese_model_reads_marked_letters_that_pp_ocrv6_drops() -> None:
    bgr = to_bgr(prepare_for_ocr(render_note(LINES)))
    boxes = [box for _, _, box in RapidReader().read_page(bgr)]
    crops = [bgr[y : y + h, x : x + w] for x, y, w, h in boxes]
    readings = VietnameseRecognizer().read(crops)
    assert [text for text, _ in readings] == LINES
    assert all(score >= 0.9 for _, score in readings)
    assert VietnameseRecognizer().read([bgr[:1, :1]]) == [("", 0.0)]  # no line, no guess


def test_a_vietnamese_photo_comes_back_with_its_diacritics(rapid) -> None:
    """OCR_ENGINE=rapidocr, language VIE: each line is read again by the Vietnamese model;
    PP-OCRv6's reading is kept beside it (searchable without marks), and the confidence
    comes from both readers agreeing."""
    outcome = rapid.recognize(render_note(LINES), language="VIE")
    assert [line.text for line in outcome.lines] == LINES
    assert {line.confidence_source for line in outcome.lines} == {ConfidenceSource.CROSSCHECK}
    assert all(line.confidence >= PIVOT for line in outcome.lines)
    assert all(line.box is not None for line in outcome.lines)
    assert "Ch Si Phú Th" in outcome.lines[0].alternatives  # what PP-OCRv6 made of it


def test_other_languages_still_read_with_pp_ocrv6_alone(rapid) -> None:
    outcome = rapid.recognize(render_note(LINES), language="ENG")
    assert outcome.lines[0].text != LINES[0]  # PP-OCRv6 has no "ợ": the bot before this
    assert {line.confidence_source for line in outcome.lines} == {ConfidenceSource.CALIBRATED}


def test_the_baseline_setting_reads_vietnamese_with_pp_ocrv6_alone() -> None:
    engine = build_engine(EngineConfig(engine="rapidocr", vietnamese=False))
    outcome = engine.recognize(render_note(LINES[:1]), language="VIE")
    assert [line.text for line in outcome.lines] == ["Ch Si Phú Th"]


def test_the_crosscheck_reads_vietnamese_lines_with_the_vietnamese_model() -> None:
    """Aspose's (here: given) right Vietnamese line agrees with the Vietnamese model's
    reading of its rectangle; RapidOCR's reading would have disagreed on every mark."""
    bgr = to_bgr(prepare_for_ocr(render_note(LINES)))
    boxes = [box for _, _, box in RapidReader().read_page(bgr)]
    lines = [RecognizedLine(text, 1.0, ConfidenceSource.ESTIMATE, box) for text, box in
             zip(LINES, boxes, strict=True)]  # fmt: skip
    wrong = RecognizedLine("Chờ Sửi Phù Thì", 1.0, ConfidenceSource.ESTIMATE, boxes[0])
    pieces = [[box] for box in boxes] + [[boxes[0]]]
    checked, _ = CrossChecker().check(bgr, [*lines, wrong], pieces, language="VIE")
    assert all(line.confidence >= PIVOT for line in checked[:-1]), checked
    assert checked[-1].confidence < PIVOT  # every mark wrong: flagged
    before, _ = CrossChecker(vietnamese=False).check(bgr, lines, pieces[:-1], language="VIE")
    assert before[0].confidence < PIVOT  # RapidOCR's "Ch Si Phú Th" disagreed


def test_letters_agreement_forgives_only_the_letters_pp_ocrv6_cannot_write() -> None:
    assert letters_agreement("Ch Si Phú Th", "Chợ Sủi Phú Thị") == 1.0
    assert letters_agreement("HÓA DON", "HÓA ĐƠN") == 1.0  # marks stripped, letters kept
    assert letters_agreement("Cho Sui", "Chợ Sủi") == 1.0
    assert letters_agreement("Chugtr A.Lk", "Chuyên Sỉ & Lẻ") < 0.6  # other letters
    assert letters_agreement("", "") == 1.0
    assert base_letter("ợ") == "o"
    assert base_letter("Đ") == "D"
    assert base_letter("a") == "a"


def test_an_unsure_vietnamese_reading_gives_way_to_pp_ocrv6s() -> None:
    assert combine("Ch Si Phú Th", "Chợ Sủi Phú Thị", 0.95)[0] == "Chợ Sủi Phú Thị"
    text, signal = combine("Chuyen Si & lé:", "Chugtr.. A.Lk", 0.62)
    assert text == "Chuyen Si & lé:"
    assert signal < PIVOT


async def test_asposes_vietnamese_lines_are_cross_checked_by_the_vietnamese_model(
    ocr_pool: OcrPool,
) -> None:
    """Aspose (trial) in a real worker reads a VIE photo; its cross-check re-reads the line's
    rectangle with the Vietnamese model, whose reading (kept beside the line when it differs)
    has letters PP-OCRv6 cannot write ("ế", "ấ": RapidOCR gave "Ting Vit có du")."""
    note = ["Tiếng Việt có dấu", "Nhớ tưới cây", "Đi chợ sáng mai"]
    outcome = await ocr_pool.recognize(render_note(note), "VIE")
    checked = [line for line in outcome.lines if line.confidence_source is CROSSCHECK]
    assert checked, outcome.lines  # trial Aspose gives the first line a rectangle
    second = " ".join(checked[0].alternatives) or checked[0].text
    assert second.startswith("Tiếng Vi"), checked[0]


def test_the_vietnamese_crosscheck_crop_is_padded_above_and_below_only() -> None:
    from PIL import Image

    from bot.ocr.engines.crosscheck import VIETNAMESE_PAD_SHARE, crop

    bgr = to_bgr(Image.new("RGB", (100, 50), "white"))
    assert VIETNAMESE_PAD_SHARE == 0.10
    assert crop(bgr, (10, 10, 20, 20), VIETNAMESE_PAD_SHARE, sides=False).shape[:2] == (24, 20)
