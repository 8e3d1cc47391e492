"""Synchronization job objects (`GET .../synchronization/jobs`) -> `job_status` rows.

Facts (Graph CSDL, v1.0 and beta alike, `microsoftgraph/msgraph-metadata`): a
`synchronizationJob` has `id`, `templateId`, `schedule` (`synchronizationSchedule`: `expiration`,
`interval`, `state`) and `status` (`synchronizationStatus`: `code`,
`countSuccessiveCompleteFailures`, `escrowsPruned`, `lastExecution`, `lastSuccessfulExecution`,
`lastSuccessfulExecutionWithExports` (each a `synchronizationTaskExecution`), `progress`,
`quarantine` (`synchronizationQuarantine`), `steadyStateFirstAchievedTime`,
`steadyStateLastAchievedTime`, `synchronizedEntryCountByType`, `troubleshootingUrl`).
Non-nullable times Graph has no value for are `0001-01-01T00:00:00Z`, read here as null.

Every field is optional (a job saved with `$select` has only some). A field of an unexpected
shape costs that field only: its column is null, its value goes to `extra` under its dotted
path, and a warning is logged. Keys match case-insensitively (PowerShell writes `TemplateId`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
import pyarrow as pa

from provlytics.errors import InputError
from provlytics.json_names import json_name
from provlytics.normalize.extract import whole_number
from provlytics.normalize.times import parse_timestamp
from provlytics.origin import Origin
from provlytics.schema import SCHEMAS
from provlytics.user_warnings import warn_load

logger = logging.getLogger(__name__)

_MS_DATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{4})?\)/$")  # PowerShell 5 ConvertTo-Json
_LAST = ("status", "lastExecution")
_QUARANTINE = ("status", "quarantine")

Path = tuple[str, ...]


class EnumType:
    """A CSDL enumeration: member names by value, found from any spelling or integer.

    Example:
        >>> QUARANTINE_REASON.member("encountered_quarantine_exception")
        'EncounteredQuarantineException'
        >>> QUARANTINE_REASON.member(4)
        'EncounteredQuarantineException'
    """

    def __init__(self, name: str, members: dict[str, int]) -> None:
        self.name = name
        self.members = tuple(members)
        self._by_value = {value: member for member, value in members.items()}
        self._by_fold = {_fold(member): member for member in members}

    def member(self, value: str | int) -> str | None:
        """The member name of `value`: a name in any case or separators, or its integer.

        An integer that is no member's value gives None; text that names no member is kept
        as written (stripped), since Graph may add members.
        """
        if isinstance(value, int):
            return self._by_value.get(value)
        text = value.strip()
        if not text:
            return None
        if text.lstrip("-").isdigit():
            return self._by_value.get(int(text))
        return self._by_fold.get(_fold(text), text)


def _fold(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


# The CSDL enumerations (v1.0 and beta are identical), member -> value.
STATUS_CODE = EnumType(
    "synchronizationStatusCode",
    {"NotConfigured": 0, "NotRun": 1, "Active": 2, "Paused": 3, "Quarantine": 4},
)
QUARANTINE_REASON = EnumType(
    "quarantineReason",
    {
        "EncounteredBaseEscrowThreshold": 0,
        "EncounteredTotalEscrowThreshold": 1,
        "EncounteredEscrowProportionThreshold": 2,
        "EncounteredQuarantineException": 4,
        "Unknown": 8,
        "QuarantinedOnDemand": 16,
        "TooManyDeletes": 32,
        "IngestionInterrupted": 64,
    },
)
TASK_EXECUTION_RESULT = EnumType(
    "synchronizationTaskExecutionResult", {"Succeeded": 0, "Failed": 1, "EntryLevelErrors": 2}
)
SCHEDULE_STATE = EnumType("synchronizationScheduleState", {"Active": 0, "Disabled": 1, "Paused": 2})


class _Unexpected(Exception):
    """A field's value is not of the shape its CSDL type allows."""


def is_job(record: Any) -> bool:
    """Whether a raw record is a synchronizationJob object (any key case)."""
    if not isinstance(record, dict):
        return False
    keys = {k.lower() for k in record if isinstance(k, str)}
    return "templateid" in keys and ("status" in keys or "schedule" in keys)


def build_job_batch(
    jobs: list[dict[str, Any]],
    *,
    observed_time: datetime | str,
    service_principal_id: str | None,
    origin: Origin | str,
    from_status: bool = False,
) -> pa.RecordBatch:
    """One `job_status` row per job, observed at `observed_time`.

    Args:
        jobs: synchronizationJob objects as Graph returns them.
        observed_time: when the list was read (an aware datetime or ISO 8601 text).
        from_status: observe each job at the newest time its status records (the last run's
            end, the last successful run's, steady state, the quarantine's re-evaluation),
            `observed_time` only when it records none: for saved lists, whose file time
            changes with every copy, so that loading a copy again adds no snapshot.
        service_principal_id: the jobs' owner, when known (Graph's job has no such field).
        origin: where the list came from, for messages.

    Returns:
        A batch in `SCHEMAS["job_status"]`.

    Raises:
        InputError: a job that is not an object, or an `observed_time` that is not a time.
    """
    observed = _observed(observed_time, origin)
    schema = SCHEMAS["job_status"]
    rows = []
    for i, job in enumerate(jobs):
        where = _record_origin(origin, i)
        if not isinstance(job, dict):
            raise InputError(where, f"expected a job object, got {json_name(job)}")
        row = _JobReader(job, where).row(observed, service_principal_id)
        if from_status:
            row["observed_time"] = max(
                (row[c] for c in STATUS_TIMES if row[c] is not None), default=observed
            )
        rows.append(row)
    columns = {f.name: [row[f.name] for row in rows] for f in schema}
    arrays = [pa.array(columns[f.name], f.type) for f in schema]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


