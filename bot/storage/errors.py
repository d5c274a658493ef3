"""What storage raises: one module, so callers catch by meaning, not by repository."""

from __future__ import annotations

from bot.domain.models import Line, Note


class StorageError(Exception):
    """The database cannot be used at all (corrupt, unreachable, or from a newer version)."""


class JobNotFound(LookupError):
    """No job with that id (it was deleted with the user's data)."""


class JobRefused(Exception):
    """A new photo was not queued; args[0] says why: duplicate, user_limit or queue_full."""

    @property
    def reason(self) -> str:
        return str(self.args[0])


class AlreadyHandled(Exception):
    """This message was already applied (a redelivered update): do nothing, say nothing."""


class LineNotFound(LookupError):
    """No such line for this user: missing and someone else's look the same, on purpose."""


class NoteNotFound(LookupError):
    """The note does not exist or belongs to someone else (the same answer, on purpose)."""


class LineAlreadyResolved(Exception):
    """The line was already reviewed; `line` is the line as it now stands."""

    def __init__(self, line: Line) -> None:
        super().__init__(line)
        self.line = line


class StaleVersion(Exception):
    """An editor save made on an older version of the note: nothing was changed; `note` is
    the note as it now stands (the page shows it again)."""

    def __init__(self, note: Note) -> None:
        super().__init__(note.id, note.version)
        self.note = note
