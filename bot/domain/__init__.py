"""The pure domain: models, review rules and wording, free of Telegram, SQLite and the engine."""
