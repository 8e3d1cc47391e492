"""Pure converters from one Graph v1.0 record to the other dialects of DESIGN §2.

Each function takes a record as `generate_records` yields it and returns a new object; the
input is never modified (nested objects that need no change may be shared).
"""

from __future__ import annotations

import logging
from typing import Any

import orjson

from provlytics.synthetic.on_demand import to_on_demand
from provlytics.synthetic.world import derived_guid

logger = logging.getLogger(__name__)

__all__ = [
    "LA_COLUMNS",
    "PORTAL_EVENT_HEADERS",
    "PORTAL_PROPERTY_HEADERS",
    "PORTAL_STEP_HEADERS",
    "STEP_STATUS_CODES",
    "STEP_TYPE_CODES",
    "WORKSPACE_ID",
    "to_beta_legacy",
    "to_diagnostic",
    "to_log_analytics",
    "to_on_demand",
    "to_portal_csv_rows",
    "to_portal_json",
]

# Integer enum values used by the diagnostic-settings export (graph-api-facts §1.2, §6.3).
STEP_TYPE_CODES = {
    "import": 0,
    "scoping": 1,
    "matching": 2,
    "processing": 3,
    "referenceResolution": 4,
    "export": 5,
}
STEP_STATUS_CODES = {"success": 0, "failure": 1, "skipped": 2, "warning": 3}
_LEVELS = {"failure": 2, "warning": 3}  # Azure Monitor levels; everything else is 4
STATUS_INFO_TYPE = "#microsoft.graph.statusDetails"
# The Log Analytics workspace the synthetic rows were exported from (not the Entra tenant).
WORKSPACE_ID = derived_guid("provlytics", "log-analytics-workspace")

# Column order of an `AADProvisioningLogs` export; complex columns hold JSON text.
LA_COLUMNS = (
    "TenantId", "SourceSystem", "TimeGenerated", "Id", "AADTenantId", "JobId", "CycleId",
    "ChangeId", "ProvisioningAction", "ResultType", "ResultSignature", "ResultDescription",
    "DurationMs", "OperationName", "OperationVersion", "Category", "CorrelationId",
    "ServicePrincipal", "SourceIdentity", "TargetIdentity", "TargetSystem", "InitiatedBy",
    "ProvisioningStatusInfo", "ProvisioningSteps", "ModifiedProperties", "Type",
)  # fmt: skip

# Headers of the portal's three-file CSV download, joined on `Change Id`. Microsoft does not
# document them (graph-api-facts §6.4); these are the spellings provlytics writes and expects.
PORTAL_EVENT_HEADERS = (
    "Date (UTC)", "Id", "Tenant Id", "Job Id", "Cycle Id", "Change Id", "Action", "Status",
    "Error Code", "Error Category", "Reason", "Additional Details", "Recommended Action",
    "Duration (ms)", "Service Principal Id", "Service Principal Name", "Source System Id",
    "Source System Name", "Target System Id", "Target System Name", "Source Identity Id",
    "Source Identity Name", "Source Identity Type", "Target Identity Id", "Target Identity Name",
    "Target Identity Type", "Initiated By Id", "Initiated By Name", "Initiated By Type",
)  # fmt: skip
PORTAL_STEP_HEADERS = (
    "Change Id",
    "Step Number",
    "Name",
    "Type",
    "Status",
    "Description",
    "Details",
)
PORTAL_PROPERTY_HEADERS = ("Change Id", "Display Name", "Old Value", "New Value")


def pascal(value: str | None) -> str | None:
    """`nonServiceFailure` -> `NonServiceFailure` (None stays None)."""
    return value[:1].upper() + value[1:] if value else value


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _error_info(rec: dict) -> dict:
    return rec["provisioningStatusInfo"]["errorInformation"] or {}


def _varies(rec: dict, modulo: int) -> bool:
    """A stable per-record coin flip (from the record id) for dialect quirks seen only sometimes."""
    return int(rec["id"][:2], 16) % modulo == 0


