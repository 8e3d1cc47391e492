"""Timestamps: whole columns parsed by Arrow, with a per-value fallback for odd spellings."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone

import pyarrow as pa
import pyarrow.compute as pc

from provlytics.schema import TIME

_NS_UTC = pa.timestamp("ns", tz="UTC")
# Spellings seen outside ISO 8601: the Azure portal's display forms in Log Analytics exports
# (en-US, 12- and 24-hour, with or without a comma), `yyyy/MM/dd` exports, PowerShell
# `Export-Csv` dates, and diagnostic `time` variants. Day-first forms are not guessed.
_FORMATS = (
    "%m/%d/%Y, %I:%M:%S.%f %p",
    "%m/%d/%Y, %I:%M:%S %p",
    "%m/%d/%Y %I:%M:%S.%f %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y, %H:%M:%S.%f",
    "%m/%d/%Y, %H:%M:%S",
    "%m/%d/%Y %H:%M:%S.%f",
    "%m/%d/%Y %H:%M:%S",
    "%Y/%m/%d %H:%M:%S.%f",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d, %I:%M:%S.%f %p",
    "%Y/%m/%d, %I:%M:%S %p",
)
# .NET JSON dates (Windows PowerShell 5.1 `ConvertTo-Json`): `/Date(ms)/`, `/Date(ms+hhmm)/`;
# the milliseconds count from the epoch in UTC, the offset only says where it was written.
_DOTNET_DATE = re.compile(r"/Date\((-?\d+)(?:[+-]\d{4})?\)/")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_timestamps(values: Sequence[str | None] | pa.Array) -> tuple[pa.Array, list[int]]:
    """Parse a column of timestamp text (a sequence, or an Arrow string array) to
    `timestamp[us, UTC]`.

    Returns the array and the positions of values that are not timestamps (null there).
    Text without an offset is taken as UTC, as Graph and the portal write UTC.
    """
    text = values if isinstance(values, pa.Array) else pa.array(values, pa.string())
    try:
        return pc.cast(pc.cast(text, _NS_UTC), TIME, safe=False), []
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        values = text.to_pylist()
        parsed = [parse_timestamp(v) for v in values]
    bad = [i for i, (v, p) in enumerate(zip(values, parsed, strict=True)) if v and p is None]
    return pa.array(parsed, TIME), bad


def parse_timestamp(value: str | None, *, offset: timedelta | None = None) -> datetime | None:
    """One timestamp in any known spelling, as an aware UTC datetime; None if not one.

    `offset` is the zone of text that carries none (default UTC), e.g. from a Log Analytics
    header decorated `[UTC+02:00]`.
    """
    if not value:
        return None
    text = value.strip()
    dotnet = _DOTNET_DATE.fullmatch(text)
    if dotnet:
        return _EPOCH + timedelta(milliseconds=int(dotnet.group(1)))
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = _strptime(text)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone(offset or timedelta(0))).astimezone(UTC)
    return parsed.astimezone(UTC)


def _strptime(value: str) -> datetime | None:
    for fmt in _FORMATS:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None
