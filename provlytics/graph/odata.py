"""Build the `$filter` for `GET /auditLogs/provisioning` (pure functions, no I/O).

Graph's provisioning filters are case-sensitive and `activityDateTime` takes strict `gt`/`lt`
(reference/graph-api-facts.md §1.4), so the builder emits exactly those forms.
"""

from __future__ import annotations

import logging
from datetime import datetime

from provlytics.errors import ConfigError
from provlytics.timebounds import TimeBound, parse_time, window_times

logger = logging.getLogger(__name__)

STATUSES = ("success", "failure", "skipped", "warning")
ACTIONS = ("create", "update", "delete", "disable", "stagedDelete", "other")


def format_time(value: datetime) -> str:
    """Graph's literal for a DateTimeOffset: `2026-11-16T00:00:00Z` (microseconds kept if any)."""
    return parse_time(value).isoformat().replace("+00:00", "Z")


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


def _time_clauses(since: TimeBound, until: TimeBound, now: datetime | None) -> list[str]:
    """Strict `gt`/`lt` bounds on activityDateTime (ge/le are not reliably supported)."""
    start, end = window_times(since, until, now)
    clauses = []
    if start is not None:
        clauses.append(f"activityDateTime gt {format_time(start)}")
    if end is not None:
        clauses.append(f"activityDateTime lt {format_time(end)}")
    return clauses


def build_filter(
    *,
    since: TimeBound = None,
    until: TimeBound = None,
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
