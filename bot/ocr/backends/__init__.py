"""Where OCR runs: the interface the bot uses (`base`), local worker processes (`pool`, the
calls they run: `worker`), a Celery task queue on Redis (`taskqueue/`), and `factory`, which
picks one from the settings."""
