"""Preparing a photo's pixels before an engine reads them (beyond EXIF rotation and size).

Of what the field does for phone photos of paper and whiteboards (flattening uneven light,
contrast, grayscale, deskew, enlarging small text), only flattening the background lowered the
error rate on real photos in our measurements, and only for RapidOCR on whiteboards; it does
nothing for Aspose (BENCHMARKS.md, "Preparing photos"). So it is one switch, `OCR_FLATTEN`.
"""

from __future__ import annotations

from typing import Any

from PIL import Image

# Working size of the background estimate, and the closing kernel as a share of its short
# side: larger than pen strokes, smaller than the light's gradients.
WORKING_SIDE = 800
KERNEL_SHARE = 1 / 25


def flatten_background(image: Image.Image) -> Image.Image:
    """Divide each channel by an estimate of the paper or board behind the ink (a grey
    closing at reduced size, blurred): uneven light and tinted backgrounds become white."""
    import cv2
    import numpy as np

    pixels: Any = np.asarray(image.convert("RGB"))
    height, width = pixels.shape[:2]
    scale = min(1.0, WORKING_SIDE / max(height, width))
    small = cv2.resize(
        pixels,
        (max(1, int(width * scale)), max(1, int(height * scale))),
        interpolation=cv2.INTER_AREA,
    )
    kernel_side = max(5, int(min(small.shape[:2]) * KERNEL_SHARE) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (kernel_side, kernel_side))
    background = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel)
    background = cv2.GaussianBlur(background, (0, 0), kernel_side / 2)
    background = cv2.resize(background, (width, height), interpolation=cv2.INTER_LINEAR)
    flat = pixels.astype(np.float32) / np.maximum(background.astype(np.float32), 1.0) * 255.0
    return Image.fromarray(np.clip(flat, 0, 255).astype(np.uint8), "RGB")


def prepare_pixels(image: Image.Image, flatten: bool) -> Image.Image:
    """What the engine is given: the image itself, or its flattened copy (same size, so line
    boxes stay in the pixels of the prepared image)."""
    return flatten_background(image) if flatten else image
