"""RapidOCR's page reading, rule by rule: on rendered images read by the real models (the
orientation re-read, the second reading of a misplaced region) and on plain boxes (reading
order, grown regions)."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from bot.ocr.engines.layout import reading_order
from bot.ocr.engines.rapid_reader import RapidReader, Reading, cut_region, grown, to_bgr
from bot.ocr.engines.rereading import second_opinions
from bot.ocr.engines.scoring import AGREEMENT_CUT, PIVOT, calibrated
from bot.ocr.images.intake import prepare_for_ocr
from tests.support.images import NOTE_LINES, font, render_note


@pytest.fixture(scope="module")
def reader() -> RapidReader:
    return RapidReader()


def test_a_region_the_classifier_turns_over_is_read_the_right_way_up(reader) -> None:
    """RapidOCR's direction classifier calls "QA" upside down (score > 0.9, so its own
    pipeline turns it over and reads "VO"): the reader reads it both ways and keeps the
    better-scored reading, the right way up."""
    image = Image.new("RGB", (120, 80), "white")
    ImageDraw.Draw(image).text((20, 12), "QA", font=font(44), fill="black")
    bgr = to_bgr(image)
    _, classes = reader._engine.cls_and_rotate([bgr])
    ((label, certainty),) = classes.cls_res
    assert (label, certainty > 0.9) == ("180", True)  # the premise
    own = reader._engine(bgr, use_det=False, use_cls=True, use_rec=True)
    assert own.txts[0] != "QA"  # how RapidOCR's own pipeline (the bot before) reads it
    (reading,) = reader.read([bgr])
    assert reading.text == "QA"
    assert not reading.turned


def test_a_misplaced_region_is_flagged_by_its_second_reading(reader) -> None:
    """A region half a line too low reads "Call Alice" wrong; read again with a margin it
    reads right: the two disagree, so the line is flagged, and the right reading is kept as
    an alternative (for search)."""
    bgr = to_bgr(prepare_for_ocr(render_note(NOTE_LINES)))
    quads = [quad for quad, _ in reader.read_lines(bgr)]
    line, below = quads[2], quads[3]  # "Call Alice", "Water the plants"
    height = line[3][1] - line[0][1]
    top = line[0][1] + height / 2
    left, right = min(line[0][0], below[0][0]), max(line[1][0], below[1][0])
    misplaced = ((left, top), (right, top), (right, top + height), (left, top + height))
    (first,) = reader.read([cut_region(bgr, misplaced)])
    assert first.text != "Call Alice"
    (opinion,) = second_opinions(reader, bgr, [misplaced], [first])
    assert opinion.other is not None
    assert opinion.other.text == "Call Alice"
    assert opinion.agreement < AGREEMENT_CUT
    assert calibrated(0.99, 1.0, opinion.agreement) < PIVOT  # flagged however sure the score


def test_a_sure_line_is_not_read_again(reader) -> None:
    bgr = to_bgr(prepare_for_ocr(render_note(NOTE_LINES)))
    quads = [quad for quad, _ in reader.read_lines(bgr)]
    sure = Reading("Buy milk today", 0.999)
    assert second_opinions(reader, bgr, quads[:1], [sure])[0].other is None


def test_grown_region_keeps_its_direction_and_grows_by_the_text_height() -> None:
    flat = ((10.0, 10.0), (110.0, 10.0), (110.0, 30.0), (10.0, 30.0))
    assert grown(flat, 0.5) == ((0.0, 0.0), (120.0, 0.0), (120.0, 40.0), (0.0, 40.0))
    upright = ((10.0, 110.0), (10.0, 10.0), (30.0, 10.0), (30.0, 110.0))  # read bottom-up
    assert grown(upright, 0.5) == ((0.0, 120.0), (0.0, 0.0), (40.0, 0.0), (40.0, 120.0))


def test_reading_order_keeps_columns_and_diagram_parts_together() -> None:
    """Two columns of notes written apart (their lines on rows of their own): the left one
    is read whole before the right one (RapidOCR's own order interleaves them)."""
    left = [(20, 20 + 60 * row, 300, 40) for row in range(4)]
    right = [(700, 45 + 60 * row, 300, 40) for row in range(3)]
    boxes = [box for pair in zip(left, right, strict=False) for box in pair] + left[3:]
    order = reading_order(boxes)
    assert [boxes[index] for index in order] == left + right


def test_reading_order_reads_a_table_by_rows() -> None:
    """A receipt's items and prices: columns whose lines share rows are read row by row."""
    items = [(20, 20 + 50 * row, 300, 30) for row in range(4)]
    prices = [(800, 22 + 50 * row, 100, 30) for row in range(4)]
    order = reading_order(prices + items)
    expected = [box for pair in zip(items, prices, strict=True) for box in pair]
    assert [(prices + items)[index] for index in order] == expected