# the times a synchronizationStatus records; a snapshot is at least as new as the newest
STATUS_TIMES = (
    "last_execution_began",
    "last_execution_ended",
    "last_successful_execution",
    "last_successful_execution_with_exports",
    "steady_state_last_achieved",
    "quarantine_current_began",
)


def _observed(value: datetime | str, origin: Origin | str) -> datetime:
    parsed = value if isinstance(value, datetime) else parse_timestamp(value)
    if parsed is None:
        raise InputError(origin, f"observed time is not a timestamp: {value!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class _JobReader:
    """Reads one job's fields by CSDL path, noting what was used and what went to `extra`."""

    def __init__(self, job: dict[str, Any], where: Origin | str) -> None:
        self.job = job
        self.where = where
        self.used: set[Path] = set()
        self.extra: dict[str, Any] = {}

    def row(self, observed: datetime, sp_id: str | None) -> dict[str, Any]:
        """The job_status row of the job, keyed by column name."""
        row: dict[str, Any] = {"observed_time": observed, "service_principal_id": sp_id}
        for column, path, convert in _COLUMNS:
            row[column] = self.read(path, convert)
        row["extra"] = self._extra_text()
        return row

    def read(self, path: Path, convert: Callable[[Any], Any]) -> Any:
        """The converted value at `path`; None when absent or (noted in extra) unexpected."""
        self.used.add(path)
        parent = self._parent(path)
        if parent is None:
            return None
        value = _get(parent, path[-1])
        if value is None:
            return None
        try:
            return convert(value)
        except _Unexpected as exc:
            self._unexpected(path, value, str(exc))
            return None

    def _parent(self, path: Path) -> dict[str, Any] | None:
        node: Any = self.job
        for depth, key in enumerate(path[:-1]):
            node = _get(node, key)
            if node is None or node == "":
                return None
            if not isinstance(node, dict):
                prefix = path[: depth + 1]
                if prefix not in self.used:
                    self.used.add(prefix)
                    self._unexpected(prefix, node, "expected an object")
                return None
        return node

    def _unexpected(self, path: Path, value: Any, why: str) -> None:
        name = ".".join(path)
        self.extra[name] = value
        warn_load(
            logger,
            f"{self.where}: job field {name} has an unexpected value ({why}: {value!r:.80}); "
            "kept in extra",
        )

    def _extra_text(self) -> str | None:
        extra = dict(self.extra)
        _unmapped(self.job, (), self.used, extra)
        if not extra:
            return None
        return orjson.dumps(extra, default=str, option=orjson.OPT_SORT_KEYS).decode()


def _get(node: Any, key: str) -> Any:
    """`node[key]`, matching the key case-insensitively when the exact one is absent."""
    if not isinstance(node, dict):
        return None
    if key in node:
        return node[key]
    lowered = key.lower()
    for name, value in node.items():
        if isinstance(name, str) and name.lower() == lowered:
            return value
    return None


def _unmapped(node: dict[str, Any], prefix: Path, used: set[Path], extra: dict[str, Any]) -> None:
    """Add to `extra` every non-null field under `node` that no column read."""
    used_lower = {tuple(p.lower() for p in path) for path in used}
    for key, value in node.items():
        if not isinstance(key, str) or key.startswith("@odata.") or value is None:
            continue
        path = (*prefix, key)
        lowered = tuple(p.lower() for p in path)
        if lowered in used_lower:
            continue
        if isinstance(value, dict) and any(u[: len(path)] == lowered for u in used_lower):
            _unmapped(value, path, used, extra)
        else:
            extra[".".join(path)] = value


# --- converters: each returns the column value or raises _Unexpected ---------------------------


def _text(value: Any) -> str | None:
    if isinstance(value, dict | list):
        raise _Unexpected("expected text")
    text = value if isinstance(value, str) else str(value)
    return text.strip() or None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        raise _Unexpected("expected a timestamp")
    text = value.strip()
    if not text:
        return None
    match = _MS_DATE.match(text.replace("\\/", "/"))
    if match:
        parsed: datetime | None = datetime.fromtimestamp(int(match.group(1)) / 1000, UTC)
    else:
        parsed = parse_timestamp(text)
    if parsed is None:
        raise _Unexpected("expected a timestamp")
    return None if parsed.year == 1 else parsed  # 0001-01-01: Graph's "never"


def _count(value: Any) -> int | None:
    if value == "":
        return None
    number = None if isinstance(value, bool) else whole_number(value)
    if number is None:
        raise _Unexpected("expected a whole number")
    return number


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", ""):
        return {"true": True, "false": False}.get(value.strip().lower())
    raise _Unexpected("expected true or false")


def _enum(kind: EnumType) -> Callable[[Any], str | None]:
    def convert(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise _Unexpected(f"expected a {kind.name} member")
        member = kind.member(value)
        if member is None and str(value).strip():
            raise _Unexpected(f"not a {kind.name} value")
        return member

    return convert


def _json_list(value: Any) -> str | None:
    if not isinstance(value, list):
        raise _Unexpected("expected a list")
    return orjson.dumps(value).decode() if value else None


def _entry_counts(value: Any) -> str | None:
    """`[{key, value}, ...]` (stringKeyLongValuePair) as a JSON object `{key: value}`."""
    if not isinstance(value, list):
        raise _Unexpected("expected a list of {key, value}")
    counts: dict[str, int] = {}
    for item in value:
        key, number = _get(item, "key"), _get(item, "value")
        count = None if isinstance(number, bool) else whole_number(number)
        if not isinstance(key, str) or count is None:
            raise _Unexpected("expected a list of {key, value}")
        counts[key] = counts.get(key, 0) + count
    return orjson.dumps(counts).decode() if counts else None


_COLUMNS: list[tuple[str, Path, Callable[[Any], Any]]] = [
    ("job_id", ("id",), _text),
    ("template_id", ("templateId",), _text),
    ("schedule_state", ("schedule", "state"), _enum(SCHEDULE_STATE)),
    ("schedule_interval", ("schedule", "interval"), _text),
    ("schedule_expiration", ("schedule", "expiration"), _time),
    ("status_code", ("status", "code"), _enum(STATUS_CODE)),
    ("successive_failures", ("status", "countSuccessiveCompleteFailures"), _count),
    ("escrows_pruned", ("status", "escrowsPruned"), _flag),
    ("quarantine_reason", (*_QUARANTINE, "reason"), _enum(QUARANTINE_REASON)),
    ("quarantine_series_began", (*_QUARANTINE, "seriesBegan"), _time),
    ("quarantine_current_began", (*_QUARANTINE, "currentBegan"), _time),
    ("quarantine_next_attempt", (*_QUARANTINE, "nextAttempt"), _time),
    ("quarantine_series_count", (*_QUARANTINE, "seriesCount"), _count),
    ("quarantine_error_code", (*_QUARANTINE, "error", "code"), _text),
    ("quarantine_error_message", (*_QUARANTINE, "error", "message"), _text),
    ("quarantine_error_tenant_actionable", (*_QUARANTINE, "error", "tenantActionable"), _flag),
    ("last_execution_state", (*_LAST, "state"), _enum(TASK_EXECUTION_RESULT)),
    ("last_execution_began", (*_LAST, "timeBegan"), _time),
    ("last_execution_ended", (*_LAST, "timeEnded"), _time),
    ("last_error_code", (*_LAST, "error", "code"), _text),
    ("last_error_message", (*_LAST, "error", "message"), _text),
    ("last_error_tenant_actionable", (*_LAST, "error", "tenantActionable"), _flag),
    ("count_imported", (*_LAST, "countImported"), _count),
    ("count_exported", (*_LAST, "countExported"), _count),
    ("count_exports", (*_LAST, "countExports"), _count),
    ("count_escrowed", (*_LAST, "countEscrowed"), _count),
    ("count_escrowed_raw", (*_LAST, "countEscrowedRaw"), _count),
    ("count_entitled", (*_LAST, "countEntitled"), _count),
    ("count_entitled_for_provisioning", (*_LAST, "countEntitledForProvisioning"), _count),
    ("count_imported_deltas", (*_LAST, "countImportedDeltas"), _count),
    ("count_imported_reference_deltas", (*_LAST, "countImportedReferenceDeltas"), _count),
    ("last_successful_execution", ("status", "lastSuccessfulExecution", "timeEnded"), _time),
    (
        "last_successful_execution_with_exports",
        ("status", "lastSuccessfulExecutionWithExports", "timeEnded"),
        _time,
    ),
    ("steady_state_first_achieved", ("status", "steadyStateFirstAchievedTime"), _time),
    ("steady_state_last_achieved", ("status", "steadyStateLastAchievedTime"), _time),
    ("troubleshooting_url", ("status", "troubleshootingUrl"), _text),
    ("progress", ("status", "progress"), _json_list),
    ("synchronized_entry_count_by_type", ("status", "synchronizedEntryCountByType"), _entry_counts),
]


def _record_origin(origin: Origin | str, index: int) -> Origin | str:
    """Where the job at 0-based `index` of a list is: its record number, counted from 1."""
    number = index + 1
    return origin.at(record=number) if isinstance(origin, Origin) else f"{origin}: record {number}"
