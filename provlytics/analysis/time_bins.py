"""Time bins of the charts and counts: a bin width from a pandas frequency, the bin of each
time, and every bin between two times."""

from __future__ import annotations

import logging

import pandas as pd

from provlytics.errors import ConfigError
from provlytics.timebounds import span

logger = logging.getLogger(__name__)


def frequency(freq: str) -> pd.Timedelta:
    """A bin width as a positive `Timedelta`, from a fixed pandas frequency ("1h", "15min",
    "1d", "2w").

    Raises:
        ConfigError: `freq` is not a fixed frequency, or not a positive one ("0h", "-1h").
    """
    try:
        width = pd.Timedelta(pd.tseries.frequencies.to_offset(span(freq)))
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"freq={freq!r} is not a fixed pandas frequency such as '1h', '15min' or '1d' ({exc})"
        ) from None
    if width <= pd.Timedelta(0):
        raise ConfigError(
            f"freq={freq!r} is not a positive bin width; use e.g. '1h', '15min' or '1d'"
        )
    return width


def bins(times: pd.Series, freq: str) -> pd.Series:
    """The start (UTC) of the `freq` bin each time falls in.

    Raises:
        ConfigError: `freq` is not a positive fixed pandas frequency (`frequency`).
    """
    return times.dt.floor(frequency(freq))


def bin_range(first: pd.Timestamp, last: pd.Timestamp, freq: str) -> pd.DatetimeIndex:
    """Every bin start from the bin of `first` to the bin of `last`.

    Raises:
        ConfigError: a bad `freq` (`frequency`), or more than 100,000 bins (choose a coarser
            `freq`).
    """
    width = frequency(freq)
    start, end = pd.Timestamp(first).floor(width), pd.Timestamp(last).floor(width)
    count = int((end - start) / width) + 1
    if count > 100_000:
        raise ConfigError(f"freq {freq!r} gives {count} bins; choose a coarser one")
    return pd.date_range(start, end, freq=width, name="time")
