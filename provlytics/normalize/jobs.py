"""Synchronization job objects (`GET .../synchronization/jobs`) -> `job_status` rows."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pyarrow as pa

from provlytics.errors import InputError
from provlytics.normalize.extract import whole_number
from provlytics.normalize.times import to_timestamps
from provlytics.origin import Origin
from provlytics.schema import SCHEMAS, TIME

_NEVER = "0001-01-01T00:00:00"  # Graph's "never" for non-nullable times
_SP_IN_CONTEXT = re.compile(r"servicePrincipals\('([^']+)'\)")


def is_job(record: Any) -> bool:
    """Whether a raw record is a synchronizationJob object."""
    return isinstance(record, dict) and "templateId" in record and "status" in record


def service_principal_from_context(context: str | None) -> str | None:
    """The service principal id named in an `@odata.context` URL, if any."""
    match = _SP_IN_CONTEXT.search(context or "")
    return match.group(1) if match else None


def build_job_batch(
    jobs: list[dict[str, Any]],
    *,
    observed_time: datetime | str,
    service_principal_id: str | None,
    origin: Origin | str,
) -> pa.RecordBatch:
    """One `job_status` row per job, observed at `observed_time`."""
    observed = observed_time if isinstance(observed_time, str) else observed_time.isoformat()
    rows = []
    for i, job in enumerate(jobs):
        try:
            rows.append(_job_row(job, observed, service_principal_id))
        except InputError as exc:
            raise exc.located(_record_origin(origin, i)) from None
    schema = SCHEMAS["job_status"]
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in schema]
    arrays = []
    for f, values in zip(schema, columns, strict=True):
        if f.type == TIME:
            array, bad = to_timestamps(values)
            if bad:
                raise InputError(
                    _record_origin(origin, bad[0]), f"not an ISO timestamp: {values[bad[0]]!r}"
                )
            arrays.append(array)
        else:
            arrays.append(pa.array(values, f.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _job_row(job: Any, observed: str, sp_id: str | None) -> tuple:
    if not isinstance(job, dict):
        raise InputError(None, f"expected a job object, got {type(job).__name__}")
    status = _obj(job, "status")
    schedule = _obj(job, "schedule")
    quarantine = _obj(status, "quarantine", "status.quarantine")
    last = _obj(status, "lastExecution", "status.lastExecution")
    error = _obj(last, "error", "status.lastExecution.error") or _obj(
        quarantine, "error", "status.quarantine.error"
    )
    succeeded = _obj(status, "lastSuccessfulExecution", "status.lastSuccessfulExecution")
    return (
        observed,
        sp_id,
        _val(job.get("id")),
        _val(job.get("templateId")),
        _val(schedule.get("state")),
        _val(schedule.get("interval")),
        _val(status.get("code")),
        _count(status.get("countSuccessiveCompleteFailures"), "countSuccessiveCompleteFailures"),
        _val(quarantine.get("reason")),
        _time(quarantine.get("currentBegan")),
        _time(quarantine.get("nextAttempt")),
        _count(quarantine.get("seriesCount"), "quarantine.seriesCount"),
        _val(last.get("state")),
        _time(last.get("timeBegan")),
        _time(last.get("timeEnded")),
        _val(error.get("code")),
        _val(error.get("message")),
        error.get("tenantActionable") if isinstance(error.get("tenantActionable"), bool) else None,
        *(_count(last.get(k), k) for k in ("countImported", "countExported", "countEscrowed")),
        _count(last.get("countEntitled"), "countEntitled"),
        _time(succeeded.get("timeEnded")),
        _time(status.get("steadyStateLastAchievedTime")),
    )


def _obj(parent: dict[str, Any], key: str, field: str | None = None) -> dict[str, Any]:
    value = parent.get(key)
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise InputError(
            None, f"expected an object, got {type(value).__name__}", field=field or key
        )
    return value


def _val(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def _time(value: Any) -> str | None:
    text = _val(value)
    return None if text is None or text.startswith(_NEVER) else text


def _count(value: Any, field: str) -> int | None:
    if value is None or value == "":
        return None
    number = whole_number(value)
    if number is None:
        raise InputError(None, f"expected a whole number, got {value!r}", field=field)
    return number


def _record_origin(origin: Origin | str, index: int) -> Origin | str:
    return origin.at(record=index) if isinstance(origin, Origin) else f"{origin}: record {index}"
