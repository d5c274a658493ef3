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

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "BMP", "TIFF", "GIF", "MPO"})
MIN_SIDE = 8
MAX_SIDE = 20_000
# Larger images are downscaled before OCR: Telegram gives compressed photos at most this side
# anyway, and on 12 MP pages it saves 15-30% of the engine's time with the same text
# (BENCHMARKS.md, "Downscaling").
DEFAULT_OCR_MAX_SIDE = 2560


class ImageRejected(ValueError):
    """The file is not something we can OCR; `user_message` says why, politely."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


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
        raise ImageRejected("That file is empty, so there is nothing to read.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                fmt = image.format or "unknown"
                width, height = image.size
                frames = getattr(image, "n_frames", 1)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected("That image is far too large to process.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ImageRejected("I couldn't open that file as an image. Is it a photo?") from None
    if fmt not in ACCEPTED_FORMATS:
        raise ImageRejected(f"I can't read {fmt} images. Please send a JPEG, PNG or WebP photo.")
    if frames > 1 and fmt not in {"TIFF", "MPO"}:
        raise ImageRejected("That's an animated image. Please send a still photo of your notes.")
    if min(width, height) < MIN_SIDE:
        raise ImageRejected("That image is too small to contain readable text.")
    if max(width, height) > MAX_SIDE or width * height > max_pixels:
        raise ImageRejected(
            f"That image is too large ({width}×{height}). Please send a smaller photo."
        )
    return ImageInfo(fmt, width, height)


def normalize_for_ocr(data: bytes, *, max_side: int = DEFAULT_OCR_MAX_SIDE) -> bytes:
    """Apply EXIF rotation, flatten to RGB, downscale huge images, return PNG bytes.

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
            if max(upright.size) > max_side:
                upright = upright.copy()
                upright.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            upright.save(out, format="PNG", compress_level=1)
            return out.getvalue()
    except (OSError, SyntaxError, ValueError):
        raise ImageRejected("That image seems to be damaged; I couldn't read it.") from None
