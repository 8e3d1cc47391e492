"""Timestamps: whole columns parsed by Arrow, with a per-value fallback for odd spellings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc

from provlytics.schema import TIME

_NS_UTC = pa.timestamp("ns", tz="UTC")
# Spellings seen outside ISO 8601: Log Analytics CSV exports and diagnostic `time` variants.
_FORMATS = (
    "%m/%d/%Y, %I:%M:%S.%f %p",
    "%m/%d/%Y, %I:%M:%S %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
)


def to_timestamps(values: Sequence[str | None]) -> tuple[pa.Array, list[int]]:
    """Parse a column of timestamp text to `timestamp[us, UTC]`.

    Returns the array and the positions of values that are not timestamps (null there).
    Text without an offset is taken as UTC, as Graph and the portal write UTC.
    """
    text = pa.array(values, pa.string())
    try:
        return pc.cast(pc.cast(text, _NS_UTC), TIME, safe=False), []
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        parsed = [parse_timestamp(v) for v in values]
    bad = [i for i, (v, p) in enumerate(zip(values, parsed, strict=True)) if v and p is None]
    return pa.array(parsed, TIME), bad


def parse_timestamp(value: str | None) -> datetime | None:
    """One timestamp in any known spelling, as an aware UTC datetime; None if not one."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        parsed = _strptime(value.strip())
    if parsed is None:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _strptime(value: str) -> datetime | None:
    for fmt in _FORMATS:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None
