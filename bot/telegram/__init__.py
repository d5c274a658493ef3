"""The Telegram side: application wiring, the photo pipeline, and one module per feature."""
