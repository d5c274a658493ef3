"""Prepare the process for Aspose OCR's bundled .NET Core 3.1 runtime.

The runtime needs OpenSSL 1.1 and either ICU or invariant globalization. When either is missing
it aborts the whole process natively at the first OCR call, so we check and fix both *before*
the engine is touched and turn a missing piece into a clear Python exception.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_OPENSSL_DIR = PROJECT_ROOT / "vendor" / "openssl11"
_LIBS = ("libcrypto.so.1.1", "libssl.so.1.1")  # libcrypto first: libssl depends on it
_loaded = False


class EngineUnavailable(RuntimeError):
    """The OCR engine cannot run on this machine; the message says how to fix it."""


def openssl_dir() -> Path:
    return Path(os.environ.get("ASPOSE_OPENSSL_DIR") or DEFAULT_OPENSSL_DIR)


def prepare_engine_runtime(folder: Path | None = None) -> None:
    """Make OpenSSL 1.1 loadable by name and disable ICU lookups; idempotent.

    `folder` holds the two libraries (ASPOSE_OPENSSL_DIR); None means the environment's
    setting or the project's `vendor/openssl11`. Loading the libraries with RTLD_GLOBAL means
    the runtime's later `dlopen("libssl.so.1.1")` finds the already-loaded copies, so no
    LD_LIBRARY_PATH is needed before Python starts.
    """
    global _loaded
    if _loaded:
        os.environ.setdefault("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
        return
    check_engine_runtime(folder)
    try:
        import aspose.ocr  # noqa: F401  (import only; the runtime starts at the first call)
    except ImportError as error:
        raise EngineUnavailable(
            f"aspose-ocr-python-net is not installed ({error}); run `make setup`"
        ) from None
    _loaded = True


def check_engine_runtime(folder: Path | None = None) -> None:
    """Everything `prepare_engine_runtime` checks, without importing the engine.

    For a process that forks its OCR workers (`python -m bot worker`): a child forked after
    `import aspose.ocr` crashes (SIGSEGV) at its first recognition, measured here, so the
    parent only checks and each child imports the engine itself.
    """
    os.environ.setdefault("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
    folder = folder or openssl_dir()
    for name in _LIBS:
        candidate = folder / name
        target = str(candidate) if candidate.is_file() else name  # fall back to the system's
        try:
            ctypes.CDLL(target, mode=ctypes.RTLD_GLOBAL)
        except OSError:
            raise EngineUnavailable(
                f"OpenSSL 1.1 ({name}) not found in {folder} or on the system; "
                "run `make setup` (scripts/fetch-libssl11.sh) to install it into the project"
            ) from None
    try:
        found = importlib.util.find_spec("aspose.ocr") is not None
    except ImportError:
        found = False
    if not found:
        raise EngineUnavailable("aspose-ocr-python-net is not installed; run `make setup`")
