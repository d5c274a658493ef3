"""Every line has a place: a line Aspose gives no rectangle for is placed with RapidOCR's
detector (real engines on a rendered page), and the matching rules on their own."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import pytest

from bot.domain.models import ConfidenceSource
from bot.ocr.backends.pool import OcrPool
from bot.ocr.engines.parse import ParsedLine
from bot.ocr.engines.placing import Region, between, place, row_order
from tests.support.images import BOXLESS_LINE, BOXLESS_ROWS, render_rows


def raw_aspose_lines(resources: str) -> tuple[bool, list[tuple[str, bool]]]:
    """In a child process (the engine is never loaded into the test process): whether Aspose
    is licensed, and each line of its raw output for BOXLESS_ROWS with whether its text has a
    rectangle among the engine's line rectangles."""
    from bot.ocr.contract import EngineConfig
    from bot.ocr.engines.aspose import AsposeEngine
    from bot.ocr.engines.parse import EngineLine, parse_engine_output
    from bot.ocr.images.intake import prepare_for_ocr, to_png

    engine = AsposeEngine(EngineConfig(resources_dir=resources, auto_download=False))
    results, _ = engine._run(to_png(prepare_for_ocr(render_rows(BOXLESS_ROWS))), "ENG")
    parsed: list[ParsedLine] = []
    for result in results:
        engine_lines = [
            EngineLine(str(line.text_in_line), 0.0, (line.line.x, line.line.y, 1, 1))
            for line in result.recognition_lines_result
        ]
        parsed += parse_engine_output(str(result.recognition_text), engine_lines, [])[0]
    return engine.licensed, [(line.text, bool(line.pieces)) for line in parsed]


def test_aspose_in_trial_mode_gives_the_test_line_no_rectangle(tmp_path) -> None:
    """The premise of the placing tests: trial Aspose's raw output for BOXLESS_ROWS has the
    line in its text but no rectangle for it."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as child:
        licensed, lines = child.submit(raw_aspose_lines, str(tmp_path)).result(timeout=300)
    if licensed:
        pytest.skip("a licensed Aspose reads the whole page: the trial premise does not hold")
    assert (BOXLESS_LINE, False) in lines


async def test_the_line_is_placed_and_crosschecked_in_the_worker(ocr_pool: OcrPool) -> None:
    outcome = await ocr_pool.recognize(render_rows(BOXLESS_ROWS), crop_below=1.01)
    pairs = zip(outcome.lines, outcome.crops, strict=True)
    line, piece = next((line, piece) for line, piece in pairs if line.text == BOXLESS_LINE)
    assert line.confidence_source is ConfidenceSource.CROSSCHECK
    assert line.box is not None
    x, y, _, height = line.box
    assert x > 600  # the right column
    assert y + height < 120  # of the first row
    assert piece is not None  # the review prompt's picture
    # What RapidOCR read there, beyond the trial's cut, is kept for search.
    assert any("Drapont" in reading for reading in line.alternatives)
    assert all(line.box is not None for line in outcome.lines)


def test_a_line_is_placed_on_the_run_of_regions_that_reads_like_it() -> None:
    regions = [
        Region((20, 20, 150, 40), "Zorblat"),
        Region((700, 22, 300, 40), "Quexx Vimble"),
        Region((1010, 20, 250, 40), "Drapont Sklee"),
        Region((20, 120, 300, 40), "Meeting at noon"),
    ]
    joined = place("Quexx Vimble Drapont Sklee", regions)
    assert joined is not None
    assert joined.indices == (1, 2)
    assert joined.agreement == 1.0
    assert not joined.cut
    cut = place("Quexx Vimble Drap", regions)  # a trial line cut short
    assert cut is not None
    assert cut.indices == (1, 2)
    assert cut.cut
    misread = place("Meetng at nocn", regions)  # a wrong line is still placed
    assert misread is not None
    assert misread.indices == (3,)
    assert 0.5 <= misread.agreement < 0.9
    assert place("Meeting at noon", regions, taken={3}) is None
    assert place("Something else entirely", regions) is None


def test_regions_are_joined_in_rows_left_to_right() -> None:
    regions = [
        Region((700, 25, 300, 40), "right"),
        Region((20, 120, 300, 40), "second row"),
        Region((20, 20, 150, 40), "left"),
    ]
    assert row_order(regions) == [2, 0, 1]


def test_a_line_found_nowhere_gets_the_band_between_its_neighbours() -> None:
    page = (1000, 800)
    first, third = (100, 100, 600, 40), (80, 260, 500, 40)
    # Between a line above and one below: from the first's bottom to the third's top.
    assert between([first, None, third], 1, page) == (80, 140, 620, 120)
    # Neighbours on one row (or closer than a line's height): the band around both.
    left, right = (100, 100, 300, 40), (450, 105, 300, 40)
    assert between([left, None, right], 1, page) == (100, 100, 650, 45)
    # Only a line before it: one line's height below that line; only one after: above it.
    assert between([first, None, None], 2, page) == (100, 140, 600, 40)
    assert between([None, third], 0, page) == (80, 220, 500, 40)
    # No neighbour with a place, or a band outside the page: the whole page.
    assert between([None, None], 1, page) == (0, 0, 1000, 800)
    assert between([None, (0, 0, 500, 40)], 0, page) == (0, 0, 1000, 800)  # above the top
