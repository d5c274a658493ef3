"""Notes from photos: a Telegram bot that turns photos of notes into searchable text.

Packages, each importing only those listed before it:
- `bot.domain`: plain data, review rules, wording; no Telegram, SQLite or engine.
- `bot.ocr`: the engine, its worker processes, images, parsing and confidence.
- `bot.storage`: SQLite schema, transactions, one repository per concern.
- `bot.telegram`: python-telegram-bot wiring, the photo pipeline and one module per feature.
"""