def to_beta_legacy(rec: dict, *, keep_new: bool = False) -> dict:
    """The older beta shape: PascalCase `action` and a flat `statusInfo` (statusDetails).

    With `keep_new`, the record also keeps `provisioningAction` and `provisioningStatusInfo`, as
    newer beta responses do. Some records capitalise their step types (`Import`), as the docs do.
    """
    error = _error_info(rec)
    out = {
        key: rec[key]
        for key in ("id", "activityDateTime", "tenantId", "jobId", "cycleId", "changeId")
    }
    out["action"] = pascal(rec["provisioningAction"])
    if keep_new:
        out["provisioningAction"] = rec["provisioningAction"]
    out["durationInMilliseconds"] = rec["durationInMilliseconds"]
    for key in (
        "sourceSystem",
        "targetSystem",
        "initiatedBy",
        "sourceIdentity",
        "targetIdentity",
        "servicePrincipal",
    ):
        out[key] = rec[key]
    out["statusInfo"] = {
        "@odata.type": STATUS_INFO_TYPE,
        "status": rec["provisioningStatusInfo"]["status"],
        "errorCode": error.get("errorCode"),
        "reason": error.get("reason"),
        "additionalDetails": error.get("additionalDetails"),
        "errorCategory": pascal(error.get("errorCategory")),
        "recommendedAction": error.get("recommendedAction"),
    }
    if keep_new:
        out["provisioningStatusInfo"] = rec["provisioningStatusInfo"]
    capitalise = _varies(rec, 3)
    out["provisioningSteps"] = [
        dict(s, provisioningStepType=pascal(s["provisioningStepType"])) if capitalise else s
        for s in rec["provisioningSteps"]
    ]
    out["modifiedProperties"] = rec["modifiedProperties"]
    return out


def to_portal_json(rec: dict) -> dict:
    """One item of the portal's JSON download (legacy-shaped, written as a minified array)."""
    return to_beta_legacy(rec)


def _fraction7(timestamp: str) -> str:
    """`...:05Z` -> `...:05.0000000Z`: diagnostic and Log Analytics times always carry ticks."""
    return timestamp if "." in timestamp else timestamp[:-1] + ".0000000Z"


def _result_type(rec: dict) -> str:
    return pascal(rec["provisioningStatusInfo"]["status"]) or ""


def _pascal_ids(obj: dict, *, keep: tuple[str, ...] = ()) -> dict:
    """`{id, displayName, ...}` -> `{..., Id, Name}` as the diagnostic export writes them."""
    out = {key: obj[key] for key in keep if key in obj}
    out["Id"] = obj["id"]
    out["Name"] = obj["displayName"]
    return out


def _int_steps(rec: dict) -> list[dict]:
    return [
        dict(
            s,
            provisioningStepType=STEP_TYPE_CODES[s["provisioningStepType"]],
            status=STEP_STATUS_CODES[s["status"]],
        )
        for s in rec["provisioningSteps"]
    ]


def to_diagnostic(rec: dict) -> dict:
    """A diagnostic-settings `ProvisioningLogs` record (graph-api-facts §6.3).

    Envelope around `properties`, which use `Id`/`Name`, integer step types and statuses, and
    both the new and the deprecated action/status fields. `durationMs` is sometimes a string.
    """
    status = rec["provisioningStatusInfo"]["status"]
    initiator = rec["initiatedBy"]
    properties = {
        key: rec[key]
        for key in ("id", "activityDateTime", "tenantId", "jobId", "cycleId", "changeId")
    }
    properties.update(
        action=pascal(rec["provisioningAction"]),
        provisioningAction=rec["provisioningAction"],
        servicePrincipal=_pascal_ids(rec["servicePrincipal"]),
        sourceSystem=_pascal_ids(rec["sourceSystem"], keep=("details",)),
        targetSystem=_pascal_ids(rec["targetSystem"], keep=("details",)),
        initiatedBy={
            "Type": initiator["initiatorType"],
            "Id": initiator["id"],
            "Name": initiator["displayName"],
        },
        sourceIdentity=_pascal_ids(rec["sourceIdentity"], keep=("identityType", "details")),
        targetIdentity=_pascal_ids(rec["targetIdentity"], keep=("identityType", "details")),
        provisioningStatusInfo={
            "Status": status,
            "errorInformation": rec["provisioningStatusInfo"]["errorInformation"],
        },
        statusInfo={"Status": STEP_STATUS_CODES[status]},
        provisioningSteps=_int_steps(rec),
        modifiedProperties=rec["modifiedProperties"],
        durationInMilliseconds=rec["durationInMilliseconds"],
    )
    duration = rec["durationInMilliseconds"]
    return {
        "time": _fraction7(rec["activityDateTime"]),
        "resourceId": f"/tenants/{rec['tenantId']}/providers/Microsoft.aadiam",
        "operationName": "Provisioning activity",
        "operationVersion": "1.0",
        "category": "ProvisioningLogs",
        "tenantId": rec["tenantId"],
        "resultType": _result_type(rec),
        "durationMs": str(duration) if _varies(rec, 5) else duration,
        "correlationId": rec["changeId"],
        "identity": rec["id"],
        "Level": _LEVELS.get(status, 4),
        "properties": properties,
    }


