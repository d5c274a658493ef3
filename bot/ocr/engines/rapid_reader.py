"""RapidOCR (PP-OCRv6, ONNX models inside the `rapidocr` wheel), as steps the engines combine.

`detect` finds the text regions of a page (four corner points each); `read` reads cut-out
regions.
Regions are cut from the full-resolution pixels (RapidOCR's own pipeline cuts them from the
copy it shrank for the detector), straightened along their corner points, and each is read in
the orientation that scores best when the direction classifier turns it upside down: that
classifier takes capital letters for upside-down text (BENCHMARKS.md §10).
Nothing is downloaded at run time: the models are files of the installed package.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.domain.models import Box, ImageFlaw
from bot.ocr.engines.layout import reading_order
from bot.ocr.images.intake import ImageRejected

# Four corner points (x, y), clockwise from the top left of the text.
Quad = tuple[tuple[float, float], ...]

# The page detector's settings, measured on the development set (BENCHMARKS.md §10): the
# page is shrunk to 1280 px on its longer side for the detector (RapidOCR's default shrinks
# it to 2000 px and enlarges small images to 736 px on the shorter side: handwriting and
# whiteboard words were cut into pieces more often, and it costs more), boxes kept from 0.4
# and grown by 1.8 (its defaults 0.5 / 1.6 dropped whole lines of a curved book page and of
# small whiteboard text).
DETECTOR_PARAMS: dict[str, Any] = {
    "Det.limit_type": "max",
    "Det.limit_side_len": 1280,
    "Det.box_thresh": 0.4,
    "Det.unclip_ratio": 1.8,
}
UPSIDE_DOWN = "180"
# RapidOCR drops regions it scores under 0.5 (its `text_score`): mostly strokes read as text.
MIN_SCORE = 0.5
# RapidOCR's refusals of an image it can't scale for its models (an extreme strip given whole):
# the image's fault. Told by name: rapidocr 3.x defines the class twice, in internal modules.
REFUSALS = frozenset({"ResizeImgError"})


def rapidocr_installed() -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec("rapidocr") is not None
    except ImportError:
        return False


@dataclass(frozen=True)
class Reading:
    """One region's text and RapidOCR's score for it (the mean of its characters' scores)."""

    text: str
    score: float
    turned: bool = False  # read upside down (the region's text is rotated by 180°)


NOTHING = Reading("", 0.0)


def box_of(points: Any) -> Box:
    """The axis-aligned (x, y, w, h) of a detector quadrilateral (four corner points)."""
    xs = [float(point[0]) for point in points]
    ys = [float(point[1]) for point in points]
    x, y = max(0, round(min(xs))), max(0, round(min(ys)))
    return x, y, max(1, round(max(xs)) - x), max(1, round(max(ys)) - y)


def cut_region(bgr: Any, quad: Quad) -> Any:
    """The region straightened along its corner points (RapidOCR's own perspective cut; a
    region much taller than wide is turned to lie flat)."""
    import numpy as np
    from rapidocr.utils.process_img import get_rotate_crop_image

    return get_rotate_crop_image(bgr, np.array(quad, dtype=np.float32))


def grown(quad: Quad, share: float) -> Quad:
    """`quad` grown on every side by `share` of its text's height (its shorter side), along
    its own edges."""
    import numpy as np

    points = np.array(quad, dtype=np.float64)
    along = points[1] - points[0]
    across = points[3] - points[0]
    step = share * min(np.linalg.norm(along), np.linalg.norm(across))
    unit_along = along / max(np.linalg.norm(along), 1e-6)
    unit_across = across / max(np.linalg.norm(across), 1e-6)
    moves = np.array(
        [
            -unit_along - unit_across,
            unit_along - unit_across,
            unit_along + unit_across,
            -unit_along + unit_across,
        ]
    )
    return tuple((float(x), float(y)) for x, y in (points + step * moves).tolist())


def to_bgr(image: Any) -> Any:
    """A Pillow image as the BGR uint8 array OpenCV-based engines expect."""
    import numpy as np

    return np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])


