"""Time bounds as users give them: a date or time, ISO text, or a duration back from a
reference time ("7d", "12h", "30min", "2w").

The one reader of `since`/`until` (`parse_time`) and the one check that `since` comes before
`until` (`window_times`), for every part that takes them: `pv.analysis.filter_frames` and
`pv.read_parquet` (durations back from the newest event), `pv.fetch_logs` and the `$filter`
builder (durations back from now), and the `report` and `fetch` commands (the same, naming
`--since`/`--until`). So all read the same forms and say the same thing about a bound they
cannot read or a window that holds nothing. And the one reader of a length of time
(`parse_duration`): an alert window (`pv.analysis.alerts`, the `JobHealthPanel`'s control),
read with the same units as a duration back, without pandas' warnings about its old unit
spellings ("1d", "1w").

Imports nothing of provlytics at import time but its errors, and no pandas or pyarrow (the
light Graph modules use it): pandas reads the rare forms the standard library does not, and
pyarrow makes `bound`'s scalars, each imported when first needed. Any layer may use it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from provlytics.errors import ConfigError

if TYPE_CHECKING:
    import pyarrow as pa

TimeBound = str | datetime | date | None  # a pandas Timestamp is a datetime
KEYWORDS = ("since", "until")  # the bounds as Python arguments: since='7d'
OPTIONS = ("--since", "--until")  # as command line options: --since '7d'
RELATIVE = re.compile(r"^\s*\d+(\.\d+)?\s*[A-Za-z]+\s*$")  # "7d", "12h", "30min", "2w"
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([A-Za-z]+)")
_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)?\s*([A-Za-z]+)\s*$")
# unit spellings people type -> the spelling pandas keeps (days "D", weeks as 7 days)
_UNITS = {"d": "D", "day": "D", "days": "D", "h": "h", "hr": "h", "hour": "h", "hours": "h",
          "m": "min", "min": "min", "t": "min", "minute": "min", "minutes": "min",
          "s": "s", "sec": "s", "second": "s", "seconds": "s"}  # fmt: skip
# unit spellings (any case) -> timedelta's keyword: those of `_UNITS`, weeks, and the
# smaller units pandas reads ("500ms", "2us", "3ns")
_DELTA_UNITS = {
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), "weeks"),
    **dict.fromkeys(("d", "day", "days"), "days"),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), "hours"),
    **dict.fromkeys(("m", "t", "min", "mins", "minute", "minutes"), "minutes"),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), "seconds"),
    **dict.fromkeys(("ms", "milli", "millis", "millisecond", "milliseconds"), "milliseconds"),
    **dict.fromkeys(("us", "micro", "micros", "microsecond", "microseconds"), "microseconds"),
}  # fmt: skip
_NANOSECONDS = ("ns", "nano", "nanos", "nanosecond", "nanoseconds")
# several parts, each a known unit ("1h30min", "1 day 12 hours"; not "20261120T000000Z")
_UNIT_NAMES = "|".join(sorted({*_DELTA_UNITS, *_NANOSECONDS} - {"t"}, key=len, reverse=True))
_COMPOUND = re.compile(rf"^\s*(?:\d+(?:\.\d+)?\s*(?:{_UNIT_NAMES})\s*){{2,}}$", re.IGNORECASE)
_DURATION_FORMS = "'7d', '12h', '30min' or '2w'"
# units of no fixed length (months, years), or read as a month by some and a minute by
# others ("M"): refused with a hint, in any case but "m" (minutes) and "M" (either)
_MONTHS = ("mo", "mon", "mons", "mos", "month", "months")
_YEARS = ("y", "yr", "yrs", "year", "years")
_MONTH_HINT = "write 30d for a month; 1min or 1m for a minute"
# an ISO 8601 duration with years or months ("P1M", "P1Y2M"): pandas reads "P1M" as a minute
_ISO_CALENDAR = re.compile(r"^\s*[-+]?P\d[^T]*[YM]", re.IGNORECASE)
# day words: pandas reads "today" (and "now") as the current moment, not a day; refused
_DAY_WORDS = ("today", "yesterday", "tomorrow")


def span(text: str) -> str:
    """A duration or fixed frequency as pandas spells it today: "1d" -> "1D", "2w" ->
    "14D", "1H" -> "1h"; other text is returned unchanged (pandas then judges it).

    Raises:
        ConfigError: a month or a year ("1mo", "1y"), or "M" (a month or a minute?), saying
            what to write instead; the message does not name the argument (the caller does).
    """
    m = _SPAN.match(str(text))
    if not m:
        return str(text)
    if reason := _calendar_reason(m.group(2)):
        raise ConfigError(reason)
    number, unit = m.group(1) or "1", m.group(2).lower()
    if unit in ("w", "week", "weeks"):
        return f"{float(number) * 7:g}D"
    return f"{number}{_UNITS[unit]}" if unit in _UNITS else str(text)


def is_relative(value: object) -> bool:
    """Whether a bound is a duration back from a reference time ("7d", "1h30min")."""
    return isinstance(value, str) and bool(RELATIVE.match(value) or _COMPOUND.match(value))


def label(name: str, value: object) -> str:
    """A bound as the user spelled it, for messages: `since='7d'` for a Python argument,
    `--since '7d'` for an option (a `name` starting with "--") or a control (a `name` with a
    space or a capital: "Alert window '7d'")."""
    shown = repr(value) if isinstance(value, str) else str(value)
    spoken = name.startswith("--") or " " in name or not name.islower()
    return f"{name} {shown}" if spoken else f"{name}={shown}"


def parse_time(
    value: TimeBound, reference: datetime | None = None, *, name: str = "time"
) -> datetime:
    """A bound as a timezone-aware UTC datetime.

    Example:
        >>> parse_time("12h", datetime(2026, 11, 16, 12, tzinfo=UTC))
        datetime.datetime(2026, 11, 16, 0, 0, tzinfo=datetime.timezone.utc)

    Args:
        value: a `datetime` or pandas `Timestamp` (naive means UTC); a `date` (its midnight,
            UTC); or text: a duration back from `reference` ("7d", "12h", "30m" or "30min",
            "45s", "1.5h", "2w", "7 days", and the other units pandas reads, e.g. "500ms"),
            ISO 8601 ("2026-11-16", "2026-11-16T00:00:00Z", "2026-11-16T01:00+01:00",
            "2026-W47-1"; no offset means UTC), or other text pandas reads as a time
            ("2026/11/16", "Nov 16 2026", "2026-11-16 00:00 UTC"); "now" is the current time
            (UTC) whatever `reference` is. A zero duration ("0h") is `reference` itself. The
            day words "today", "yesterday" and "tomorrow" are refused (pandas would read
            "today" as the current moment, not the day), and so are months and years ("1mo",
            "1y": no fixed length) and "1M" (a month or a minute? "1m" is a minute).
        reference: what durations count back from (None: the current time).
        name: the argument or option, for the message ("since", "--until").

    Raises:
        ConfigError: naming `name` and the value, when it is none of these forms.
    """
    if isinstance(value, datetime):
        return _as_utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if is_relative(value):
        try:
            return _as_utc(reference or datetime.now(UTC)) - _parts(str(value), name)
        except OverflowError:
            raise ConfigError(f"{label(name, value)} reaches back before the year 1") from None
    if isinstance(value, str):
        word = value.strip().lower()
        if word == "now":
            return datetime.now(UTC)
        if word in _DAY_WORDS:
            raise ConfigError(
                f"{label(name, value)} is not read: write a date such as 2026-12-01 "
                "(its midnight, UTC) or a duration such as '1d'"
            )
        try:
            return _as_utc(datetime.fromisoformat(value.strip().replace("z", "Z")))
        except ValueError:
            pass
    if value is None or isinstance(value, bool | int | float):  # not nanoseconds since 1970
        raise ConfigError(f"{label(name, value)} is not a date, a time or a duration such as '7d'")
    _refuse_ambiguous(value, name)
    return _pandas_time(value, name)


_DAY_MONTH = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?!\d)")


def _refuse_ambiguous(text: str, name: str) -> None:
    """Raise `ConfigError` for a date whose day and month could be either way round
    ("05/11/2026": 5 November or 11 May), which pandas would read month first, silently."""
    m = _DAY_MONTH.match(text)
    if not m:
        return
    first, second, year = int(m.group(1)), int(m.group(2)), m.group(3)
    if first == second or not (1 <= first <= 12 and 1 <= second <= 12):
        return
    year = year if len(year) == 4 else f"20{year}"
    raise ConfigError(
        f"{label(name, text)} could be {year}-{second:02d}-{first:02d} or "
        f"{year}-{first:02d}-{second:02d} (day and month either way round): "
        "write the date as ISO 8601, year first"
    )


def window_times(
    since: TimeBound,
    until: TimeBound,
    reference: datetime | None = None,
    *,
    names: tuple[str, str] = KEYWORDS,
) -> tuple[datetime | None, datetime | None]:
    """Both bounds as `parse_time` reads them (None: not given), durations back from
    `reference` (None: now), and the one check of their order.

    Raises:
        ConfigError: a bound in none of `parse_time`'s forms, or `since` not before `until`
            (such a window holds nothing: a mistake, not a scope), naming both as the user
            spelled them (`names`: `KEYWORDS` or `OPTIONS`) and the UTC times they stand for.
    """
    first = None if since is None else parse_time(since, reference, name=names[0])
    last = None if until is None else parse_time(until, reference, name=names[1])
    if first is not None and last is not None and first >= last:
        raise ConfigError(
            f"{label(names[0], since)} ({first:%Y-%m-%d %H:%M:%S} UTC) is "
            f"{'after' if first > last else 'the same time as'} {label(names[1], until)} "
            f"({last:%Y-%m-%d %H:%M:%S} UTC): no event can be in that window "
            f"({'swap them?' if first > last else 'until is left out'})"
        )
    return first, last


def narrowed_by(
    before: list[dict[str, Any]] | None,
    since: TimeBound,
    until: TimeBound,
    first: datetime | None,
    last: datetime | None,
) -> list[dict[str, Any]] | None:
    """`before` (earlier `frames.narrowed` steps) and a step for a time window, in the form
    `analysis.filter_frames` records: `since`/`until` as given (text) and `since_utc`/
    `until_utc`, the UTC times (`first`, `last`) they stood for (ISO 8601). `before` as it
    is when neither bound is given (None when it is empty)."""
    step = window_step(since, until, first, last)
    steps = [*(before or []), step] if step else list(before or [])
    return steps or None


def window_step(
    since: TimeBound, until: TimeBound, first: datetime | None, last: datetime | None
) -> dict[str, Any]:
    """The time window's part of a `narrowed` step: each bound given as text, and the UTC
    time (`first`, `last`) it stood for as `since_utc`/`until_utc` (ISO 8601) when known."""
    step: dict[str, Any] = {}
    for name, value, time in (("since", since, first), ("until", until, last)):
        if value is not None:
            step[name] = str(value)
            if time is not None:
                step[f"{name}_utc"] = time.isoformat()
    return step


def window(
    since: TimeBound, until: TimeBound, newest: datetime | None
) -> tuple[pa.Scalar | None, pa.Scalar | None]:
    """`window_times` back from `newest`, as `events.activity_time` scalars.

    Raises:
        ConfigError: as `window_times`.
    """
    return tuple(None if t is None else _scalar(t) for t in window_times(since, until, newest))


def bound(value: TimeBound, newest: datetime | None, name: str) -> pa.Scalar:
    """`parse_time` as an `events.activity_time` scalar (a duration back from `newest`).

    Raises:
        ConfigError: as `parse_time`.
    """
    return _scalar(parse_time(value, newest, name=name))


def parse_duration(
    value: str | timedelta, name: str = "duration", *, zero: bool = False
) -> timedelta:
    """A positive length of time (or zero, with `zero`), as users write it, without a pandas
    warning: the one reader of `pv.analysis.alerts`' window, the `JobHealthPanel`'s, and
    `pv.fetch_logs`' `window` and `overlap` (`parse_time` reads a duration back with the
    same units).

    Example:
        >>> parse_duration("1h30min")
        datetime.timedelta(seconds=5400)

    Args:
        value: a `timedelta` (a pandas `Timedelta` too), or text: one or more parts of a
            number and a unit, in any case, with or without spaces: weeks ("2w", "1 week"),
            days ("7d", "7 days"), hours ("12h", "1.5 hours"), minutes ("30min", "30m"),
            seconds ("90s", "90 sec"), "500ms", "2us" ("1h30min", "1d 12h"); or the
            other forms pandas reads ("P1DT2H", "1 days 02:00:00", "02:00:00"). Months
            and years have no fixed length ("1mo", "1 month", "1y", "P1M"), and "1M" could
            be a month or a minute: refused, saying what to write ("30d", "1min").
        name: the argument, option or control, for the message ("window", "--overlap").
        zero: take a zero length too ("0s": an overlap of none); a negative one never.

    Raises:
        ConfigError: naming `name` and the value: text in none of these forms, a month or
            year, or a length that is not positive ("0h", "-1d"; with `zero`, negative).
    """
    length = value if isinstance(value, timedelta) else _length(value, name)
    if zero and length < timedelta(0):
        raise ConfigError(
            f"{label(name, value)} is not a duration of zero or more such as '0s', '5m' or '1h'"
        )
    if not zero and not length > timedelta(0):
        raise ConfigError(
            f"{label(name, value)} is not a positive duration such as {_DURATION_FORMS}"
        )
    return length


def _length(text: object, name: str) -> timedelta:
    """`text` as a timedelta of any sign (zero and negative ones too), or `ConfigError`."""
    if is_relative(text):
        return _parts(str(text), name)
    if isinstance(text, str) and _ISO_CALENDAR.match(text):
        raise ConfigError(
            f"{label(name, text)} is not read: an ISO 8601 month or year has no fixed length "
            "(and pandas reads P1M as a minute); write P30D or 30d for a month, PT1M or 1min "
            "for a minute"
        )
    if isinstance(text, str) and text.strip():
        import warnings

        import pandas as pd  # "P1DT2H", "1 days 02:00:00", and "-1d" (refused once read)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "'d' is deprecated": the text is not changed
            try:
                length = pd.Timedelta(text.strip())
            except (ValueError, OverflowError):
                length = pd.NaT
        if not pd.isna(length):
            return length.to_pytimedelta()
    raise ConfigError(f"{label(name, text)} is not a duration such as {_DURATION_FORMS}")


def _parts(text: str, name: str) -> timedelta:
    """The sum of `RELATIVE` text's parts ("1h30min": 1 h + 30 min)."""
    length = timedelta(0)
    for number, unit in _PART.findall(text):
        if reason := _calendar_reason(unit):
            raise ConfigError(f"{label(name, text)} is not read: {reason}")
        unit = unit.lower()
        if unit in _NANOSECONDS:
            length += timedelta(microseconds=float(number) / 1000)
        elif unit in _DELTA_UNITS:
            try:
                length += timedelta(**{_DELTA_UNITS[unit]: float(number)})
            except OverflowError:
                raise ConfigError(f"{label(name, text)} is too long a duration") from None
        else:
            raise ConfigError(f"{label(name, text)} is not a duration such as {_DURATION_FORMS}")
    return length


def _calendar_reason(unit: str) -> str | None:
    """Why a unit as typed is refused, with what to write instead; None for any other."""
    if unit == "M":
        return f"'M' is a month to some and a minute to others; {_MONTH_HINT}"
    if unit.lower() in _MONTHS:
        return f"a month has no fixed length; {_MONTH_HINT}"
    if unit.lower() in _YEARS:
        return "a year has no fixed length; write 365d for a year"
    return None


def _pandas_time(value: object, name: str) -> datetime:
    import pandas as pd

    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        stamp = pd.NaT
    if pd.isna(stamp):
        raise ConfigError(f"{label(name, value)} is not a date, a time or a duration such as '7d'")
    return _as_utc(stamp.to_pydatetime(warn=False))


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _scalar(value: datetime) -> pa.Scalar:
    import pyarrow as pa

    from provlytics.schema import SCHEMAS

    return pa.scalar(value, SCHEMAS["events"].field("activity_time").type)
