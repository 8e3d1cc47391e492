"""Waiting on Graph: how long a `Retry-After` asks for, and a cap on the seconds waited in total.

A fetch on a throttling tenant can wait for a long time, Retry-After after Retry-After. A
`WaitBudget` lets the caller say how much waiting it accepts (`fetch_logs(max_wait=...)`,
`provlytics fetch --max-wait`): the wait that would exceed it raises `ThrottledError` instead.
"""

from __future__ import annotations

import email.utils
from dataclasses import dataclass
from datetime import UTC, datetime

from provlytics.errors import ConfigError, ThrottledError


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: decimal seconds ("2.128") or an HTTP date.

    Returns None when the header is absent or unreadable; never a negative number.
    """
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        seconds = _seconds_until(text, now)
    if seconds is None or seconds != seconds:
        return None
    return max(0.0, seconds)


def _seconds_until(text: str, now: datetime | None) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - (now or datetime.now(UTC))).total_seconds()


@dataclass
class WaitBudget:
    """Seconds a caller accepts to wait in total: rate limits, Retry-After and backoff."""

    max_wait: float
    waited: float = 0.0

    def __post_init__(self) -> None:
        if not self.max_wait >= 0:
            raise ConfigError(
                f"max_wait must be a number of seconds >= 0, got {self.max_wait!r} "
                "(max_wait=, --max-wait)"
            )

    def spend(self, seconds: float, reason: str) -> None:
        """Count a wait about to happen.

        Raises:
            ThrottledError: the wait would take the total beyond `max_wait` (it is not counted).
        """
        if self.waited + seconds > self.max_wait:
            raise ThrottledError(
                0,
                "MaxWaitExceeded",
                f"waiting {seconds:.1f} s more ({reason}) would exceed "
                f"max_wait={self.max_wait:g} s ({self.waited:.1f} s waited so far); "
                "raise max_wait (--max-wait) or try later",
                retry_after=seconds,
            )
        self.waited += seconds
