"""The bot's HTTP server: the Mini App editor (page, JSON API, page images), /healthz,
/metrics and, in webhook mode, Telegram's updates. It knows nothing of python-telegram-bot:
what it needs from the bot (files by file_id, the chat's side of a save, updates) comes in
through `bot.web.server.BotSide`."""
