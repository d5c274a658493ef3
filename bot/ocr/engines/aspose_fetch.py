"""`python -m bot.ocr.engines.aspose_fetch probe|fetch RESOURCES [OPENSSL_DIR] [MODEL]`.

Runs in a short-lived child of an OCR worker (see `bot.ocr.engines.aspose_models`): `probe` asks
Aspose's model store for its repository (exit 0 reachable, 3 not); `fetch` makes the engine
download the handwriting model into RESOURCES, with its own retries, away from any photo.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from bot.ocr.engines.aspose_models import (
    HANDWRITING_MODEL,
    REACHABLE,
    UNREACHABLE,
    UNREACHABLE_MARKER,
)
from bot.ocr.engines.prerequisites import prepare_engine_runtime

# What the engine's error says when the store's host can't be resolved or reached.
_NETWORK_WORDS = (
    "name or service not known",
    "no such host",
    "temporary failure in name resolution",
    "network is unreachable",
    "connection refused",
    "timed out",
    "no route to host",
)


def probe(ocr: object) -> int:
    try:
        ocr.Resources.get_repository()  # type: ignore[attr-defined]
    except RuntimeError as error:
        text = str(error).lower()
        return UNREACHABLE if any(word in text for word in _NETWORK_WORDS) else REACHABLE
    return REACHABLE


def fetch(ocr: object, resources: Path, model: str) -> int:
    """Let the engine download what its handwriting recognition needs (a tiny blank image)."""
    from PIL import Image

    api = ocr.AsposeOcr()  # type: ignore[attr-defined]
    buffer = io.BytesIO()
    Image.new("L", (64, 32), 255).save(buffer, format="PNG")
    source = ocr.OcrInput(ocr.InputType.SINGLE_IMAGE)  # type: ignore[attr-defined]
    source.add(io.BytesIO(buffer.getvalue()))
    try:
        api.recognize_handwritten_text(source)
    except RuntimeError as error:
        print(f"fetch failed: {str(error).splitlines()[0][:300]}", flush=True)
    if (resources / model).is_file():
        print(f"fetched {model}", flush=True)
        return 0
    (resources / UNREACHABLE_MARKER).touch()  # try again only after model_recheck_s
    return UNREACHABLE


def main(argv: list[str]) -> int:
    action, resources = argv[0], Path(argv[1])
    openssl = Path(argv[2]) if len(argv) > 2 and argv[2] else None
    model = argv[3] if len(argv) > 3 else HANDWRITING_MODEL
    prepare_engine_runtime(openssl)
    import aspose.ocr as ocr

    ocr.Resources.set_local_path(str(resources.resolve()))
    ocr.Logging.set_log_file_path(str(resources.resolve() / "Aspose.OCR.log.txt"))
    if action == "probe":
        return probe(ocr)
    ocr.Resources.allow_automatic_downloads(True)
    if probe(ocr) != REACHABLE:
        (resources / UNREACHABLE_MARKER).touch()
        return UNREACHABLE
    return fetch(ocr, resources, model)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
