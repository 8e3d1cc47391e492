"""Build the `$filter` for `GET /auditLogs/provisioning` (pure functions, no I/O).

Graph's provisioning filters are case-sensitive and `activityDateTime` takes strict `gt`/`lt`
(reference/graph-api-facts.md §1.4), so the builder emits exactly those forms.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

from provlytics.errors import ConfigError

logger = logging.getLogger(__name__)

STATUSES = ("success", "failure", "skipped", "warning")
ACTIONS = ("create", "update", "delete", "disable", "stagedDelete", "other")
_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([dhms])\s*$", re.IGNORECASE)
_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}

TimeLike = datetime | str


def parse_time(value: TimeLike, now: datetime | None = None) -> datetime:
    """A timezone-aware UTC datetime from a datetime, an ISO 8601 string, or "7d"/"12h"/"30m"/"45s".

    Relative values count back from `now` (default: the current time). Naive datetimes and ISO
    strings without an offset are taken as UTC.

    Example:
        >>> parse_time("12h", now=datetime(2026, 11, 16, 12, tzinfo=UTC))
        datetime.datetime(2026, 11, 16, 0, 0, tzinfo=datetime.timezone.utc)

    Raises:
        ConfigError: the value is none of these.
    """
    if isinstance(value, datetime):
        return _as_utc(value)
    if not isinstance(value, str):
        raise ConfigError(f"expected a datetime, ISO 8601 text or '7d'/'12h'/'30m', got {value!r}")
    match = _RELATIVE.match(value)
    if match:
        amount, unit = float(match.group(1)), _UNITS[match.group(2).lower()]
        return _as_utc(now or datetime.now(UTC)) - timedelta(**{unit: amount})
    try:
        return _as_utc(datetime.fromisoformat(value.strip().replace("z", "Z")))
    except ValueError:
        raise ConfigError(
            f"not a time: {value!r}; use ISO 8601 (2026-11-16T00:00:00Z) or a relative "
            "span such as '7d', '12h' or '30m'"
        ) from None


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_time(value: datetime) -> str:
    """Graph's literal for a DateTimeOffset: `2026-11-16T00:00:00Z` (microseconds kept if any)."""
    return _as_utc(value).isoformat().replace("+00:00", "Z")


def quote(value: str) -> str:
    """An OData string literal: single-quoted, with single quotes doubled."""
    return "'" + str(value).replace("'", "''") + "'"


def _choice(value: str, allowed: tuple[str, ...], name: str) -> str:
    """The canonical spelling of an enum value, matched case-insensitively."""
    for option in allowed:
        if option.lower() == str(value).strip().lower():
            return option
    raise ConfigError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


def _identity_clause(identity: str) -> str:
    literal = quote(identity)
    fields = (
        "sourceIdentity/displayName",
        "targetIdentity/displayName",
        "sourceIdentity/id",
        "targetIdentity/id",
    )
    return "(" + " or ".join(f"{field} eq {literal}" for field in fields) + ")"


def _time_clauses(
    since: TimeLike | None, until: TimeLike | None, now: datetime | None
) -> list[str]:
    """Strict `gt`/`lt` bounds on activityDateTime (ge/le are not reliably supported)."""
    start = parse_time(since, now) if since is not None else None
    end = parse_time(until, now) if until is not None else None
    if start is not None and end is not None and start >= end:
        raise ConfigError(f"since ({format_time(start)}) must be before until ({format_time(end)})")
    clauses = []
    if start is not None:
        clauses.append(f"activityDateTime gt {format_time(start)}")
    if end is not None:
        clauses.append(f"activityDateTime lt {format_time(end)}")
    return clauses


def build_filter(
    *,
    since: TimeLike | None = None,
    until: TimeLike | None = None,
    status: str | None = None,
    action: str | None = None,
    job_id: str | None = None,
    service_principal_id: str | None = None,
    identity: str | None = None,
    cycle_id: str | None = None,
    change_id: str | None = None,
    now: datetime | None = None,
) -> str | None:
    """The `$filter` expression for the given criteria, or None when there are none.

    Example:
        >>> build_filter(since="2026-11-16T00:00:00Z", status="failure")
        "activityDateTime gt 2026-11-16T00:00:00Z and provisioningStatusInfo/status eq 'failure'"

    Raises:
        ConfigError: an unknown status or action, an unreadable time, or since >= until.
    """
    clauses = _time_clauses(since, until, now)
    if status is not None:
        clauses.append(
            f"provisioningStatusInfo/status eq {quote(_choice(status, STATUSES, 'status'))}"
        )
    if action is not None:
        clauses.append(f"provisioningAction eq {quote(_choice(action, ACTIONS, 'action'))}")
    equals = (
        ("jobId", job_id),
        ("servicePrincipal/id", service_principal_id),
        ("cycleId", cycle_id),
        ("changeId", change_id),
    )
    clauses.extend(f"{field} eq {quote(value)}" for field, value in equals if value is not None)
    if identity is not None:
        clauses.append(_identity_clause(identity))
    return " and ".join(clauses) or None
