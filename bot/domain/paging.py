"""Page arithmetic for lists shown a few items at a time (notes, search results)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    number: int  # 0-based, always within range
    size: int
    total: int  # items in the whole list

    @classmethod
    def of(cls, number: int, size: int, total: int) -> Page:
        """Clamp a requested page (e.g. from an old button after deletions) into range."""
        last = max(0, (total - 1) // size)
        return cls(min(max(number, 0), last), size, total)

    @property
    def offset(self) -> int:
        return self.number * self.size

    @property
    def count(self) -> int:
        """How many pages there are (at least 1, even for an empty list)."""
        return max(1, -(-self.total // self.size))

    @property
    def has_prev(self) -> bool:
        return self.number > 0

    @property
    def has_next(self) -> bool:
        return self.number + 1 < self.count
