"""Checks and normalisation of incoming images, before any OCR work.

Reading only the header (cheap) lets us refuse bombs, absurd sizes, animations and non-images
with a polite reason before the engine sees them; normalising (EXIF rotation, RGB, PNG) gives the
engine one predictable input format whatever the phone sent.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from bot.domain.models import ImageFlaw

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "BMP", "TIFF", "GIF", "MPO"})
MIN_SIDE = 8
MAX_SIDE = 20_000
# Larger images are downscaled before OCR: Telegram gives compressed photos at most this side
# anyway, and on 12 MP pages it saves 15-30% of the engine's time with the same text
# (BENCHMARKS.md, "Downscaling").
DEFAULT_OCR_MAX_SIDE = 2560
# A strip (sides further apart than this) is downscaled by its short side instead: scaled by
# its long side, a 20000×60 strip of text would become 2560×8, unreadable. Its short side is
# kept at max_side / STRIP_RATIO at least, so its pixels stay under 20000 × 160.
STRIP_RATIO = 16


class ImageRejected(ValueError):
    """The file is not something we can OCR; `flaw` says why (`messages` words it)."""

    def __init__(self, flaw: ImageFlaw, detail: str = "") -> None:
        super().__init__(f"{flaw}: {detail}" if detail else str(flaw))
        self.flaw = flaw
        self.detail = detail  # the format or the size, for the user's message


@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int
    height: int

    @property
    def pixels(self) -> int:
        return self.width * self.height


def inspect_image(data: bytes, *, max_pixels: int) -> ImageInfo:
    """Validate an image from its header; raises ImageRejected with a reason for the user."""
    if not data:
        raise ImageRejected(ImageFlaw.EMPTY)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                fmt = image.format or "unknown"
                width, height = image.size
                frames = getattr(image, "n_frames", 1)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(ImageFlaw.BOMB) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ImageRejected(ImageFlaw.NOT_AN_IMAGE) from None
    if fmt not in ACCEPTED_FORMATS:
        raise ImageRejected(ImageFlaw.FORMAT, fmt)
    if frames > 1 and fmt not in {"TIFF", "MPO"}:
        raise ImageRejected(ImageFlaw.ANIMATED)
    if min(width, height) < MIN_SIDE:
        raise ImageRejected(ImageFlaw.TOO_SMALL)
    if max(width, height) > MAX_SIDE or width * height > max_pixels:
        raise ImageRejected(ImageFlaw.TOO_LARGE, f"{width}×{height}")
    return ImageInfo(fmt, width, height)


def prepare_for_ocr(data: bytes, *, max_side: int = DEFAULT_OCR_MAX_SIDE) -> Image.Image:
    """The pixels every engine reads: EXIF rotation applied, RGB or L, longest side at most
    `max_side`. Line boxes are in this image's pixels, so crops are cut from it.

    Raises ImageRejected when the pixel data turns out to be corrupt (a valid header does
    not guarantee a decodable body).
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.seek(0)
            upright = ImageOps.exif_transpose(image)
            if upright.mode not in ("RGB", "L"):
                background = Image.new("RGB", upright.size, "white")
                rgba = upright.convert("RGBA")
                background.paste(rgba, mask=rgba.getchannel("A"))
                upright = background
            scale = ocr_scale(upright.size, max_side)
            if scale < 1:
                longest = max(1, round(max(upright.size) * scale))
                upright = upright.copy()
                upright.thumbnail((longest, longest), Image.Resampling.LANCZOS)
            upright.load()
            return upright
    except (OSError, SyntaxError, ValueError):
        raise ImageRejected(ImageFlaw.DAMAGED) from None


def ocr_scale(size: tuple[int, int], max_side: int) -> float:
    """How much to shrink an image before OCR (1: not at all): its long side to `max_side`,
    a strip's long side counted as at most STRIP_RATIO times its short side."""
    long_side, short_side = max(size), min(size)
    return min(1.0, max_side / min(long_side, short_side * STRIP_RATIO))


def to_png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def normalize_for_ocr(data: bytes, *, max_side: int = DEFAULT_OCR_MAX_SIDE) -> bytes:
    """`prepare_for_ocr` as PNG bytes (what Aspose is given)."""
    return to_png(prepare_for_ocr(data, max_side=max_side))