def to_log_analytics(rec: dict, *, workspace_id: str = WORKSPACE_ID) -> dict:
    """A row of the `AADProvisioningLogs` table (graph-api-facts §6.1), keys in `LA_COLUMNS` order.

    `TenantId` is the Log Analytics workspace and `AADTenantId` the Entra tenant;
    `SourceSystem` is Log Analytics' agent column (`Azure`). Complex columns are JSON strings.
    """
    error = _error_info(rec)
    initiator = rec["initiatedBy"]
    return {
        "TenantId": workspace_id,
        "SourceSystem": "Azure",
        "TimeGenerated": _fraction7(rec["activityDateTime"]),
        "Id": rec["id"],
        "AADTenantId": rec["tenantId"],
        "JobId": rec["jobId"],
        "CycleId": rec["cycleId"],
        "ChangeId": rec["changeId"],
        "ProvisioningAction": rec["provisioningAction"],
        "ResultType": _result_type(rec),
        "ResultSignature": error.get("errorCode") or "",
        "ResultDescription": error.get("reason") or "",
        "DurationMs": rec["durationInMilliseconds"],
        "OperationName": "Provisioning activity",
        "OperationVersion": "1.0",
        "Category": "ProvisioningLogs",
        "CorrelationId": rec["changeId"],
        "ServicePrincipal": _json(_pascal_ids(rec["servicePrincipal"])),
        "SourceIdentity": _json(_la_identity(rec["sourceIdentity"])),
        "TargetIdentity": _json(_la_identity(rec["targetIdentity"])),
        "TargetSystem": _json(_la_system(rec["targetSystem"])),
        "InitiatedBy": _json(
            {
                "Id": initiator["id"],
                "Name": initiator["displayName"],
                "Type": initiator["initiatorType"],
            }
        ),
        "ProvisioningStatusInfo": _json(rec["provisioningStatusInfo"]),
        "ProvisioningSteps": _json(_int_steps(rec)),
        "ModifiedProperties": _json(rec["modifiedProperties"]),
        "Type": "AADProvisioningLogs",
    }


def _la_identity(identity: dict) -> dict:
    return {
        "Id": identity["id"],
        "Name": identity["displayName"],
        "identityType": identity["identityType"],
        "details": identity["details"],
    }


def _la_system(system: dict) -> dict:
    return {"Id": system["id"], "Name": system["displayName"], "details": system["details"]}


def _cell(value: Any) -> str:
    """A CSV cell: empty for null, the text otherwise."""
    return "" if value is None else str(value)


def to_portal_csv_rows(rec: dict) -> tuple[dict, list[dict], list[dict]]:
    """The rows this record contributes to the portal's three CSV files.

    Returns `(event_row, step_rows, property_rows)`, dicts keyed by `PORTAL_EVENT_HEADERS`,
    `PORTAL_STEP_HEADERS` and `PORTAL_PROPERTY_HEADERS`; every cell is a string, empty for null.
    Steps are numbered from 1 and their `Details` are JSON text.
    """
    error, change = _error_info(rec), rec["changeId"]
    sp, source, target = rec["servicePrincipal"], rec["sourceSystem"], rec["targetSystem"]
    src_id, tgt_id, by = rec["sourceIdentity"], rec["targetIdentity"], rec["initiatedBy"]
    values = (
        rec["activityDateTime"],
        rec["id"],
        rec["tenantId"],
        rec["jobId"],
        rec["cycleId"],
        change,
        pascal(rec["provisioningAction"]),
        _result_type(rec),
        error.get("errorCode"),
        pascal(error.get("errorCategory")),
        error.get("reason"),
        error.get("additionalDetails"),
        error.get("recommendedAction"),
        rec["durationInMilliseconds"],
        sp["id"],
        sp["displayName"],
        source["id"],
        source["displayName"],
        target["id"],
        target["displayName"],
        src_id["id"],
        src_id["displayName"],
        src_id["identityType"],
        tgt_id["id"],
        tgt_id["displayName"],
        tgt_id["identityType"],
        by["id"],
        by["displayName"],
        pascal(by["initiatorType"]),
    )
    event = dict(zip(PORTAL_EVENT_HEADERS, map(_cell, values), strict=True))
    steps = [
        dict(
            zip(
                PORTAL_STEP_HEADERS,
                (
                    change,
                    str(number),
                    s["name"],
                    pascal(s["provisioningStepType"]),
                    pascal(s["status"]),
                    _cell(s["description"]),
                    _json(s["details"]),
                ),
                strict=True,
            )
        )
        for number, s in enumerate(rec["provisioningSteps"], start=1)
    ]
    properties = [
        dict(
            zip(
                PORTAL_PROPERTY_HEADERS,
                (change, p["displayName"], _cell(p["oldValue"]), _cell(p["newValue"])),
                strict=True,
            )
        )
        for p in rec["modifiedProperties"]
    ]
    return event, steps, properties