class RapidReader:
    """One RapidOCR instance. Every call passes use_det/use_cls/use_rec explicitly: RapidOCR
    3.x keeps call flags between calls, so a recognition-only call would otherwise make the
    next page call skip detection."""

    def __init__(self, detector: dict[str, Any] | None = None) -> None:
        from rapidocr import RapidOCR

        params = {**(DETECTOR_PARAMS if detector is None else detector)}
        # Any: its result type is a union over call flags that mypy can't narrow.
        self._engine: Any = RapidOCR(params={**params, "Global.log_level": "warning"})

    def detect(self, bgr: Any) -> list[Quad]:
        """The text regions of a page, in RapidOCR's order (top to bottom, left to right).
        Raises ImageRejected when the engine refuses the image (its size, its shape)."""
        try:
            found = self._engine(bgr, use_det=True, use_cls=False, use_rec=False)
        except Exception as error:
            if type(error).__name__ not in REFUSALS:
                raise
            height, width = bgr.shape[:2]
            raise ImageRejected(ImageFlaw.REFUSED, f"{width}×{height}") from None
        if getattr(found, "boxes", None) is None:
            return []
        return [tuple((float(x), float(y)) for x, y in quad) for quad in found.boxes]

    def read(self, crops: Sequence[Any], classify: bool = True) -> list[Reading]:
        """Each crop's reading (batched). With `classify`, a crop the direction classifier
        calls upside down (however unsure) is read both ways and the better-scored reading
        is kept: the classifier takes capital letters for upside-down text."""
        usable = [index for index, crop in enumerate(crops) if min(crop.shape[:2]) >= 2]
        readings = [NOTHING] * len(crops)
        if not usable:
            return readings
        images = [crops[index] for index in usable]
        flipped: list[int] = []
        if classify:
            _, classes = self._engine.cls_and_rotate(images)
            flipped = [
                position
                for position, (label, _) in enumerate(classes.cls_res)
                if str(label) == UPSIDE_DOWN
            ]
        turned = [images[position][::-1, ::-1] for position in flipped]
        found = self._recognize(images + turned)
        for position, index in enumerate(usable):
            readings[index] = found[position]
        for extra, position in enumerate(flipped):
            index = usable[position]
            other = replace(found[len(usable) + extra], turned=True)
            if other.score > readings[index].score:
                readings[index] = other
        return readings

    def _recognize(self, images: list[Any]) -> list[Reading]:
        result = self._engine.recognize_txt(images)
        return [
            Reading(" ".join(str(text).split()), float(score))
            for text, score in zip(result.txts, result.scores, strict=True)
        ]

    def read_lines(self, bgr: Any, classify: bool = True) -> list[tuple[Quad, Reading]]:
        """Detect and read every region: (corner points, reading), in the detector's order;
        regions read as nothing are left out."""
        quads = self.detect(bgr)
        readings = self.read([cut_region(bgr, quad) for quad in quads], classify)
        pairs = zip(quads, readings, strict=True)
        return [(quad, reading) for quad, reading in pairs if reading.text]

    def read_page(self, bgr: Any) -> list[tuple[str, float, Box]]:
        """Every line of `bgr` RapidOCR scores from MIN_SCORE up, as (text, score, box), in
        reading order (`layout`). Raises ImageRejected like `detect`."""
        found = [(q, r) for q, r in self.read_lines(bgr) if r.score >= MIN_SCORE]
        boxes = [box_of(quad) for quad, _ in found]
        return [(found[i][1].text, found[i][1].score, boxes[i]) for i in reading_order(boxes)]

    def read_crop(self, bgr: Any) -> tuple[str, float]:
        """Recognition only, on an image holding one line: (text, score)."""
        (reading,) = self.read([bgr], classify=False)
        return reading.text, reading.score
