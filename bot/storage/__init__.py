"""Durable storage in one SQLite file: schema and migrations (`schema`), connections and
transactions (`database`), one repository per concern (`jobs`, `notes`, `search`, `users`),
and `Storage`, which holds them and runs what spans tables in one transaction."""

from bot.storage.errors import (
    AlreadyHandled,
    JobNotFound,
    JobRefused,
    LineAlreadyResolved,
    LineNotFound,
    NoteNotFound,
    StaleVersion,
    StorageError,
)
from bot.storage.facade import Storage

__all__ = [
    "AlreadyHandled",
    "JobNotFound",
    "JobRefused",
    "LineAlreadyResolved",
    "LineNotFound",
    "NoteNotFound",
    "StaleVersion",
    "Storage",
    "StorageError",
]
