"""The warnings the helpers give a user: a `UserWarning` (shown in scripts and notebooks
alike, where the library's log is silent until configured) pointing at the user's line; and
the closest values present, for a value the data lacks."""

from __future__ import annotations

import difflib
import logging
import warnings
from collections.abc import Callable, Iterable

from provlytics.user_warnings import caller_level

logger = logging.getLogger(__name__)


def closest(
    present: Iterable[object],
    value: str,
    *,
    n: int = 3,
    cutoff: float = 0.4,
    key: Callable[[str], str] = str.lower,
) -> list[str]:
    """Up to `n` text values of `present` closest to `value`, closest first, compared by `key`
    (default: case-insensitively) with difflib's ratio of at least `cutoff`; of values alike
    under `key`, the first in sorted order."""
    by_key: dict[str, str] = {}
    for candidate in sorted(v for v in present if isinstance(v, str)):
        by_key.setdefault(key(candidate), candidate)
    close = difflib.get_close_matches(key(value), list(by_key), n=n, cutoff=cutoff)
    return [by_key[c] for c in close]


def warn_user(message: str, close: Iterable[str] = ()) -> None:
    """A `UserWarning` of `message`, then "; closest present: a, b" when `close` names any,
    at the user's line (`caller_level`)."""
    shown = ", ".join(close)
    hint = f"; closest present: {shown}" if shown else ""
    warnings.warn(message + hint, UserWarning, stacklevel=caller_level())


def warn_absent(what: str, value: str, present: Iterable[object]) -> None:
    """Warn that `value`, a `what` ("error code", "job_id", ...), is not present in the data:
    "job_id 'nosuchjob' is not present in this data; closest present: ..." naming the
    closest of `present` (`closest`, when any is close)."""
    warn_user(f"{what} {value!r} is not present in this data", closest(present, value))
