"""Whether Aspose's model store can be had is found out fast, once, and remembered."""

from __future__ import annotations

import os
import time
from pathlib import Path

from bot.ocr.engines.aspose_models import HANDWRITING_MODEL, UNREACHABLE_MARKER, ModelStore


def store(folder: Path, *, auto_download: bool = True, recheck_s: float = 3600) -> ModelStore:
    folder.mkdir(exist_ok=True)
    return ModelStore(folder, openssl_dir=None, auto_download=auto_download, recheck_s=recheck_s)


def test_downloads_off_means_unreachable_without_asking(tmp_path: Path) -> None:
    models = store(tmp_path / "res", auto_download=False)
    assert models.reachable() is False
    assert not (tmp_path / "res" / UNREACHABLE_MARKER).exists()


def test_offline_the_store_is_found_unreachable_and_remembered(tmp_path: Path) -> None:
    """A real probe (a child process asking the engine for the store): this machine has no
    internet, so the answer is 'unreachable', and the marker makes every process using this
    folder skip the question until it is older than recheck_s."""
    folder = tmp_path / "res"
    assert store(folder).reachable() is False
    marker = folder / UNREACHABLE_MARKER
    asked_at = marker.stat().st_mtime_ns
    assert store(folder).reachable() is False  # another process: reads the marker
    assert marker.stat().st_mtime_ns == asked_at
    old = time.time() - 120
    os.utime(marker, (old, old))
    assert store(folder, recheck_s=60).reachable() is False  # too old: asked again
    assert marker.stat().st_mtime_ns > asked_at


def test_a_model_counts_only_when_its_file_is_there(tmp_path: Path) -> None:
    models = store(tmp_path / "res")
    assert not models.has(HANDWRITING_MODEL)
    (tmp_path / "res" / HANDWRITING_MODEL).write_bytes(b"")
    assert not models.has(HANDWRITING_MODEL)  # an empty (interrupted) download
    (tmp_path / "res" / HANDWRITING_MODEL).write_bytes(b"model")
    assert models.has(HANDWRITING_MODEL)
