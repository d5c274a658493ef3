"""Aspose's extra models (handwriting, some scripts): find out fast and once whether they can
be had, and fetch them in the background, never in front of a user's photo.

Offline, a missing model costs 15-16 s per engine start: the engine retries its download five
times with back-off before it gives up. Asking the model store for its repository fails in a
fraction of a second instead, so a short-lived child process asks once (a child, because a
call into the engine holds the GIL and can't be given a timeout in-process), and the answer is
remembered in the resources folder for `model_recheck_s`. When the store answers, a detached
child downloads the handwriting model while the worker reads photos with the built-in model.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

log = logging.getLogger(__name__)

HANDWRITING_MODEL = "aspose-ocr-advanced-recognition-v1.ocr"
UNREACHABLE_MARKER = ".model-store-unreachable"
FETCH_PID = ".model-fetch.pid"
FETCH_LOG = "model-fetch.log"
PROBE_TIMEOUT_S = 10.0
# `python -m bot.ocr.engines.aspose_fetch` exit codes
REACHABLE, UNREACHABLE = 0, 3


class ModelStore:
    """Whether Aspose's model store can be reached from here, and the models already here."""

    def __init__(
        self,
        resources: Path,
        *,
        openssl_dir: Path | None,
        auto_download: bool,
        recheck_s: float,
    ) -> None:
        self.resources = resources.resolve()
        self.openssl_dir = openssl_dir
        self.auto_download = auto_download
        self.recheck_s = recheck_s
        self._reachable: bool | None = None
        self._checked_at = 0.0

    def has(self, model: str) -> bool:
        path = self.resources / model
        return path.is_file() and path.stat().st_size > 0

    def _remembered_unreachable(self) -> bool:
        marker = self.resources / UNREACHABLE_MARKER
        try:
            return time.time() - marker.stat().st_mtime < self.recheck_s
        except OSError:
            return False

    def reachable(self) -> bool:
        """False at once when downloads are off or the store was found unreachable less than
        `recheck_s` ago (by any process using this folder); else asks a child (~0.5 s)."""
        if not self.auto_download:
            return False
        fresh = time.monotonic() - self._checked_at < self.recheck_s
        if self._reachable is not None and fresh:
            return self._reachable
        if self._remembered_unreachable():
            self._reachable, self._checked_at = False, time.monotonic()
            return False
        started = time.monotonic()
        self._reachable = self._probe()
        self._checked_at = time.monotonic()
        log.info(
            "event=model_store_checked reachable=%s seconds=%.2f",
            self._reachable,
            self._checked_at - started,
        )
        if not self._reachable:
            (self.resources / UNREACHABLE_MARKER).touch()
        return self._reachable

    def _command(self, action: str) -> list[str]:
        openssl = str(self.openssl_dir.resolve()) if self.openssl_dir else ""
        return [
            sys.executable,
            "-m",
            "bot.ocr.engines.aspose_fetch",
            action,
            str(self.resources),
            openssl,
        ]

    def _probe(self) -> bool:
        try:
            done = subprocess.run(
                self._command("probe"),
                capture_output=True,
                timeout=PROBE_TIMEOUT_S,
                check=False,
                env=_child_env(),
            )
        except subprocess.TimeoutExpired:  # traffic silently dropped: as good as unreachable
            return False
        return done.returncode == REACHABLE

    def fetch_in_background(self, model: str = HANDWRITING_MODEL) -> bool:
        """Start a detached download of `model` unless one is running; True if started."""
        pid_file = self.resources / FETCH_PID
        try:
            running = int(pid_file.read_text().strip())
            os.kill(running, 0)
            return False  # another worker's fetch is still going
        except (OSError, ValueError):
            pass
        with open(self.resources / FETCH_LOG, "ab") as output:
            child = subprocess.Popen(
                [*self._command("fetch"), model],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=output,
                start_new_session=True,  # outlives a worker that is replaced meanwhile
                env=_child_env(),
            )
        pid_file.write_text(str(child.pid))
        log.info("event=model_fetch_started model=%s pid=%d", model, child.pid)
        return True


def _child_env() -> dict[str, str]:
    """This environment, with the folder that holds the `bot` package importable."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[3])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    return env
