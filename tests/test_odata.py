"""$filter building for /auditLogs/provisioning: table-driven, pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from provlytics.errors import ConfigError
from provlytics.graph.odata import build_filter, format_time, quote

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, None),
        ({"since": "2026-11-16T00:00:00Z"}, "activityDateTime gt 2026-11-16T00:00:00Z"),
        ({"until": "1d"}, "activityDateTime lt 2026-11-22T12:00:00Z"),
        (
            {"since": "7d", "until": "1d"},
            "activityDateTime gt 2026-11-16T12:00:00Z and activityDateTime lt 2026-11-22T12:00:00Z",
        ),
        ({"status": "failure"}, "provisioningStatusInfo/status eq 'failure'"),
        ({"status": "Skipped"}, "provisioningStatusInfo/status eq 'skipped'"),
        ({"action": "create"}, "provisioningAction eq 'create'"),
        ({"action": "stageddelete"}, "provisioningAction eq 'stagedDelete'"),
        ({"job_id": "scim.abc.123"}, "jobId eq 'scim.abc.123'"),
        ({"service_principal_id": "sp-1"}, "servicePrincipal/id eq 'sp-1'"),
        ({"cycle_id": "c-1"}, "cycleId eq 'c-1'"),
        ({"change_id": "ch-1"}, "changeId eq 'ch-1'"),
        (
            {"identity": "alice@contoso.com"},
            "(sourceIdentity/displayName eq 'alice@contoso.com'"
            " or targetIdentity/displayName eq 'alice@contoso.com'"
            " or sourceIdentity/id eq 'alice@contoso.com'"
            " or targetIdentity/id eq 'alice@contoso.com')",
        ),
        ({"job_id": "O'Brien's job"}, "jobId eq 'O''Brien''s job'"),
        (
            {"since": datetime(2026, 11, 16, tzinfo=UTC), "status": "warning", "job_id": "j"},
            "activityDateTime gt 2026-11-16T00:00:00Z"
            " and provisioningStatusInfo/status eq 'warning' and jobId eq 'j'",
        ),
    ],
)
def test_build_filter(kwargs: dict[str, Any], expected: str | None) -> None:
    assert build_filter(**kwargs, now=NOW) == expected


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"status": "failed"}, "status must be one of success, failure, skipped, warning"),
        ({"action": "provision"}, "action must be one of"),
        ({"since": "1d", "until": "7d"}, r"since='1d' \(2026-11-22 12:00:00 UTC\) is after until"),
        ({"since": "last tuesday"}, "since='last tuesday' is not a date, a time or a duration"),
    ],
)
def test_build_filter_rejects(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_filter(**kwargs, now=NOW)


def test_quote_doubles_single_quotes() -> None:
    assert quote("it's") == "'it''s'"


def test_format_time_keeps_microseconds_in_utc() -> None:
    value = datetime(2026, 11, 16, 1, 2, 3, 456000, tzinfo=timezone(timedelta(hours=1)))
    assert format_time(value) == "2026-11-16T00:02:03.456000Z"
