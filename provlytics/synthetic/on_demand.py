"""`provisionOnDemand` responses built from a v1.0 record (graph-api-facts §3).

The response is `{"@odata.context", "key", "value"}` where `key` (the verdict) and `value` (the
event, in the on-demand field names) are JSON *strings*.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import orjson

logger = logging.getLogger(__name__)

GRAPH_CONTEXT = (
    "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.stringKeyStringValuePair"
)
SYNCFABRIC_CONTEXT = (
    "https://syncfabric.windowsazure.com/api/$metadata"
    "#microsoft.synchronization.stringKeyStringValuePair"
)
_VERDICTS = {"success": "Success", "warning": "Success", "skipped": "Skipped",
             "failure": "Failure"}  # fmt: skip


def _cap(value: str | None) -> str | None:
    return value[:1].upper() + value[1:] if value else value


def _text(value: object) -> str:
    return orjson.dumps(value).decode()


def _ticks(moment: datetime) -> str:
    """ISO time with seven fractional digits, as the on-demand examples show."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def _skip_step(rec: dict) -> dict | None:
    return next((s for s in rec["provisioningSteps"] if s["status"] == "skipped"), None)


def build_verdict(rec: dict, result: str | None = None) -> dict:
    """The decoded `key` of an on-demand response for `rec`.

    Args:
        rec: A v1.0 record.
        result: `Success`, `Skipped` or `Failure`; by default derived from the record's status.
    """
    result = result or _VERDICTS[rec["provisioningStatusInfo"]["status"]]
    error = rec["provisioningStatusInfo"]["errorInformation"] or {}
    skip = _skip_step(rec)
    if result == "Skipped" and skip is not None:
        details = {"errorCode": skip["details"].get("SkipReason"),
                   "errorMessage": skip["description"]}  # fmt: skip
    elif result == "Failure":
        details = {"errorCode": error.get("errorCode"), "errorMessage": error.get("reason")}
    else:
        details = {}
    return {"result": result, "details": details}


def build_event(rec: dict) -> dict:
    """The decoded `value` of an on-demand response: the event in on-demand field names."""
    end = datetime.fromisoformat(rec["activityDateTime"]).astimezone(UTC)
    start = end - timedelta(milliseconds=rec["durationInMilliseconds"])
    steps = rec["provisioningSteps"]
    stride = timedelta(microseconds=rec["durationInMilliseconds"] * 1000 // max(len(steps) - 1, 1))
    status = rec["provisioningStatusInfo"]["status"]
    error = rec["provisioningStatusInfo"]["errorInformation"] or {}
    status_info: dict = {"status": _cap(status)}
    if status != "success":
        status_info.update(
            errorCode=error.get("errorCode"),
            reason=error.get("reason"),
            additionalDetails=error.get("additionalDetails"),
            errorCategory=_cap(error.get("errorCategory")),
            recommendedAction=error.get("recommendedAction"),
        )
    return {
        "action": _cap(rec["provisioningAction"]),
        "changeId": rec["changeId"],
        "endTime": _ticks(end),
        "modifiedProperties": rec["modifiedProperties"],
        "provisioningSteps": [
            {
                "name": s["name"],
                "type": _cap(s["provisioningStepType"]),
                "status": _cap(s["status"]),
                "description": s["description"],
                "timestamp": _ticks(end if index == len(steps) - 1 else start + stride * index),
                "details": s["details"],
            }
            for index, s in enumerate(steps)
        ],
        "reportableIdentifier": _reportable(rec),
        "startTime": _ticks(start),
        "statusInfo": status_info,
        "sourceIdentity": _identity(rec["sourceIdentity"]),
        "sourceSystem": _system(rec["sourceSystem"]),
        "targetIdentity": _identity(rec["targetIdentity"]),
        "targetSystem": _system(rec["targetSystem"]),
    }


def _reportable(rec: dict) -> str:
    for step in rec["provisioningSteps"]:
        if "ReportableIdentifier" in step["details"]:
            return step["details"]["ReportableIdentifier"]
    return rec["sourceIdentity"]["displayName"]


def _identity(identity: dict) -> dict:
    return {"id": identity["id"], "type": identity["identityType"], "displayName": None,
            "details": None}  # fmt: skip


def _system(system: dict) -> dict:
    return {"id": None, "name": system["displayName"], "details": None}


def to_on_demand(
    rec: dict,
    verdict: str | None = None,
    *,
    empty_value: bool = False,
    context: str = GRAPH_CONTEXT,
) -> dict:
    """A `provisionOnDemand` response for `rec`.

    Args:
        rec: A v1.0 record.
        verdict: `Success`, `Skipped` or `Failure`; by default derived from the record.
        empty_value: Return `value: "{}"`, as Graph does when a group is provisioned.
        context: The response's `@odata.context` (Cloud Sync answers from syncfabric).
    """
    return {
        "@odata.context": context,
        "key": _text(build_verdict(rec, verdict)),
        "value": "{}" if empty_value else _text(build_event(rec)),
    }
