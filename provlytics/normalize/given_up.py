"""Fields given up while normalizing (the field null, its value kept in `extra`), counted per
file and field and said as a few `LoadWarning`s, not one per cell.

The general path (`batch.normalize_page`) lists a page's in `PageTables.given_up`; the
pipeline adds a file's pages up (`GivenUpTally`) and warns once the file is read
(`warn_given_up`), so that a file with 10,000 bad cells of one field gives one warning:
"FILE:LINE: 'Status': not a known enumeration member: 'Bogus'; the field is null and its
value kept in `extra` (10000 record(s); also ...: 'Bogus2'; ...)". A worker process holds
them and the loading process says them (`user_warnings.held_warnings`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from provlytics.user_warnings import warn_load

logger = logging.getLogger(__name__)

SHOWN_REASONS = 3  # distinct reasons (each naming its value) a warning names


@dataclass(slots=True)
class GivenUp:
    """One field given up in one file: `file`, where it was first (`place`, as errors name
    a place: `FILE:LINE: record R`), the field as the input spells it (`field`), how many
    records (`count`), and the first distinct reasons, each naming its value (`reasons`, up
    to `SHOWN_REASONS`; `more`: there were others)."""

    file: str
    place: str
    field: str
    count: int = 0
    reasons: list[str] = dataclasses.field(default_factory=list)
    more: bool = False

    def add(self, reasons: Iterable[str], count: int, *, more: bool = False) -> None:
        """Count `count` more records, given up for `reasons` (`more`: and others)."""
        self.count += count
        for reason in reasons:
            if reason in self.reasons:
                continue
            if len(self.reasons) < SHOWN_REASONS:
                self.reasons.append(reason)
            else:
                self.more = True
        self.more = self.more or more

    def message(self) -> str:
        """The warning: the first place and reason, the count, the other reasons met."""
        first, others = self.reasons[0], self.reasons[1:]
        tail = "".join(f"; also {reason}" for reason in others) + ("; ..." if self.more else "")
        return (
            f"{self.place}: {self.field!r}: {first}; the field is null and its value kept in "
            f"`extra` ({self.count} record(s){tail})"
        )


class GivenUpTally:
    """A file's `GivenUp`s, page after page, per file and field as the input spells them."""

    def __init__(self) -> None:
        self._fields: dict[tuple[str, str], GivenUp] = {}

    def add(self, given_up: Iterable[GivenUp]) -> None:
        """Add a page's (`PageTables.given_up`)."""
        for item in given_up:
            key = (item.file, item.field)
            if key not in self._fields:
                self._fields[key] = GivenUp(item.file, item.place, item.field)
            self._fields[key].add(item.reasons, item.count, more=item.more)

    def items(self) -> list[GivenUp]:
        """The fields counted, in the order first met."""
        return list(self._fields.values())

    def warn(self) -> None:
        """Warn each field counted (`warn_given_up`), and start counting afresh."""
        warn_given_up(self._fields.values())
        self._fields.clear()


def warn_given_up(given_up: Iterable[GivenUp]) -> None:
    """One `LoadWarning` (and log line) per `GivenUp`."""
    for item in given_up:
        warn_load(logger, item.message())
