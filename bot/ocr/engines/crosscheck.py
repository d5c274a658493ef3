"""A second opinion on each line the primary engine gave no confidence for.

RapidOCR reads, recognition only, the rectangle the primary engine reported for the line
(padded by 15% of the line's height, from the same prepared pixels): a crop costs a few
milliseconds, so the whole check adds ~4% to a photo's OCR time, far less than detecting the
page again. How closely the two readings agree is the strongest signal we measured of whether
the line is right (BENCHMARKS.md, "Quality"). Vietnamese lines are re-read by the Vietnamese
line recognizer instead (RapidOCR's model drops most Vietnamese letters, so it would disagree
with every right line), on the rectangle padded only above and below: that model adds its own
margins, but Aspose's rectangle can leave out the dot under a letter (BENCHMARKS.md §13).
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from bot.domain.models import Box, ConfidenceSource, RecognizedLine
from bot.ocr.engines.parse import ParsedLine, union
from bot.ocr.engines.placing import Region, between, place
from bot.ocr.engines.prerequisites import EngineUnavailable
from bot.ocr.engines.rapid_reader import RapidReader, box_of, cut_region, rapidocr_installed
from bot.ocr.engines.scoring import agreement, crosschecked
from bot.ocr.engines.vietnamese import LANGUAGE as VIETNAMESE
from bot.ocr.engines.vietnamese import VietnameseRecognizer, vietnamese_installed

PAD_SHARE = 0.15  # of the line's height, on every side
VIETNAMESE_PAD_SHARE = 0.10  # of the line's height, above and below only
# The agreement of a line that the second engine's detector found nowhere on the photo
# (placing): its reading agrees with no region, so the line is flagged like a disagreement.
# Trial Aspose's unplaced lines are noise it read ("t", "4444", "Pos+-/A P1oLos"): on the
# held-out photos 16 of 238 lines, flag recall 96.0 -> 97.1% and no right line flagged (the
# development set has no such line, so this is a rule, not a tuned cut).
NOT_FOUND = 0.0
CROSSCHECK = ConfidenceSource.CROSSCHECK


def crop(bgr: Any, box: Box, pad_share: float = PAD_SHARE, sides: bool = True) -> Any:
    """The line's rectangle, padded (left and right too unless `sides` is False) and clipped
    to the image."""
    x, y, width, height = box
    pad = pad_share * height
    side = pad if sides else 0.0
    rows, cols = bgr.shape[:2]
    left, top = max(0, int(x - side)), max(0, int(y - pad))
    right = min(cols, int(x + width + side + 0.999))
    bottom = min(rows, int(y + height + pad + 0.999))
    return bgr[top:bottom, left:right]


class CrossChecker:
    """Holds its own RapidOCR instance (RapidOCR keeps call flags between calls, so it is
    never shared with a page reader)."""

    def __init__(self, vietnamese: bool = True) -> None:
        try:
            self._reader = RapidReader()
        except ImportError as error:
            raise EngineUnavailable(
                f"OCR_CROSSCHECK is on but RapidOCR can't be loaded ({error}); "
                "install `rapidocr` and `onnxruntime`, or set OCR_CROSSCHECK=false"
            ) from None
        self._vietnamese_wanted = vietnamese
        self._vietnamese: VietnameseRecognizer | None = None  # loaded with the first VIE photo

    def place_missing(self, bgr: Any, lines: list[ParsedLine]) -> list[ParsedLine]:
        """Lines the engine gave no rectangle for, placed with RapidOCR's detector: the page's
        text regions are found, the ones no placed line covers are read, and each line gets
        the run of regions whose reading matches its text (`placing.place`). A line no run
        matches gets no pieces (`check` flags it) and, as its box, the band between its
        neighbours (`placing.between`)."""
        if all(line.pieces for line in lines):
            return lines
        placed_boxes = [box for line in lines for box in line.pieces]
        quads = [
            quad
            for quad in self._reader.detect(bgr)
            if not any(covers(box, box_of(quad)) for box in placed_boxes)
        ]
        readings = self._reader.read([cut_region(bgr, quad) for quad in quads])
        regions = [
            Region(box_of(quad), reading.text)
            for quad, reading in zip(quads, readings, strict=True)
        ]
        taken: set[int] = set()
        found = []
        for line in lines:
            placement = None if line.pieces else place(line.text, regions, taken)
            if placement is None:
                found.append(line)
                continue
            taken.update(placement.indices)
            pieces = [regions[index].box for index in placement.indices]
            found.append(replace(line, box=union(pieces), pieces=pieces, cut=placement.cut))
        # Lines matching no region keep no pieces (nothing to cross-check: `check` flags them)
        # but get the band where the engine's order puts them, for their prompt and outline.
        boxes = [line.box for line in found]
        page = (int(bgr.shape[1]), int(bgr.shape[0]))
        return [
            line if line.box is not None else replace(line, box=between(boxes, index, page))
            for index, line in enumerate(found)
        ]

    def _vietnamese_reader(self, language: str | None) -> VietnameseRecognizer | None:
        if language != VIETNAMESE or not self._vietnamese_wanted or not vietnamese_installed():
            return None
        if self._vietnamese is None:
            self._vietnamese = VietnameseRecognizer()
        return self._vietnamese

    def second_reading(self, bgr: Any, pieces: list[Box], language: str | None = None) -> str:
        """The second reader's reading of the line's pieces (in the line's order), joined:
        RapidOCR's, or the Vietnamese model's for a Vietnamese photo."""
        vietnamese = self._vietnamese_reader(language)
        if vietnamese is not None:
            crops = [crop(bgr, box, VIETNAMESE_PAD_SHARE, sides=False) for box in pieces]
            return " ".join(text for text, _ in vietnamese.read(crops))
        return " ".join(self._reader.read_crop(crop(bgr, box))[0] for box in pieces)

    def check(
        self,
        bgr: Any,
        lines: list[RecognizedLine],
        pieces: list[list[Box]],
        cut: list[bool] | None = None,
        language: str | None = None,
    ) -> tuple[list[RecognizedLine], float]:
        """Lines with only the dictionary estimate (ESTIMATE) get a CROSSCHECK confidence
        from how much the second reading agrees with them (and the estimate, only when it
        says noise: `scoring.crosschecked`); a line without a place (no box in its `pieces`,
        which `place_missing` could not find) is flagged as read nowhere. `pieces` are
        each line's boxes (several when the engine made one text line of several of its
        lines); `cut` says which texts show only the start of their box's line (trial
        truncation): those are compared with the start of the second reading (`same_start`);
        `language` is the photo's OCR language (VIE picks the Vietnamese reader). Returns the
        lines and the seconds spent."""
        started = time.monotonic()
        checked: list[RecognizedLine] = []
        for line, boxes, short in zip(lines, pieces, cut or [False] * len(lines), strict=True):
            if line.confidence_source is not ConfidenceSource.ESTIMATE:
                checked.append(line)
                continue
            if not boxes:  # `place_missing` found nothing on the photo that reads like it
                confidence = crosschecked(NOT_FOUND, line.confidence)
                checked.append(replace(line, confidence=confidence, confidence_source=CROSSCHECK))
                continue
            second = self.second_reading(bgr, boxes, language)
            agree = agreement(line.text, same_start(line.text, second) if short else second)
            confidence = crosschecked(agree, line.confidence)
            checked.append(
                RecognizedLine(
                    line.text,
                    confidence,
                    CROSSCHECK,
                    line.box,
                    alternatives=other_readings(line.text, second),
                )
            )
        return checked, time.monotonic() - started


def covers(box: Box, region: Box) -> bool:
    """Most (over half) of `region` lies inside `box`."""
    left, top = max(box[0], region[0]), max(box[1], region[1])
    right = min(box[0] + box[2], region[0] + region[2])
    bottom = min(box[1] + box[3], region[1] + region[3])
    inside = max(0, right - left) * max(0, bottom - top)
    return inside > 0.5 * region[2] * region[3]


def other_readings(shown: str, *readings: str) -> tuple[str, ...]:
    """The readings that differ from the shown text (whitespace aside), once each, in order."""
    seen = {" ".join(shown.split())}
    found = []
    for reading in readings:
        reading = " ".join(reading.split())
        if reading and reading not in seen:
            seen.add(reading)
            found.append(reading)
    return tuple(found)


def same_start(shown: str, second: str) -> str:
    """As much of the second reading as the shown text covers, to the end of the word where
    it stops: a trial line cut at "...all ty" is compared with "...all types", not with the
    rest of the line it never showed. (Measured on the development set: as many wrong lines
    flagged as comparing with the whole reading; on held-out photos fewer right lines
    flagged, BENCHMARKS.md.)"""
    end = len(shown)
    while end < len(second) and not second[end].isspace():
        end += 1
    return second[:end]


def crosscheck_wanted(setting: bool | None) -> bool:
    """OCR_CROSSCHECK: on, off, or (unset) on whenever RapidOCR is installed here."""
    return rapidocr_installed() if setting is None else setting
