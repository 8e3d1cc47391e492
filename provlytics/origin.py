"""Where a record came from, so that any error can name the file/page/record."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class Origin:
    """A place in a source: a file path or URL, and optionally a page, line and record index."""

    source: str
    page: int | None = None
    line: int | None = None
    record: int | None = None

    def at(self, **changes: int | None) -> Origin:
        """This origin narrowed to a page, line or record."""
        return replace(self, **changes)

    def __str__(self) -> str:
        text = self.source
        if self.line is not None:
            text += f":{self.line}"
        if self.page is not None:
            text += f": page {self.page}"
        if self.record is not None:
            text += f": record {self.record}"
        return text


@dataclass(slots=True)
class Page:
    """A batch of raw records as parsed, with the origin of the batch.

    `lines` (one per record) is set for line-oriented files; `first_record` is the index of
    the first record in its file; `dialect` is a hint from the container (e.g. a portal CSV
    download) when the records alone cannot tell.
    """

    records: list[Any]
    origin: Origin
    lines: list[int] | None = None
    first_record: int = 0
    dialect: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def record_origin(self, index: int) -> Origin:
        """The origin of one record of this page."""
        record = self.first_record + index
        if self.lines is not None:
            return self.origin.at(line=self.lines[index], record=record)
        return self.origin.at(record=record)


@dataclass(frozen=True, slots=True)
class UnparsedRecord:
    """A record a source could not parse (e.g. a bad NDJSON line).

    Sources pass it on instead of raising, so that the normalizer reports it like any other
    bad record: raised with its origin, or set aside in collect mode.
    """

    text: str
    reason: str

    def __str__(self) -> str:
        return self.text
