"""Which engine a worker builds: `OCR_ENGINE` picks Aspose or RapidOCR, one interface.

Each engine module is imported only when chosen, so a RapidOCR worker never starts the .NET
runtime, and an Aspose worker loads RapidOCR only for its cross-check.
"""

from __future__ import annotations

from bot.ocr.contract import Engine, EngineConfig
from bot.ocr.engines.prerequisites import EngineUnavailable, prepare_engine_runtime


def build_engine(config: EngineConfig) -> Engine:
    """The engine `config.engine` names, ready to read (raises EngineUnavailable)."""
    if config.engine == "rapidocr":
        from bot.ocr.engines.rapid import RapidEngine

        try:
            return RapidEngine(config)
        except ImportError as error:
            raise EngineUnavailable(
                f"OCR_ENGINE=rapidocr but RapidOCR can't be loaded ({error}); run `make setup`"
            ) from None
    if config.engine == "aspose":
        from bot.ocr.engines.aspose import AsposeEngine

        return AsposeEngine(config)
    raise EngineUnavailable(f"unknown OCR engine {config.engine!r}")


def prepare_runtime(config: EngineConfig) -> None:
    """Check the chosen engine's prerequisites in the parent process, before workers start
    (Aspose's .NET runtime aborts natively without them; RapidOCR needs none)."""
    if config.engine == "aspose":
        prepare_engine_runtime(config.openssl_path)
