"""What the bot counts for Prometheus (`GET /metrics`): photos read, OCR seconds, the photos
waiting, review outcomes, search latency and editor saves.

prometheus-client's default registry also brings the process's own figures (memory, CPU, open
files). The metrics live here, beside `config` and `logs`, so any package can count without
importing the web server; only `bot.web` serves them.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import Counter, Gauge, Histogram

PHOTOS_READ = Counter(
    "notes_photos_read",
    "Pages handed to OCR, by outcome: read, refused (the image's fault) or failed (the engine)",
    ["outcome"],
)
OCR_SECONDS = Histogram(
    "notes_ocr_seconds",
    "Seconds the OCR engine took for one page",
    buckets=(0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60, 120),
)
QUEUE_LENGTH = Gauge("notes_ocr_queue_length", "Photos being read or waiting for OCR")
REVIEW_OUTCOMES = Counter(
    "notes_review_outcomes",
    "Reviewed lines, by what became of them (keep, retype, drop) and where (chat, editor)",
    ["action", "via"],
)
SEARCH_SECONDS = Histogram(
    "notes_search_seconds",
    "Seconds to find one page of a user's search results (/search, inline mode)",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1),
)
EDITOR_SAVES = Counter(
    "notes_editor_saves",
    "Saves from the Mini App editor, by result: saved, stale (a newer version) or refused",
    ["result"],
)

for _outcome in ("read", "refused", "failed"):
    PHOTOS_READ.labels(outcome=_outcome)  # shown as 0 before the first photo
for _result in ("saved", "stale", "refused"):
    EDITOR_SAVES.labels(result=_result)


def watch_queue(length: Callable[[], float]) -> None:
    """Read the queue's length at each scrape (the running pipeline's waiting line)."""
    QUEUE_LENGTH.set_function(length)
