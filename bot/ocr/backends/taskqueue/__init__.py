"""OCR_BACKEND=celery: the queue's rules (`app`), the bot's side (`backend`, waiting for
results: `results`), `python -m bot worker` (`worker`), and what crosses the queue as JSON
(`wire`)."""
