"""Time bounds as users give them: a date or time, ISO text, or a duration back from the
newest event ("7d", "12h", "30min", "2w").

Shared by `pv.analysis.filter_frames` and `pv.read_parquet(since=, until=)`, so both read the
same forms and say the same thing about a bound they cannot read. Imports nothing of
provlytics but its errors and schema (any layer may use it).
"""

from __future__ import annotations

import re
from datetime import date, datetime

import pandas as pd
import pyarrow as pa

from provlytics.errors import ConfigError
from provlytics.schema import SCHEMAS

TimeBound = str | datetime | date | pd.Timestamp | None
RELATIVE = re.compile(r"^\s*\d+(\.\d+)?\s*[A-Za-z]+\s*$")  # "7d", "12h", "30min", "2w"
_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)?\s*([A-Za-z]+)\s*$")
# unit spellings people type -> the spelling pandas keeps (days "D", weeks as 7 days)
_UNITS = {"d": "D", "day": "D", "days": "D", "h": "h", "hr": "h", "hour": "h", "hours": "h",
          "m": "min", "min": "min", "t": "min", "minute": "min", "minutes": "min",
          "s": "s", "sec": "s", "second": "s", "seconds": "s"}  # fmt: skip


def span(text: str) -> str:
    """A duration or fixed frequency as pandas spells it today: "1d" -> "1D", "2w" ->
    "14D", "1H" -> "1h"; other text is returned unchanged (pandas then judges it)."""
    m = _SPAN.match(str(text))
    if not m:
        return str(text)
    number, unit = m.group(1) or "1", m.group(2).lower()
    if unit in ("w", "week", "weeks"):
        return f"{float(number) * 7:g}D"
    return f"{number}{_UNITS[unit]}" if unit in _UNITS else str(text)


def is_relative(value: TimeBound) -> bool:
    """Whether a bound is a duration back from the newest event ("7d")."""
    return isinstance(value, str) and bool(RELATIVE.match(value))


def bound(value: TimeBound, newest: datetime | None, what: str) -> pa.Scalar:
    """A time bound as a UTC timestamp scalar of `events.activity_time`'s type.

    Args:
        value: a date or time (text, `date`, `datetime`, `Timestamp`; naive means UTC) or a
            duration such as "7d" back from `newest`.
        newest: the newest event's time (a duration counts back from now when None).
        what: the argument's name, for the message ("since", "until").

    Raises:
        ConfigError: naming the argument and value, when it is none of these forms.
    """
    if is_relative(value):
        try:
            back = pd.Timedelta(span(str(value)))
        except ValueError as exc:
            raise ConfigError(f"{what}={value!r} is not a duration such as '7d' ({exc})") from None
        reference = pd.Timestamp(newest) if newest is not None else pd.Timestamp.now("UTC")
        stamp = reference - back
    else:
        try:
            stamp = pd.Timestamp(value)
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                f"{what}={value!r} is not a date, a time or a duration such as '7d' ({exc})"
            ) from None
        if pd.isna(stamp):
            raise ConfigError(f"{what}={value!r} is not a date, a time or a duration such as '7d'")
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return pa.scalar(stamp.to_pydatetime(), SCHEMAS["events"].field("activity_time").type)


def window(
    since: TimeBound | None, until: TimeBound | None, newest: datetime | None
) -> tuple[pa.Scalar | None, pa.Scalar | None]:
    """Both bounds as `bound` gives them (None: not given), durations back from `newest`.

    Raises:
        ConfigError: a bound in none of `bound`'s forms, or `since` after `until` (such a
            window holds nothing: a mistake, not a scope), naming both values and the UTC
            times they stand for.
    """
    first = None if since is None else bound(since, newest, "since")
    last = None if until is None else bound(until, newest, "until")
    if first is not None and last is not None and first.as_py() > last.as_py():
        shown = (f"since={since!r}", first.as_py(), f"until={until!r}", last.as_py())
        raise ConfigError(after_until(*shown))
    return first, last


def after_until(since: str, start: datetime, until: str, end: datetime) -> str:
    """The message of a window whose start is after its end: `since` and `until` as the
    user spelled the bounds (`"since='7d'"`, `"--since '7d'"`), `start`/`end` their times."""
    return (
        f"{since} ({start:%Y-%m-%d %H:%M:%S} UTC) is after {until} ({end:%Y-%m-%d %H:%M:%S} "
        "UTC): no event can be in that window (swap them?)"
    )
